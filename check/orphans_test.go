package check

import (
	"testing"

	"github.com/bitsim/bitsim/sim"
)

// no-orphans believes the disk, not the node: a session the node said it
// expired but whose directory is still there fails; one left on a node
// that is down is unknown; without a disk scan the events decide.
func TestNoOrphansReadsTheDisk(t *testing.T) {
	evs := []sim.Event{
		{Kind: sim.NodeStarted, Node: "node1"}, {Kind: sim.NodeStarted, Node: "node2"},
		{Kind: sim.SessionCreated, Node: "node1", Session: "{A}"},
		{Kind: sim.SessionExpired, Node: "node1", Session: "{A}"},
		{Kind: sim.SessionCreated, Node: "node2", Session: "{B}"},
		{Kind: sim.SessionClosed, Node: "node2", Session: "{B}"},
		{Kind: sim.NodeCrashed, Node: "node2"},
	}
	disk := &DiskScan{Sessions: []DiskSession{
		{Storage: "node1", Session: "{A}", Path: "node1/BITS-Sessions/Requests/{A}"},
		{Storage: "node1", Session: "{A}", Path: "node1/BITS-Sessions/Replies/{A}"},
	}}
	for _, tc := range []struct {
		name string
		disk *DiskScan
		want Status
		n    int64
	}{
		{"expired but kept on disk", disk, Fail, 1},
		{"nothing on disk", &DiskScan{}, Pass, 0},
		{"on the storage of a node that is down", &DiskScan{Sessions: []DiskSession{{Storage: "node2", Session: "{B}"}}}, Unknown, 1},
		{"shared storage while a node lives", &DiskScan{Sessions: []DiskSession{{Storage: "shared", Session: "{C}"}}}, Fail, 1},
		{"no scan: the events", nil, Pass, 0},
	} {
		v := NoOrphans{}.Check(Input{Events: evs, Disk: tc.disk})
		if v.Status != tc.want || v.Figures["orphans"] != tc.n {
			t.Errorf("%s: %s with %d orphans, want %s with %d: %s", tc.name, v.Status, v.Figures["orphans"], tc.want, tc.n, v)
		}
	}
}
