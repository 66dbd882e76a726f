package check

import (
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// Duplicates finds every delivery beyond a job's first and explains it with
// its cause chain: which fault, at which protocol step, led to which retry
// on which node and which second notification. Any duplicate makes the
// verdict fail; the explanation says which documented case (spec §14) it is,
// so a scenario that expects the duplicate can assert it.
type Duplicates struct{}

// Name implements Checker.
func (Duplicates) Name() string { return "duplicates" }

// Check implements Checker.
func (Duplicates) Check(in Input) Verdict {
	ix := buildIndex(in)
	var fs []Finding
	var dups int64
	for _, j := range ix.jobs {
		for k := 1; k < len(j.Deliv); k++ {
			dups++
			prev, cur := j.Deliv[k-1], j.Deliv[k]
			if mutant.On("check-duplicates-same-node-blind") && cur.Node == prev.Node {
				dups--
				continue // defect: a re-delivery by the same node is taken for the same delivery
			}
			chain, kind := explain(in.Events, j, prev, cur)
			fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: j.Txn, Node: cur.Node,
				Message: fmt.Sprintf("job %s delivered %d times: delivery #%d (%s) repeats #%d (%s)%s",
					j.ID, len(j.Deliv), cur.Seq, cur.Node, prev.Seq, prev.Node, kind),
				Chain: chain})
		}
	}
	summary := fmt.Sprintf("%d duplicate deliveries", dups)
	return verdict(Duplicates{}.Name(), fs, summary, map[string]int64{"duplicates": dups, "deliveries": int64(len(in.Ledger))})
}

// explain walks the history between two deliveries of the same job and
// returns the cause chain and which documented case it is.
func explain(evs []sim.Event, j *job, prev, cur delivery) ([]string, string) {
	from, to := window(evs, prev, cur)
	w := &dupWalk{job: j.ID, t0: evs[from].At}
	w.add(evs[max(from, 0)], "delivery #%d: %s notified the app (%s)", prev.Seq, prev.Node, prev.RemoteURL)
	for i := from; i < to && i < len(evs); i++ {
		w.event(evs[i], i > from)
	}
	if prev.Dropped != "" && !w.crashes {
		// The delivery was made but its answer never reached the node (an
		// external app's answer lost on the link, or the app died): to the
		// node this is the app dying before it replied.
		w.crashes = true
		w.chain = append(w.chain, fmt.Sprintf("the app's answer to delivery #%d never reached %s (%s)", prev.Seq, prev.Node, prev.Dropped))
	}
	if !w.faults {
		for i := 0; i < from && i < len(evs); i++ {
			if e := evs[i]; e.Kind == sim.FaultFired && e.Err == "" {
				w.faults = true
				w.chain = append([]string{fmt.Sprintf("(before) fault %s had fired: %s", e.Fault, e.Action)}, w.chain...)
			}
		}
	}
	if w.retries > 0 && !w.fallback {
		w.chain = append(w.chain, fmt.Sprintf("client retried %d times (%s of retry delay)", w.retries, fmtDur(w.retryWait)))
	}
	if w.resent > 0 {
		w.chain = append(w.chain, fmt.Sprintf("client sent %d fragment bytes between the two deliveries", w.resent))
	}
	if cur.EventIdx >= 0 {
		w.add(evs[cur.EventIdx], "delivery #%d: %s notified the app again", cur.Seq, cur.Node)
	} else {
		w.chain = append(w.chain, fmt.Sprintf("delivery #%d: %s notified the app again", cur.Seq, cur.Node))
	}
	return w.chain, w.kind(prev.Node != cur.Node)
}

// window is the part of the history that explains cur: from the
// notification that produced prev (a node killed while the app processes
// dies before the delivery is recorded) to cur's delivery.
func window(evs []sim.Event, prev, cur delivery) (from, to int) {
	from, to = 0, len(evs)
	if prev.EventIdx >= 0 {
		from = prev.EventIdx
		for i := prev.EventIdx; i >= 0; i-- {
			if evs[i].Kind == sim.NotifySent && evs[i].Node == prev.Node {
				from = i
				break
			}
		}
	}
	if cur.EventIdx >= 0 {
		to = cur.EventIdx
	}
	return from, to
}

// dupWalk collects the cause chain of one duplicate and the facts that
// name its case.
type dupWalk struct {
	job   string
	t0    time.Time
	chain []string

	faults, crashes, fallback, restart, timeout408, closeNF bool
	appStatus                                               int
	retries                                                 int
	retryWait                                               time.Duration
	resent                                                  int64
	seenErr                                                 bool
}

func (w *dupWalk) add(e sim.Event, s string, args ...any) {
	w.chain = append(w.chain, "+"+fmtDur(e.At.Sub(w.t0))+" "+fmt.Sprintf(s, args...))
}

// event adds e to the chain if it explains something. later is false for
// the window's first event.
func (w *dupWalk) event(e sim.Event, later bool) {
	switch {
	case e.Kind == sim.FaultFired:
		w.faults = true
		w.add(e, "fault %s fired: %s", e.Fault, e.Action)
	case e.Kind == sim.NodeCrashed:
		w.crashes = true
		where := ""
		if e.Point != "" {
			where = " at crash point " + e.Point
		}
		w.add(e, "%s died%s", e.Node, where)
	case e.Kind == sim.NodeStarted && later:
		w.add(e, "%s restarted on its storage (restored %d sessions)", e.Node, e.Count)
	case e.Kind == sim.AppCrashed:
		w.crashes = true
		w.add(e, "the app died at %s before replying", e.Point)
	case e.Job != w.job:
	default:
		w.clientEvent(e)
	}
}

// clientEvent handles an event of the job's client.
func (w *dupWalk) clientEvent(e sim.Event) {
	switch {
	case e.Kind == sim.ClientError && !w.seenErr:
		w.seenErr = true
		w.add(e, "client got a transport error on %s to %s: %s", e.Packet, hostOf(e.URL), e.Err)
	case e.Kind == sim.ClientResponse && e.Status >= 400 && e.Status != 416:
		switch {
		case e.Status == 408 && strings.EqualFold(e.Code, "0x80070112"):
			w.timeout408 = true // the node's notification time-out
		case strings.EqualFold(e.Context, "0x7") && w.appStatus == 0:
			w.appStatus = e.Status // the app's own answer, relayed
		}
		if strings.EqualFold(e.Packet, "Close-Session") && strings.EqualFold(e.Code, "0x8020001F") {
			w.closeNF = true
		}
		w.add(e, "%s answered %d %s (context %s) to %s", hostOf(e.URL), e.Status, e.Code, e.Context, e.Packet)
	case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerRetry:
		w.retries++
		w.retryWait += e.Duration
	case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback:
		w.fallback = true
		w.add(e, "host-id fallback timer (%s) expired after %d retries (%s of retry delay): client reverts to the shared address", fmtDur(e.Duration), w.retries, fmtDur(w.retryWait))
	case e.Kind == sim.ClientSession && e.Step == sim.StepRestarted:
		w.restart = true
		w.add(e, "client opens a new session (%s): upload restarts from byte 0", e.Why())
	case e.Kind == sim.ClientRequest && strings.EqualFold(e.Packet, "Fragment"):
		w.resent += e.Bytes
	}
}

// kind names the documented case (docs/protocol.md §14) the facts match.
func (w *dupWalk) kind(otherNode bool) string {
	switch {
	case w.closeNF && w.restart:
		return "; spec §14 case 9: Close-Session got 0x8020001F and the client re-uploaded"
	case w.timeout408:
		return "; spec §14 case 7: the app was slower than the notification timeout"
	case w.fallback && w.restart && otherNode:
		return "; spec §14 case 4: node lost after notifying, host-id fallback, full re-upload elsewhere"
	case w.restart && otherNode:
		return "; re-upload on another node after the session was lost"
	case w.appStatus != 0 && !w.crashes && !w.restart:
		return fmt.Sprintf("; spec §14 case 13: the app answered %d (transient), the retried final fragment notified it again", w.appStatus)
	case w.crashes && !w.restart:
		return "; spec §14 case 5: final fragment re-forwarded after a crash before the Ack"
	case !w.faults && !w.crashes:
		return "; no fault explains it"
	}
	return ""
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[:i]
	}
	return u
}

func fmtDur(d time.Duration) string {
	if d >= time.Hour && d%time.Second == 0 {
		return d.String()
	}
	return d.Round(time.Millisecond).String()
}
