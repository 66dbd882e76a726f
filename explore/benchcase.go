package explore

import (
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// SixFaultCase is the shrinking benchmark's input (bitsim bench explore,
// TestShrinkSixFaults): a one-node upload whose node dies after the app
// answered and before the final Ack (docs/protocol.md §14 case 5), among
// five faults that do not matter: an app latency, a slow disk, a latency
// toxic, an app 500 an hour in and a session drop 90 hours in. With the
// naive app and the returned seed it fails exactly-once-effect; shrinking
// must keep the kill alone.
func SixFaultCase() (record.Scenario, sim.Seed) {
	sc := case5Scenario()
	sc.Faults = append(sc.Faults,
		faults.Fault{Name: "x2.app-latency", Optional: true, Action: &faults.AppLatency{Latency: 30 * time.Second}},
		faults.Fault{Name: "x3.slow-disk", Optional: true, Trigger: faults.OnEvent{Kind: sim.PacketReceived, Packet: "Fragment", Nth: 2},
			Action: &faults.SlowDisk{Node: "node1", Delay: time.Minute, Times: 2}},
		faults.Fault{Name: "x4.toxic", Optional: true, Action: &faults.AddToxic{Link: "shared",
			Toxic: &sim.Toxic{Name: "x4.toxic", Type: "latency", Stream: sim.Downstream, Attributes: map[string]any{"latency": 400}}}},
		faults.Fault{Name: "x5.app-status", Optional: true, Trigger: faults.After{D: time.Hour}, Action: &faults.AppStatus{Status: 500, Times: 1}},
		faults.Fault{Name: "x6.drop-sessions", Optional: true, Trigger: faults.After{D: 90 * time.Hour}, Action: &faults.DropSessions{Node: "node1"}},
	)
	return sc, 3
}

// case5Scenario is a single-node upload whose node dies after the app
// answered, before the final Ack (restarted 20 minutes later): the naive
// app applies the effect twice.
func case5Scenario() record.Scenario {
	return record.Scenario{Name: "t", Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
		Client: record.ClientSpec{NoProgressTimeout: NoProgressTimeout},
		Jobs:   []record.JobSpec{{Name: "j1.bin", Size: 150_000, Txn: "auto"}},
		Faults: faults.Schedule{{Name: "x1.kill-at-point", Optional: true,
			Trigger: faults.AtPoint{Point: faults.AfterNotifyAnswer}, Action: &faults.Kill{RestartAfter: 20 * time.Minute}}}}
}
