package scenarios_test

import (
	"testing"

	"github.com/bitsim/bitsim/scenarios"
)

// TestFindScaleOfAnySize: "scale-N" names the scale scenario of N jobs for
// any N (the catalogue holds 1,000 and 10,000); malformed sizes are not
// scenarios.
func TestFindScaleOfAnySize(t *testing.T) {
	for _, tc := range []struct {
		name         string
		jobs, nodes  int
		found, inCat bool
	}{
		{"scale-1000", 1000, 8, true, true},
		{"scale-10000", 10_000, 16, true, true},
		{"scale-2000", 2000, 8, true, false},
		{"scale-7500", 7500, 12, true, false},
		{"scale-0", 0, 0, false, false},
		{"scale-02000", 0, 0, false, false},
		{"scale-x", 0, 0, false, false},
	} {
		sc, ok := scenarios.Find(tc.name)
		if ok != tc.found {
			t.Errorf("Find(%q) found = %v, want %v", tc.name, ok, tc.found)
			continue
		}
		if !ok {
			continue
		}
		if sc.Name != tc.name || sc.Jobs[0].Count != tc.jobs || sc.Farm.Nodes != tc.nodes || sc.Random.Faults != tc.nodes {
			t.Errorf("Find(%q) = %s, %d jobs, %d nodes, %d faults; want %d jobs, %d nodes and faults",
				tc.name, sc.Name, sc.Jobs[0].Count, sc.Farm.Nodes, sc.Random.Faults, tc.jobs, tc.nodes)
		}
		inCat := false
		for _, c := range scenarios.Catalogue() {
			inCat = inCat || c.Name == tc.name
		}
		if inCat != tc.inCat {
			t.Errorf("%s in the catalogue = %v, want %v", tc.name, inCat, tc.inCat)
		}
	}
}
