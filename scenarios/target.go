package scenarios

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// Running a scenario against an external BITS server (RunOptions.Target,
// bitsim run --target) keeps bitsim's clients, toxiproxy links and mock
// app, and replaces the in-process nodes by the server:
//
//   - faults the server cannot be made to undergo are not applied: the
//     scenario is skipped with the reason (TargetSkipReason) — crash
//     points, triggers on the nodes' own events, actions inside a node
//     (drop-sessions, lose-tail, slow-disk), kill/restart without hooks,
//     node knobs the server's own configuration decides, more nodes than
//     --node-url gives;
//   - the expectation is the contract (ContractExpect): the jobs end as
//     the scenario says, files arrive intact and at least once when bitsim
//     can see deliveries (the server notifies the mock app, or an effect
//     probe is set), and no other checker fails.

// nodeEvents are the event kinds only bitsim's own nodes record.
var nodeEvents = map[sim.Kind]bool{
	sim.NodeStarted: true, sim.NodeStopped: true, sim.NodeCrashed: true, sim.PacketReceived: true, sim.AckSent: true,
	sim.NotifySent: true, sim.NotifyAnswered: true, sim.NotifyCached: true, sim.SessionCreated: true, sim.SessionRestored: true,
	sim.SessionCompleted: true, sim.SessionExpired: true, sim.SessionDoomed: true, sim.SessionClosed: true, sim.SessionCancelled: true,
	sim.FileCommitted: true, sim.ReplyServed: true, sim.CrashPoint: true, sim.CleanupRan: true, sim.RequestRejected: true,
	sim.RequestTolerated: true,
}

// TargetSkipReason says why sc cannot run against the external server t
// ("" if it can).
func TargetSkipReason(sc record.Scenario, t *farm.Target) string {
	if sc.Random != nil {
		return "draws random faults, crash points and node actions among them: an external server cannot be made to fail on cue"
	}
	n := max(len(t.NodeURLs), 1)
	if sc.Farm.HostID && sc.Farm.Nodes > len(t.NodeURLs) {
		return fmt.Sprintf("a host-id farm of %d nodes: give the target's node URLs with --node-url (%d given)", sc.Farm.Nodes, len(t.NodeURLs))
	}
	if err := sc.Faults.Validate(targetTopology(n)); err != nil {
		return fmt.Sprintf("a fault names a node or link the target does not have (%v): give the target's node URLs with --node-url; node-to-app links exist only in front of bitsim's own nodes", err)
	}
	if k := nodeKnob(sc.Farm); k != "" {
		return fmt.Sprintf("sets the node knob %s, which the target's own configuration decides", k)
	}
	for i, f := range sc.Faults {
		name := sc.Faults.FaultName(i)
		switch tr := f.Trigger.(type) {
		case faults.AtPoint:
			return fmt.Sprintf("needs the in-process crash point %s (fault %s)", tr.Point, name)
		case faults.OnEvent:
			if nodeEvents[tr.Kind] {
				return fmt.Sprintf("triggers on the node event %s (fault %s), which an external server does not report", tr.Kind, name)
			}
		}
		switch a := f.Action.(type) {
		case *faults.DropSessions, *faults.LoseTail, *faults.SlowDisk, *faults.NodeStatus:
			return fmt.Sprintf("needs the in-process node action %s (fault %s)", a.Kind(), name)
		case *faults.Kill:
			if t.KillCmd == "" {
				return fmt.Sprintf("kills a node (fault %s): give --kill-cmd", name)
			}
			if a.RestartAfter > 0 && t.RestartCmd == "" {
				return fmt.Sprintf("restarts a node (fault %s): give --restart-cmd", name)
			}
		case *faults.Restart:
			if t.RestartCmd == "" {
				return fmt.Sprintf("restarts a node (fault %s): give --restart-cmd", name)
			}
		}
		if f.Action != nil && faults.NeedsMockApp(f.Action) && t.AppAddr == "" {
			return fmt.Sprintf("needs the mock app's %s fault (fault %s): the target must notify bitsim's app (--target-app)", f.Action.Kind(), name)
		}
	}
	return ""
}

// nodeKnob names a farm setting other than the topology that sc sets (the
// target's own configuration decides those), "" if none.
func nodeKnob(f record.FarmSpec) string {
	v := reflect.ValueOf(f)
	for i := 0; i < v.NumField(); i++ {
		switch v.Type().Field(i).Name {
		case "Nodes", "HostID", "FallbackTimeout", "Balancer", "Notification", "NoFinalCleanup", "RST":
			continue
		}
		if !v.Field(i).IsZero() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			return name
		}
	}
	return ""
}

// ForTarget returns sc aimed at the external server t, with the contract
// expectation; the second result says why it cannot run ("" if it can).
// Deliveries are visible when the server notifies the mock app (AppAddr)
// or an effect probe is configured.
func ForTarget(sc record.Scenario, t *farm.Target) (record.Scenario, string) {
	out := sc
	probe := probeOf(sc.App).Configured()
	out.Expect = ContractExpect(sc.Expect, probe)
	if probe { // the probe counts effects per transaction id
		out.Jobs = append([]record.JobSpec(nil), sc.Jobs...)
		for i := range out.Jobs {
			if out.Jobs[i].Txn == "" {
				out.Jobs[i].Txn = "auto"
			}
		}
	}
	if t.AppAddr == "" {
		// Without the server notifying bitsim's app, deliveries are not seen.
		out.Expect.Verdicts["integrity"] = record.Any
		out.Expect.Verdicts["at-least-once"] = record.Any
	}
	for _, c := range []string{"no-orphans", "host-id-honoured"} {
		if _, ok := check.ByName(c); ok {
			out.Expect.Verdicts[c] = record.Any // node-side views bitsim does not have
		}
	}
	return out, TargetSkipReason(sc, t)
}

// targetTopology is what a target farm of n nodes offers fault actions:
// nodes node1..nodeN and the links shared and node1..nodeN.
type targetTopology int

func (n targetTopology) HasNode(name string) bool {
	k, err := strconv.Atoi(strings.TrimPrefix(name, "node"))
	return strings.HasPrefix(name, "node") && err == nil && k >= 1 && k <= int(n)
}

func (n targetTopology) HasLink(name string) bool { return name == "shared" || n.HasNode(name) }
