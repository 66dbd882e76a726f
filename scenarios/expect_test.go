package scenarios_test

import (
	"context"
	"encoding/json"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// TestCatalogueSurvivesScenarioJSON: every catalogue scenario, expectations
// included, is data: scenario.json holds all of it, so replay and report
// judge a saved run exactly as the catalogue would.
func TestCatalogueSurvivesScenarioJSON(t *testing.T) {
	for _, sc := range scenarios.Catalogue() {
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		var back record.Scenario
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if diff := cmp.Diff(sc.Expect, back.Expect); diff != "" {
			t.Errorf("%s: scenario.json loses expectations (-catalogue +loaded):\n%s", sc.Name, diff)
		}
		// Toxic attributes come back as float64: compare the JSON.
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if diff := cmp.Diff(string(b), string(again)); diff != "" {
			t.Errorf("%s: scenario.json does not round-trip (-saved +reloaded):\n%s", sc.Name, diff)
		}
	}
}

// TestDeclarativeExpectationsCatchBrokenMechanisms breaks the mechanism
// each former Go-only check guarded and wants the scenario to fail with
// that expectation's words.
func TestDeclarativeExpectationsCatchBrokenMechanisms(t *testing.T) {
	if testing.Short() {
		t.Skip("runs scenarios")
	}
	for _, tc := range []struct {
		scenario string
		breakIt  func(*farm.Config)
		want     string
		why      string
		edit     func(*record.Scenario) // optional: the scenario's own data changes too
	}{
		{"case3-hostid-pins", func(c *farm.Config) { c.HostID = false }, "packets after Create-Session reach one node",
			"without host ids the reconnect (the cut moved to the shared link) reaches another node",
			func(s *record.Scenario) {
				a := *s.Faults[0].Action.(*faults.AddToxic)
				a.Link = "shared"
				s.Faults[0].Action = &a
			}},
		{"case10-overlap-strict", func(c *farm.Config) { c.Node.Overlap = node.OverlapLenient }, "strict overlap answers 416",
			"a lenient node never answers 416", nil},
		{"case10-overlap-lenient", func(c *farm.Config) { c.Node.Overlap = node.OverlapStrict }, "lenient overlap never answers 416",
			"a strict node answers 416", nil},
		{"case12-413-shrink", func(c *farm.Config) { c.Node.MaxFragmentSize = 0 }, "the node answers 413",
			"without a fragment limit nothing is too large", nil},
		{"case15-shared-storage", func(c *farm.Config) { c.Policy = knob.Policy{Kind: knob.Pin, Node: 1} }, "node2 continues the session",
			"a balancer pinned to node1 never lets node2 continue", nil},
		{"case11-lost-tail-rewind", nil, "the client rewinds", "a tail loss of one byte leaves nothing to rewind",
			func(s *record.Scenario) {
				a := *s.Faults[0].Action.(*faults.LoseTail)
				a.Bytes = 1
				s.Faults[0].Action = &a
			}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			sc, ok := scenarios.Find(tc.scenario)
			if !ok {
				t.Fatalf("no scenario %s", tc.scenario)
			}
			if tc.edit != nil {
				tc.edit(&sc)
			}
			res, err := scenarios.Run(context.Background(), sc, sim.Seed(42), scenarios.RunOptions{Mutate: tc.breakIt})
			if err != nil {
				t.Fatal(err)
			}
			if res.Passed || !strings.Contains(strings.Join(res.Failures, "\n"), tc.want) {
				t.Errorf("%s (%s): failures %q, want one saying %q", tc.scenario, tc.why, res.Failures, tc.want)
			}
		})
	}
}
