package scenarios

import (
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"time"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// randomSchedule draws sc.Random.Faults faults from the seed, each aimed
// where it can bite in the scenario's topology (cuts and lost Acks on the
// node links of a host-id farm); the faults-fired verdict says how many
// fired and how many of those had no observable effect. Every drawn
// fault heals by itself (a node restarts, a cut happens once, the app fails
// once), so jobs must still finish; all are Optional because a draw may aim
// past the end of a short upload.
func randomSchedule(sc record.Scenario, seed sim.Seed) faults.Schedule {
	r := seed.Fork("faults")
	n := sc.Random.Faults
	if n <= 0 {
		n = 3
	}
	nodes := max(sc.Farm.Nodes, 1)
	points := faults.Points()
	var out faults.Schedule
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("random-%d", i+1)
		node := fmt.Sprintf("node%d", 1+r.IntN(nodes))
		// The link a cut or a lost Ack can bite on: on a host-id farm every
		// packet after Create-Session goes to the node's own address, so a
		// cut on the shared link could only ever hit a Create-Session.
		link := "shared"
		if sc.Farm.HostID {
			link = node
		}
		var f faults.Fault
		switch r.IntN(6) {
		case 0: // a node dies at a crash point and comes back
			p := points[r.IntN(len(points))]
			f = faults.Fault{Trigger: faults.AtPoint{Point: p, Node: node, Nth: 1 + r.IntN(3)},
				Action: &faults.Kill{RestartAfter: time.Duration(1+r.IntN(60)) * time.Minute}}
		case 1: // a node dies after the k-th fragment Ack and comes back
			f = faults.Fault{Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Node: node, Nth: 1 + r.IntN(8)},
				Action: &faults.Kill{Node: node, RestartAfter: time.Duration(1+r.IntN(120)) * time.Minute}}
		case 2: // one request is cut after some bytes
			f = faults.Fault{Action: &faults.AddToxic{Link: link, Toxic: &sim.Toxic{Name: name, Type: "bits_cut_request",
				Stream: sim.Upstream, Attributes: map[string]any{"bytes": 1000 + r.IntN(200_000), "times": 1}}}}
		case 3: // one Ack is lost after the node processed the packet
			f = faults.Fault{Action: &faults.AddToxic{Link: link, Toxic: &sim.Toxic{Name: name, Type: "bits_drop_ack",
				Attributes: map[string]any{"skip": r.IntN(8), "times": 1}}}}
		case 4: // the app fails one notification
			f = faults.Fault{Action: &faults.AppStatus{Status: []int{500, 503, 408}[r.IntN(3)], Times: 1}}
		default: // the app crashes once after processing
			f = faults.Fault{Action: &faults.AppCrash{Point: faults.AppAfterProcessing, Times: 1}}
		}
		f.Name, f.Optional = name, true
		out = append(out, f)
	}
	return out
}
