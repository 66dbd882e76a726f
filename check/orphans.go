package check

import (
	"fmt"
	"sort"

	"github.com/bitsim/bitsim/internal/mutant"
	"github.com/bitsim/bitsim/sim"
)

// NoOrphans: after the run's final cleanup no server session is left
// behind. It looks at the storage itself (Input.Disk, scanned by the
// runner after the cleanup): every session directory still there is an
// orphan, whatever the node's events said (a node that emits
// session.expired but keeps the files is caught). A session left in the
// storage of a node that crashed and never came back is unknown: its
// cleanup could not run. Runs saved without a disk scan fall back to the
// events: every session.created (or session.restored) must have been
// closed, cancelled or expired.
type NoOrphans struct{}

// Name implements Checker.
func (NoOrphans) Name() string { return "no-orphans" }

// orphan is a session left behind, where it was seen.
type orphan struct{ storage, session, where string }

// Check implements Checker.
func (NoOrphans) Check(in Input) Verdict {
	alive := map[string]bool{}
	for _, e := range in.Events {
		switch e.Kind {
		case sim.NodeStarted:
			alive[e.Node] = true
		case sim.NodeCrashed, sim.NodeStopped:
			alive[e.Node] = false
		}
	}
	var left []orphan
	summary := "%d sessions left on disk"
	if in.Disk != nil {
		for _, d := range in.Disk.Sessions {
			if mutant.On("check-orphans-blind") {
				break
			}
			left = append(left, orphan{d.Storage, d.Session, d.Path})
		}
	} else {
		summary = "%d sessions left open" // by the nodes' events
		left = orphansByEvents(in.Events)
	}
	sort.Slice(left, func(i, j int) bool {
		if left[i].storage != left[j].storage {
			return left[i].storage < left[j].storage
		}
		return left[i].session < left[j].session
	})
	// A session directory may appear twice (request and reply): one finding.
	var fs []Finding
	seen := map[[2]string]bool{}
	for _, o := range left {
		if seen[[2]string{o.storage, o.session}] {
			continue
		}
		seen[[2]string{o.storage, o.session}] = true
		st, why := Fail, "still there after the final cleanup"
		if !storageAlive(o.storage, alive) {
			st, why = Unknown, "left on a node that is down (its cleanup cannot run)"
		}
		msg := fmt.Sprintf("session %s on %s %s", o.session, o.storage, why)
		if o.where != "" {
			msg += " (" + o.where + ")"
		}
		fs = append(fs, Finding{Status: st, Node: o.storage, Message: msg})
	}
	return verdict(NoOrphans{}.Name(), fs, fmt.Sprintf(summary, len(seen)), map[string]int64{"orphans": int64(len(seen))})
}

// storageAlive: a node's own storage is cleaned while that node lives;
// shared storage while any node lives.
func storageAlive(storage string, alive map[string]bool) bool {
	if storage != "shared" {
		return alive[storage]
	}
	for _, a := range alive {
		if a {
			return true
		}
	}
	return false
}

// orphansByEvents: sessions created or restored and never closed,
// cancelled or expired, keyed by id alone (on shared storage one node may
// create a session and another close it); storage is the node that last
// handled it.
func orphansByEvents(evs []sim.Event) []orphan {
	open := map[string]string{}
	for _, e := range evs {
		switch e.Kind {
		case sim.SessionCreated, sim.SessionRestored:
			open[e.Session] = e.Node
		case sim.SessionClosed, sim.SessionCancelled, sim.SessionExpired:
			delete(open, e.Session)
		}
	}
	var out []orphan
	for s, n := range open {
		out = append(out, orphan{storage: n, session: s})
	}
	return out
}
