package check

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/internal/mutant"
	"github.com/bitsim/bitsim/sim"
)

// FaultsFired: every fault of the schedule fired and did something
// observable in the history after it fired, judged per action kind:
//
//   - kill: the node crashed (node.crashed, of the fault's node if it names
//     one); restart: the node started (node.started); for a node bitsim does
//     not run (an external target's, killed through hooks) firing is enough;
//   - app-status: the app answered that status (app.replied); app-crash:
//     the app crashed (app.crashed); node-status: the node answered that
//     status (ack.sent);
//   - add-toxic and link-down on a link: a breaking toxic (bits_cut_request,
//     bits_drop_ack, reset_peer, timeout, limit_data) or a link down broke
//     an exchange through that link (a client.error or a notify.answered
//     with an error whose URL is the link's listen address); a delaying one
//     (latency, bandwidth, slicer, slow_close, ...) had traffic through the
//     link (a client.request or notify.sent to that address);
//   - any other action (remove-toxic, link-up, drop-sessions, lose-tail,
//     app delays, ...) is its own effect: firing is enough.
//
// A fault that never fired or had no effect makes the run fail unless it is
// marked Optional (then the verdict is unknown), so a green run cannot hide
// a fault that did nothing, such as a cut on a link no upload crosses.
type FaultsFired struct{}

// Name implements Checker.
func (FaultsFired) Name() string { return "faults-fired" }

// Check implements Checker.
func (FaultsFired) Check(in Input) Verdict {
	// fault name → where the events of its first firing start: a fault.fired
	// event is recorded after what the action did, so they start after the
	// previous fault.fired.
	firstFired := map[string]int{}
	from := 0
	for i, e := range in.Events {
		if e.Kind != sim.FaultFired {
			continue
		}
		if _, ok := firstFired[e.Fault]; !ok {
			firstFired[e.Fault] = from
		}
		from = i + 1
	}
	var fs []Finding
	var fired, bit int64
	for i, f := range in.Schedule {
		name := in.Schedule.FaultName(i)
		st := Fail
		if f.Optional {
			st = Unknown
		}
		at, ok := firstFired[name]
		if !ok {
			fs = append(fs, Finding{Status: st, Node: f.Node(),
				Message: fmt.Sprintf("fault %s (%s → %s) never fired", name, f.When(), f.What())})
			continue
		}
		fired++
		if mutant.On("check-faults-fired-counts-installed") || hadEffect(f, firedEvent(in.Events[at:], name), in.Events[at:], in.Events) {
			bit++
			continue
		}
		fs = append(fs, Finding{Status: st, Node: f.Node(),
			Message: fmt.Sprintf("fault %s (%s → %s) fired but had no observable effect", name, f.When(), f.What())})
	}
	summary := fmt.Sprintf("%d of %d faults fired", fired, len(in.Schedule))
	figures := map[string]int64{"faults": int64(len(in.Schedule)), "fired": fired}
	if fired > bit { // kept out otherwise, so that older saved verdicts still match
		summary += fmt.Sprintf(", %d of them without an observable effect", fired-bit)
		figures["ineffective"] = fired - bit
	}
	return verdict(FaultsFired{}.Name(), fs, summary, figures)
}

// firedEvent is the first fault.fired of the named fault in evs.
func firedEvent(evs []sim.Event, name string) sim.Event {
	for _, e := range evs {
		if e.Kind == sim.FaultFired && e.Fault == name {
			return e
		}
	}
	return sim.Event{}
}

// breaking are the toxics whose effect is a broken exchange.
var breaking = map[string]bool{"bits_cut_request": true, "bits_drop_ack": true, "reset_peer": true, "timeout": true, "limit_data": true}

// hadEffect reports whether fault f, whose firing is the event fired, shows
// in after (the history from the events of that firing on; all: the whole
// history, for the links' addresses).
func hadEffect(f faults.Fault, fired sim.Event, after, all []sim.Event) bool {
	node := fired.Node
	if node == "" {
		node = f.Node()
	}
	any := func(pred func(sim.Event) bool) bool {
		for _, e := range after {
			if pred(e) {
				return true
			}
		}
		return false
	}
	// Nodes bitsim runs itself record node.started; an external target's
	// nodes (killed through hooks) do not, and there firing is the effect.
	ours := false
	for _, e := range all {
		if e.Kind == sim.NodeStarted && (node == "" || e.Node == node) {
			ours = true
			break
		}
	}
	switch f.Action.(type) {
	case *faults.Kill, *faults.Restart:
		if !ours {
			return true
		}
	}
	switch a := f.Action.(type) {
	case *faults.Kill:
		return any(func(e sim.Event) bool { return e.Kind == sim.NodeCrashed && (node == "" || e.Node == node) })
	case *faults.Restart:
		return any(func(e sim.Event) bool { return e.Kind == sim.NodeStarted && (node == "" || e.Node == node) })
	case *faults.AppStatus:
		return any(func(e sim.Event) bool { return e.Kind == sim.AppReplied && e.Status == a.Status })
	case *faults.AppCrash:
		return any(func(e sim.Event) bool { return e.Kind == sim.AppCrashed })
	case *faults.NodeStatus:
		return any(func(e sim.Event) bool {
			return e.Kind == sim.AckSent && e.Status == a.Status && (node == "" || e.Node == node)
		})
	case *faults.AddToxic:
		if a.Toxic == nil {
			return true
		}
		return linkEffect(a.Link, breaking[a.Toxic.Type], after, all)
	case *faults.LinkDown:
		return linkEffect(a.Link, true, after, all)
	}
	return true
}

// linkEffect: an exchange through link broke (broke) or crossed it (!broke)
// in after; the link's listen address is that of its link.changed "added"
// event in all (a restarted node changes a link's upstream, not its
// address).
func linkEffect(link string, broke bool, after, all []sim.Event) bool {
	addr := ""
	for _, e := range all {
		if e.Kind == sim.LinkChanged && e.Link == sim.LinkAdded && e.Node == link {
			addr = e.Listen
			break
		}
	}
	if addr == "" {
		return true // a history without link events: nothing to judge by
	}
	// A client with a host map reaches the link under the host-id URL its
	// client.hostid event names (Listen: the address it dials instead).
	hosts := map[string]bool{strings.ToLower(addr): true}
	for _, e := range all {
		if u, err := url.Parse(e.URL); err == nil && e.Kind == sim.ClientHostID && strings.EqualFold(e.Listen, addr) {
			hosts[strings.ToLower(u.Host)] = true
		}
	}
	through := func(e sim.Event) bool {
		u, err := url.Parse(e.URL)
		return err == nil && hosts[strings.ToLower(u.Host)]
	}
	for _, e := range after {
		switch {
		case broke && (e.Kind == sim.ClientError || e.Kind == sim.NotifyAnswered && e.Err != "") && through(e):
			return true
		case !broke && (e.Kind == sim.ClientRequest || e.Kind == sim.NotifySent) && through(e):
			return true
		}
	}
	return false
}
