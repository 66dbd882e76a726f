package check

import (
	"fmt"
	"sort"

	"github.com/bitsim/bitsim/sim"
)

// NoOrphans: after the run's final cleanup no server session is left
// behind: every session.created (or session.restored) was closed,
// cancelled or expired. A session left on a node that crashed and never
// came back is unknown: its cleanup could not run.
type NoOrphans struct{}

// Name implements Checker.
func (NoOrphans) Name() string { return "no-orphans" }

// Check implements Checker.
func (NoOrphans) Check(in Input) Verdict {
	// Sessions are keyed by id alone: on shared storage one node may create
	// a session and another close it. key.node is the node that last
	// handled it.
	type key struct{ node, session string }
	open := map[string]key{}
	alive := map[string]bool{}
	for _, e := range in.Events {
		k := key{e.Node, e.Session}
		switch e.Kind {
		case sim.NodeStarted:
			alive[e.Node] = true
		case sim.NodeCrashed, sim.NodeStopped:
			alive[e.Node] = false
		case sim.SessionCreated, sim.SessionRestored:
			open[e.Session] = k
		case sim.SessionClosed, sim.SessionCancelled, sim.SessionExpired:
			delete(open, e.Session)
		}
	}
	keys := make([]key, 0, len(open))
	for _, k := range open {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].node != keys[j].node {
			return keys[i].node < keys[j].node
		}
		return keys[i].session < keys[j].session
	})
	var fs []Finding
	for _, k := range keys {
		st, why := Fail, "still open after the final cleanup"
		if !alive[k.node] {
			st, why = Unknown, "left on a node that is down (its cleanup cannot run)"
		}
		fs = append(fs, Finding{Status: st, Node: k.node, Message: fmt.Sprintf("session %s on %s %s", k.session, k.node, why)})
	}
	summary := fmt.Sprintf("%d sessions left open", len(keys))
	return verdict(NoOrphans{}.Name(), fs, summary, map[string]int64{"orphans": int64(len(keys))})
}
