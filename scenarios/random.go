package scenarios

import (
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"time"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// randomSchedule draws sc.Random.Faults faults from the seed. Every drawn
// fault heals by itself (a node restarts, a cut happens once, the app fails
// once), so jobs must still finish; all are Optional because a draw may aim
// past the end of a short upload.
func randomSchedule(sc record.Scenario, seed sim.Seed) sim.Schedule {
	r := seed.Fork("faults")
	n := sc.Random.Faults
	if n <= 0 {
		n = 3
	}
	nodes := max(sc.Farm.Nodes, 1)
	points := faults.Points()
	var out sim.Schedule
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("random-%d", i+1)
		node := fmt.Sprintf("node%d", 1+r.IntN(nodes))
		var f sim.Fault
		switch r.IntN(6) {
		case 0: // a node dies at a crash point and comes back
			p := points[r.IntN(len(points))]
			f = sim.Fault{Trigger: sim.Trigger{Point: p.String(), Node: node, Nth: 1 + r.IntN(3)},
				Action: sim.Action{Kind: sim.ActKill, RestartAfter: time.Duration(1+r.IntN(60)) * time.Minute}}
		case 1: // a node dies after the k-th fragment Ack and comes back
			f = sim.Fault{Trigger: sim.Trigger{Event: sim.AckSent, Packet: "Fragment", Node: node, Nth: 1 + r.IntN(8)},
				Action: sim.Action{Kind: sim.ActKill, Node: node, RestartAfter: time.Duration(1+r.IntN(120)) * time.Minute}}
		case 2: // one request is cut after some bytes
			f = sim.Fault{Action: sim.Action{Kind: sim.ActAddToxic, Link: "shared", Toxic: &sim.Toxic{Name: name, Type: "bits_cut_request",
				Stream: sim.Upstream, Attributes: map[string]any{"bytes": 1000 + r.IntN(200_000), "times": 1}}}}
		case 3: // one Ack is lost after the node processed the packet
			f = sim.Fault{Action: sim.Action{Kind: sim.ActAddToxic, Link: "shared", Toxic: &sim.Toxic{Name: name, Type: "bits_drop_ack",
				Attributes: map[string]any{"skip": r.IntN(8), "times": 1}}}}
		case 4: // the app fails one notification
			f = sim.Fault{Action: sim.Action{Kind: sim.ActAppStatus, Status: []int{500, 503, 408}[r.IntN(3)], Times: 1}}
		default: // the app crashes once after processing
			f = sim.Fault{Action: sim.Action{Kind: sim.ActAppCrash, Point: "after-processing", Times: 1}}
		}
		f.Name, f.Optional = name, true
		out = append(out, f)
	}
	return out
}
