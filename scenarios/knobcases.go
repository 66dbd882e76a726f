package scenarios

import (
	"fmt"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// dropBeforeClose drops every session of node1 between the final Ack of a
// two-fragment upload and its Close-Session, as case 9 does.
func dropBeforeClose() faults.Fault {
	return faults.Fault{Name: "drop-before-close", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 2},
		Action: &faults.DropSessions{Node: "node1"}}
}

// typeZero is a one-node farm with BITSServerNotificationType 0: the node
// commits every upload to its destination path itself.
func typeZero() record.FarmSpec {
	return record.FarmSpec{Nodes: 1, Notification: knob.NotifyNone}
}

// noApp are the verdicts of a type-0 run: the app is never posted to.
func noApp() map[string]check.Status {
	return map[string]check.Status{"at-least-once": record.Any, "exactly-once-effect": record.Any}
}

func commits(why string, n int) record.EventCount {
	return record.EventCount{Why: why, Kind: sim.FileCommitted, Min: record.N(n), Max: record.N(n)}
}

// commitCases are knob K2: a type-0 upload whose session is dropped between
// the final Ack and Close-Session, the Close not resent (K4 no-resend).
// Committed at the final fragment, the file is at its destination; committed
// at Close, it never gets there although the job was acknowledged.
func commitCases() []record.Scenario {
	mk := func(c knob.Commit, n int, what string) record.Scenario {
		farm := typeZero()
		farm.Commit = c
		return record.Scenario{
			Name: "k2-commit-" + c.String(), Spec: "§15 (K2)", Labels: []string{record.LabelDerived},
			Description: "Notification type 0, K2=" + c.String() + ": the node drops the session between the final Ack and Close-Session (not resent, K4 no-resend); " + what + ".",
			Farm:        farm,
			Client:      record.ClientSpec{CloseNotFound: knob.CloseNoResend},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib}},
			Faults:      faults.Schedule{dropBeforeClose()},
			Expect: record.Expect{Deliveries: record.N(0), Restarts: record.N(0), JobState: "ACKNOWLEDGED", Verdicts: noApp(),
				Events: []string{"session.expired:dropped"}, EventCounts: []record.EventCount{commits(what, n)}},
		}
	}
	return []record.Scenario{
		mk(knob.CommitOnFinalFragment, 1, "the file was committed with the final Ack, so it is at its destination"),
		mk(knob.CommitOnClose, 0, "the commit waited for Close-Session, so the file never reaches its destination"),
	}
}

// conflictCases are knobs K3 and K11: a type-0 upload is committed at its
// final fragment, its session dropped before Close-Session, and the client
// (K4 restart) creates a new session for the same, now existing,
// destination.
func conflictCases() []record.Scenario {
	mk := func(name, spec string, farm record.FarmSpec, e record.Expect, what string) record.Scenario {
		e.Deliveries, e.Verdicts = record.N(0), noApp()
		e.Events = append(e.Events, "session.expired:dropped")
		return record.Scenario{
			Name: name, Spec: spec, Labels: []string{record.LabelDerived},
			Description: "Notification type 0: the upload is committed at its final fragment, the node drops the session before Close-Session and the client (K4 restart) creates a new session for the same destination, which now exists; " + what + ".",
			Farm:        farm,
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib}},
			Faults:      faults.Schedule{dropBeforeClose()},
			Expect:      e,
		}
	}
	status := func(s int) record.EventCount {
		return record.EventCount{Why: fmt.Sprintf("Create-Session for the existing destination is answered %d, once", s), Kind: sim.AckSent,
			Match: record.EventMatch{Status: s, Packet: "Create-Session"}, Min: record.N(1), Max: record.N(1)}
	}
	f409, f403, over := typeZero(), typeZero(), typeZero()
	f403.ConflictStatus = knob.Conflict403
	over.AllowOverwrites = true
	return []record.Scenario{
		mk("k3-conflict-409", "§15 (K3, K11)", f409,
			record.Expect{JobState: "ERROR", JobCode: "0x80070005", EventCounts: []record.EventCount{status(409), commits("only the first session was committed", 1)}},
			"with K3=409 the node answers 409 E_ACCESSDENIED, fatal: the job stops in ERROR after one try"),
		mk("k3-conflict-403", "§15 (K3, K11)", f403,
			record.Expect{JobState: "ERROR", JobCode: "0x80070005", EventCounts: []record.EventCount{status(403), commits("only the first session was committed", 1)}},
			"with K3=403 the node answers 403 E_ACCESSDENIED, fatal: the job stops in ERROR after one try"),
		mk("k11-type0-overwrite-allowed", "§15 (K11)", over,
			record.Expect{JobState: "ACKNOWLEDGED", Restarts: record.N(1), EventCounts: []record.EventCount{commits("the re-upload replaced the committed file", 2)}},
			"with BITSAllowOverwrites the new session is accepted, the file re-sent and committed again over the first"),
	}
}
