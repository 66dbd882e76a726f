package reports

import (
	"strings"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

// TestTimelineDoomedSession: a drop deferred for a busy session shows on
// the node's lane as doomed, then expired.
func TestTimelineDoomedSession(t *testing.T) {
	evs := []sim.Event{
		{Seq: 1, At: sim.Epoch, Kind: sim.NodeStarted, Source: "node1", Node: "node1"},
		{Seq: 2, At: sim.Epoch, Kind: sim.SessionDoomed, Source: "node1", Node: "node1", Session: "s", Reason: "dropped by fault x"},
		{Seq: 3, At: sim.Epoch, Kind: sim.SessionExpired, Source: "node1", Node: "node1", Session: "s", Reason: "dropped by fault x"},
	}
	var labels []string
	for _, r := range buildTimeline(evs, nil, 240).rows {
		labels = append(labels, r.label)
	}
	got := strings.Join(labels, " | ")
	if !strings.Contains(got, "session doomed (dropped by fault x): dropped when its packet is done | session expired (dropped by fault x)") {
		t.Errorf("timeline rows: %s", got)
	}
}
