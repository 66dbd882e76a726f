package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// Plan is one scenario run to carry out: a scenario and its seed.
type Plan struct {
	Scenario record.Scenario
	Seed     sim.Seed
	// Skip, if set, is why the scenario is reported as skipped, not run.
	Skip string
}

// PlanRuns expands scenarios into runs: one per scenario with the run's
// seed, and for randomized scenarios (label random) K runs with seeds drawn
// from the run's seed (K = randomSeeds, at least 1).
func PlanRuns(list []record.Scenario, seed sim.Seed, randomSeeds int) []Plan {
	var out []Plan
	draw := seed.Fork("random-seeds")
	for _, s := range list {
		if !s.HasLabel(record.LabelRandom) {
			out = append(out, Plan{Scenario: s, Seed: seed})
			continue
		}
		for i := 0; i < max(randomSeeds, 1); i++ {
			out = append(out, Plan{Scenario: s, Seed: sim.Seed(draw.Uint64() & (1<<53 - 1))})
		}
	}
	return out
}

// BatchOptions tune RunCatalogue.
type BatchOptions struct {
	// Out is the run directory (created).
	Out string
	// Seed is the run's seed; Command is recorded in run.json.
	Seed    sim.Seed
	Command []string
	// Parallel is how many scenarios run at once (default 1).
	Parallel int
	// OnDone is called after each scenario run (from any goroutine).
	OnDone func(done, total int, r *record.Result)
	// Run are the per-scenario options (Dir is set per run).
	Run RunOptions
}

// RunCatalogue runs every plan, writes each run's files under Out and the
// index run.json, and returns the index and the results in plan order.
func RunCatalogue(ctx context.Context, plans []Plan, o BatchOptions) (*record.RunIndex, []*record.Result, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, nil, err
	}
	idx := &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Started: time.Now().UTC(), Seed: o.Seed, Command: o.Command, Passed: true, BasePath: o.Out}
	results := make([]*record.Result, len(plans))
	idx.Entries = make([]record.RunEntry, len(plans))
	par := max(o.Parallel, 1)
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	start := time.Now()
	for i, p := range plans {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, p Plan) {
			defer wg.Done()
			defer func() { <-sem }()
			ro := o.Run
			ro.Dir = filepath.Join(o.Out, record.DirName(p.Scenario, p.Seed))
			var r *record.Result
			var err error
			if p.Skip != "" {
				r = Skipped(p.Scenario, p.Seed, p.Skip, ro.Dir)
			} else {
				r, err = Run(ctx, p.Scenario, p.Seed, ro)
			}
			e := record.RunEntry{Name: p.Scenario.Name, Seed: p.Seed, Dir: record.DirName(p.Scenario, p.Seed), Labels: p.Scenario.Labels}
			if err != nil {
				e.Error = err.Error()
				r = &record.Result{Scenario: p.Scenario.Name, Seed: p.Seed, Error: err.Error(), Labels: p.Scenario.Labels, Source: &p.Scenario,
					Failures: []string{err.Error()}, Dir: ro.Dir}
				_ = r.Save(ro.Dir)
			}
			e.Passed, e.Skipped = r.Passed, r.Skipped
			mu.Lock()
			results[i], idx.Entries[i] = r, e
			done++
			n := done
			mu.Unlock()
			if o.OnDone != nil {
				o.OnDone(n, len(plans), r)
			}
		}(i, p)
	}
	wg.Wait()
	idx.Wall = time.Since(start).Seconds()
	for _, e := range idx.Entries {
		idx.Passed = idx.Passed && e.Passed
	}
	if err := record.WriteIndex(o.Out, idx); err != nil {
		return idx, results, err
	}
	return idx, results, ctx.Err()
}

// SortedNames returns scenario names, sorted, for messages.
func SortedNames(list []record.Scenario) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}
