package scenarios_test

import (
	"context"
	"testing"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// TestWireRandomFaultsRunJobsOneAfterAnother: on the wire tier, the jobs
// of a scenario with a random fault schedule run one after another in job
// order (a drawn fault then bites the same job in every run, so the
// outcome counts are the same), each job's first request after the
// previous job's end.
func TestWireRandomFaultsRunJobsOneAfterAnother(t *testing.T) {
	sc, ok := scenarios.Find("random")
	if !ok {
		t.Fatal("no random scenario")
	}
	res, err := scenarios.Run(context.Background(), sc, sim.Seed(42), scenarios.RunOptions{Wire: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tier != record.TierWire {
		t.Fatalf("tier %s", res.Tier)
	}
	first, done := map[string]int{}, map[string]int{}
	for i, e := range res.Events {
		switch e.Kind {
		case sim.ClientRequest:
			if _, seen := first[e.Job]; !seen {
				first[e.Job] = i
			}
		case sim.JobDone:
			done[e.Job] = i
		}
	}
	if len(res.Jobs) < 2 {
		t.Fatalf("%d jobs", len(res.Jobs))
	}
	for k := 1; k < len(res.Jobs); k++ {
		prev, cur := res.Jobs[k-1].Result.Job, res.Jobs[k].Result.Job
		d, okd := done[prev]
		f, okf := first[cur]
		if !okd || !okf || f < d {
			t.Errorf("job %s started (event %d, ok %v) before job %s ended (event %d, ok %v)", cur, f, okf, prev, d, okd)
		}
	}
}
