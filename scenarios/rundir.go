package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// RunIndex is run.json, the index of a run directory written by
// RunCatalogue: one subdirectory per scenario run (scenario.json,
// history.json, ledger.json, result.json).
type RunIndex struct {
	Version  int        `json:"version"` // IndexVersion
	Tool     string     `json:"tool"`    // "bitsim"
	Started  time.Time  `json:"started"`
	Wall     float64    `json:"wall_seconds"`
	Seed     sim.Seed   `json:"seed"`    // the run's seed
	Command  []string   `json:"command"` // the command line that produced it
	Passed   bool       `json:"passed"`
	Entries  []RunEntry `json:"scenarios"`
	BasePath string     `json:"-"`
}

// IndexVersion is the version of run.json and result.json written today.
const IndexVersion = 1

// RunEntry is one scenario run in a RunIndex.
type RunEntry struct {
	Name   string   `json:"name"`
	Seed   sim.Seed `json:"seed"`
	Dir    string   `json:"dir"` // relative to the run directory
	Passed bool     `json:"passed"`
	Labels []string `json:"labels,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// Plan is one scenario run to carry out: a scenario and its seed.
type Plan struct {
	Scenario Scenario
	Seed     sim.Seed
}

// PlanRuns expands scenarios into runs: one per scenario with the run's
// seed, and for randomized scenarios (label random) K runs with seeds drawn
// from the run's seed (K = randomSeeds, at least 1).
func PlanRuns(list []Scenario, seed sim.Seed, randomSeeds int) []Plan {
	var out []Plan
	draw := seed.Fork("random-seeds")
	for _, s := range list {
		if !s.HasLabel(LabelRandom) {
			out = append(out, Plan{s, seed})
			continue
		}
		for i := 0; i < max(randomSeeds, 1); i++ {
			out = append(out, Plan{s, sim.Seed(draw.Uint64() & (1<<53 - 1))})
		}
	}
	return out
}

// DirName is the directory of a scenario run inside a run directory.
func DirName(p Plan) string {
	name := strings.NewReplacer("/", "_", " ", "_", "\\", "_", ":", "_").Replace(p.Scenario.Name)
	if p.Scenario.HasLabel(LabelRandom) {
		name += fmt.Sprintf("@%d", p.Seed)
	}
	return name
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
	OnDone func(done, total int, r *Result)
	// Run are the per-scenario options (Dir is set per run).
	Run RunOptions
}

// RunCatalogue runs every plan, writes each run's files under Out and the
// index run.json, and returns the index and the results in plan order.
func RunCatalogue(ctx context.Context, plans []Plan, o BatchOptions) (*RunIndex, []*Result, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, nil, err
	}
	idx := &RunIndex{Version: IndexVersion, Tool: "bitsim", Started: time.Now().UTC(), Seed: o.Seed, Command: o.Command, Passed: true, BasePath: o.Out}
	results := make([]*Result, len(plans))
	idx.Entries = make([]RunEntry, len(plans))
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
			ro.Dir = filepath.Join(o.Out, DirName(p))
			r, err := Run(ctx, p.Scenario, p.Seed, ro)
			e := RunEntry{Name: p.Scenario.Name, Seed: p.Seed, Dir: DirName(p), Labels: p.Scenario.Labels}
			if err != nil {
				e.Error = err.Error()
				r = &Result{Scenario: p.Scenario.Name, Seed: p.Seed, Error: err.Error(), Labels: p.Scenario.Labels, Source: &p.Scenario,
					Failures: []string{err.Error()}, Dir: ro.Dir}
				_ = r.Save(ro.Dir)
			}
			e.Passed = r.Passed
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
	if err := writeJSON(filepath.Join(o.Out, "run.json"), idx); err != nil {
		return idx, results, err
	}
	return idx, results, ctx.Err()
}

// LoadRun reads a run directory: its index and every scenario run's files.
func LoadRun(dir string) (*RunIndex, []*Result, error) {
	var idx RunIndex
	if err := readJSON(filepath.Join(dir, "run.json"), &idx); err != nil {
		return nil, nil, err
	}
	if idx.Version > IndexVersion {
		return nil, nil, fmt.Errorf("scenarios: %s was written by a newer bitsim (version %d)", dir, idx.Version)
	}
	idx.BasePath = dir
	var out []*Result
	for _, e := range idx.Entries {
		r, err := LoadResult(filepath.Join(dir, e.Dir))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return &idx, out, nil
}

// SortedNames returns scenario names, sorted, for messages.
func SortedNames(list []Scenario) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}
