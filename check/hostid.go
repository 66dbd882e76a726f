package check

import (
	"fmt"

	"github.com/bitsim/bitsim/sim"
)

// HostIDHonoured: once a server returned a BITS-Host-Id, every packet of
// the job went to that host until the host-id fallback timer fired
// (docs/protocol.md §3.1 and §12.1; knob K8): the request's URL names the pinned
// host, and the node that received it is the node that issued the host
// id. A packet sent elsewhere while pinned fails the verdict; a run
// without host ids passes with nothing to check.
type HostIDHonoured struct{}

// Name implements Checker.
func (HostIDHonoured) Name() string { return "host-id-honoured" }

// pin is a job's host id while it holds.
type pin struct {
	id, host string
	seq      int64  // the client.hostid event that set it
	node     string // the node that returned it, "" if unknown
}

// Check implements Checker.
func (HostIDHonoured) Check(in Input) Verdict {
	ix := buildIndex(in)
	var fs []Finding
	var pins, checked int64
	for _, j := range ix.jobs {
		var p *pin
		var issuer string // the node that received the request answered with the latest host id
		for k, e := range j.Events {
			switch {
			case e.Kind == sim.ClientResponse && e.HostID != "":
				issuer = ""
				if x := ix.ops.At(j.idx[k]); x != nil && x.Received != nil {
					issuer = x.Received.Node
				}
			case e.Kind == sim.ClientHostID && e.Step == sim.StepPinned:
				pins++
				p = &pin{id: e.HostID, host: hostOf(e.URL), seq: e.Seq, node: issuer}
			case e.Kind == sim.ClientHostID && e.Step == sim.StepFallback,
				e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback:
				p = nil
			case e.Kind == sim.ClientRequest && e.Packet != "" && p != nil:
				checked++
				if f, bad := p.judge(j, e, ix.ops.At(j.idx[k])); bad {
					fs = append(fs, f)
				}
			}
		}
	}
	summary := fmt.Sprintf("%d host ids returned, %d packets sent while pinned, %d went elsewhere", pins, checked, len(fs))
	return verdict(HostIDHonoured{}.Name(), fs, summary, map[string]int64{"pins": pins, "pinned_packets": checked, "strays": int64(len(fs))})
}

// judge checks one request sent while p holds.
func (p *pin) judge(j *job, e sim.Event, x *sim.Exchange) (Finding, bool) {
	where := ""
	switch {
	case hostOf(e.URL) != p.host:
		where = "was sent to " + hostOf(e.URL)
	case x != nil && x.Received != nil && p.node != "" && x.Received.Node != p.node:
		where = "was received by " + x.Received.Node
	default:
		return Finding{}, false
	}
	issued := ""
	if p.node != "" {
		issued = " by " + p.node
	}
	return Finding{Status: Fail, Job: j.ID, Txn: j.Txn, Node: p.node,
		Message: fmt.Sprintf("job %s: %s #%d %s, but host id %s (returned%s, #%d) pins %s and its fallback timer had not fired",
			j.ID, e.Packet, e.Seq, where, p.id, issued, p.seq, p.host)}, true
}
