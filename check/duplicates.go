package check

import (
	"fmt"
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

// explain walks the history between two deliveries of the same job.
func explain(evs []sim.Event, j *job, prev, cur delivery) ([]string, string) {
	from, to := 0, len(evs)
	if prev.EventIdx >= 0 {
		from = prev.EventIdx
		// Start at the notification that produced the first delivery: a
		// node killed while the app processes dies before the delivery is
		// recorded.
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
	t0 := evs[from].At
	at := func(e sim.Event) string { return "+" + fmtDur(e.At.Sub(t0)) }
	var chain []string
	add := func(e sim.Event, s string, args ...any) { chain = append(chain, at(e)+" "+fmt.Sprintf(s, args...)) }

	add(evs[max(from, 0)], "delivery #%d: %s notified the app (%s)", prev.Seq, prev.Node, prev.RemoteURL)
	var (
		faults, crashes, fallback, restart, timeout408, closeNF bool
		appStatus                                               int
		retries                                                 int
		retryWait                                               time.Duration
		resent                                                  int64
		firstErr                                                = true
	)
	for i := from; i < to && i < len(evs); i++ {
		e := evs[i]
		switch {
		case e.Kind == sim.FaultFired:
			faults = true
			add(e, "fault %s fired: %s", e.Fault, e.Action)
		case e.Kind == sim.NodeCrashed:
			crashes = true
			where := ""
			if e.Point != "" {
				where = " at crash point " + e.Point
			}
			add(e, "%s died%s", e.Node, where)
		case e.Kind == sim.NodeStarted && i > from:
			add(e, "%s restarted on its storage (restored %d sessions)", e.Node, e.Count)
		case e.Kind == sim.AppCrashed:
			crashes = true
			add(e, "the app died at %s before replying", e.Point)
		case e.Job != j.ID:
		case e.Kind == sim.ClientError && firstErr:
			firstErr = false
			add(e, "client got a transport error on %s to %s: %s", e.Packet, hostOf(e.URL), e.Err)
		case e.Kind == sim.ClientResponse && e.Status >= 400 && e.Status != 416:
			switch {
			case e.Status == 408 && strings.EqualFold(e.Code, "0x80070112"):
				timeout408 = true // the node's notification time-out
			case strings.EqualFold(e.Context, "0x7") && appStatus == 0:
				appStatus = e.Status // the app's own answer, relayed
			}
			if strings.EqualFold(e.Packet, "Close-Session") && strings.EqualFold(e.Code, "0x8020001F") {
				closeNF = true
			}
			add(e, "%s answered %d %s (context %s) to %s", hostOf(e.URL), e.Status, e.Code, e.Context, e.Packet)
		case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerRetry:
			retries++
			retryWait += e.Duration
		case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback:
			fallback = true
			add(e, "host-id fallback timer (%s) expired after %d retries (%s of retry delay): client reverts to the shared address", fmtDur(e.Duration), retries, fmtDur(retryWait))
		case e.Kind == sim.ClientSession && e.Step == sim.StepRestarted:
			restart = true
			add(e, "client opens a new session (%s): upload restarts from byte 0", e.Why())
		case e.Kind == sim.ClientRequest && strings.EqualFold(e.Packet, "Fragment"):
			resent += e.Bytes
		}
	}
	if !faults {
		for i := 0; i < from && i < len(evs); i++ {
			if e := evs[i]; e.Kind == sim.FaultFired && e.Err == "" {
				faults = true
				chain = append([]string{fmt.Sprintf("(before) fault %s had fired: %s", e.Fault, e.Action)}, chain...)
			}
		}
	}
	if retries > 0 && !fallback {
		chain = append(chain, fmt.Sprintf("client retried %d times (%s of retry delay)", retries, fmtDur(retryWait)))
	}
	if resent > 0 {
		chain = append(chain, fmt.Sprintf("client sent %d fragment bytes between the two deliveries", resent))
	}
	if cur.EventIdx >= 0 {
		add(evs[cur.EventIdx], "delivery #%d: %s notified the app again", cur.Seq, cur.Node)
	} else {
		chain = append(chain, fmt.Sprintf("delivery #%d: %s notified the app again", cur.Seq, cur.Node))
	}
	kind := ""
	switch {
	case closeNF && restart:
		kind = "; spec §14 case 9: Close-Session got 0x8020001F and the client re-uploaded"
	case timeout408:
		kind = "; spec §14 case 7: the app was slower than the notification timeout"
	case fallback && restart && prev.Node != cur.Node:
		kind = "; spec §14 case 4: node lost after notifying, host-id fallback, full re-upload elsewhere"
	case restart && prev.Node != cur.Node:
		kind = "; re-upload on another node after the session was lost"
	case appStatus != 0 && !crashes && !restart:
		kind = fmt.Sprintf("; spec §14 case 13: the app answered %d (transient), the retried final fragment notified it again", appStatus)
	case crashes && !restart:
		kind = "; spec §14 case 5: final fragment re-forwarded after a crash before the Ack"
	case !faults && !crashes:
		kind = "; no fault explains it"
	}
	return chain, kind
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
