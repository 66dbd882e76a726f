package explore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// Options tune an exploration.
type Options struct {
	// Shape fixes parts of the drawn topology (and the app's mode).
	Shape Shape
	// Base, if set, is the farm, client and jobs of every run (bitsim
	// explore -f); its faults are kept and drawn ones added.
	Base *record.Scenario
	// Runs to carry out (0: until Budget).
	Runs int
	// Budget bounds the whole exploration's wall time, shrinking included
	// (0: none; Runs or Budget must be set): no run starts after
	// ExploreShare of it, and the shrinks share what remains; a failure
	// left unshrunk when it has run out says so (Violation.NotShrunk).
	Budget time.Duration
	// Seed of the exploration: run i is a function of (Seed, i).
	Seed sim.Seed
	// Parallel runs at once (default 2).
	Parallel int
	// Invariants names checkers to hold besides Invariants.
	Invariants []string
	// Shard and Shards: run only the runs i with i mod Shards = Shard.
	Shard, Shards int
	// NoShrink keeps the first failing schedule of each distinct failure.
	NoShrink bool
	// MaxRepros bounds how many distinct failures are shrunk (default
	// DefaultMaxRepros).
	MaxRepros int
	// Out receives explore.json and repro/*.yaml ("" : nothing written).
	Out string
	// OnRun is called after each run (from any goroutine).
	OnRun func(p Progress)
	// OnShrink is called as each distinct failure's shrink starts and
	// after each run it plays (candidates, then the other seeds), from any
	// goroutine.
	OnShrink func(p ShrinkProgress)
	// Play runs one scenario (default scenarios.Run on the exact tier).
	Play func(ctx context.Context, sc record.Scenario, seed sim.Seed) (*record.Result, error)
	// HangAfter is the wall time after which a run that has not ended is
	// judged hung (RunCompletes) and abandoned (default 20s).
	HangAfter time.Duration

	// cases, if set, replaces the drawn runs (Exhaustive).
	cases []Case
	scope *Scope
	// now is the clock the budget is read on (default time.Now).
	now func() time.Time
}

// DefaultMaxRepros is how many distinct failures an exploration shrinks
// unless told otherwise: enough for every failure of a typical run (300
// drawn runs of the naive app show about 10, the exhaustive pairs about
// 27); the budget, if any, still bounds the time it takes.
const DefaultMaxRepros = 32

// ExploreShare is the part of Options.Budget spent exploring; the rest is
// for shrinking (and, when nothing failed, goes unused).
const ExploreShare = 0.75

// BudgetRanOut is Violation.NotShrunk of a failure whose shrink the
// budget left no time for.
const BudgetRanOut = "the --budget ran out"

// caseAt is run i: drawn, or the i-th enumerated case.
func (o Options) caseAt(i int) Case {
	if o.cases != nil {
		return o.cases[i]
	}
	return CaseAt(o.Seed, i, o.Base, o.Shape)
}

// Progress is the exploration's state after a run.
type Progress struct {
	Runs, Violations, Failing int
	Elapsed                   time.Duration
}

// Report is the exploration's outcome, saved as explore.json.
type Report struct {
	Runs       int         `json:"runs"`
	RatePerMin float64     `json:"rate_per_min"`
	Violations []Violation `json:"violations"`
	// FailingRuns is how many runs broke an invariant.
	FailingRuns int      `json:"failing_runs"`
	Seed        sim.Seed `json:"seed"`
	App         string   `json:"app"`
	Shard       string   `json:"shard,omitempty"`
	// ExploreSeconds is the wall time of the runs; WallSeconds of the
	// whole exploration (shrinking included).
	ExploreSeconds float64  `json:"explore_s"`
	WallSeconds    float64  `json:"wall_s"`
	Invariants     []string `json:"invariants"`
	// Coverage counts, per grammar class, the faults drawn and fired.
	Coverage map[string]*Coverage `json:"coverage"`
	// Slowest are the runs that took the most wall time.
	Slowest []SlowRun `json:"slowest,omitempty"`
	// Scope is set by an exhaustive exploration.
	Scope *Scope `json:"exhaustive,omitempty"`
	// Shards are the shards a merged exploration came from (Merge), and
	// Missing the shards of 0/n ... n-1/n that were not given.
	Shards  []ShardRun `json:"shards,omitempty"`
	Missing []string   `json:"missing_shards,omitempty"`
}

// SlowRun is one of the slowest runs of an exploration.
type SlowRun struct {
	Run    int      `json:"run"`
	WallS  float64  `json:"wall_s"`
	Events int      `json:"events"`
	Faults []string `json:"faults"`
}

// Coverage is how often a grammar class was drawn and fired.
type Coverage struct {
	Drawn int `json:"drawn"`
	Fired int `json:"fired"`
}

// Violation is one distinct failure and its reproducer.
type Violation struct {
	Invariant string `json:"invariant"`
	// Repro is the reproducer's path, relative to Out.
	Repro string `json:"repro"`
	// Faults in the reproducer's schedule; ShrunkFrom in the first failing
	// schedule.
	Faults      int    `json:"faults"`
	ShrunkFrom  int    `json:"shrunk_from"`
	Explanation string `json:"explanation"`
	// Shape is the grouping key (Failure.Shape); Label the cause as users
	// read it, from the reproducer's run (Failure.Label).
	Shape string `json:"shape"`
	Label string `json:"label,omitempty"`
	// Seen is how many runs showed this failure; FirstRun the first.
	Seen     int      `json:"seen"`
	FirstRun int      `json:"first_run"`
	Seed     sim.Seed `json:"seed"`
	// Replay is the command that reproduces it.
	Replay string `json:"replay"`
	// NotShrunk says why the reproducer is the first failing schedule as
	// drawn ("--no-shrink", the --max-repros limit, or BudgetRanOut); empty
	// when shrunk.
	NotShrunk string `json:"not_shrunk,omitempty"`
	// Steps are the shrink steps taken, in order.
	Steps         []string `json:"shrink_steps,omitempty"`
	ShrinkRuns    int      `json:"shrink_runs"`
	ShrinkSeconds float64  `json:"shrink_s"`
	// OtherSeeds says how many of 10 other seeds reproduce it too.
	OtherSeeds string `json:"other_seeds,omitempty"`
	// Scenario is the reproducer.
	Scenario record.Scenario `json:"-"`
	// jobState is the state every job ended in, if they agree.
	jobState string
}

// Case is one drawn run.
type Case struct {
	Index    int
	Seed     sim.Seed
	Scenario record.Scenario
}

// CaseAt draws run i of an exploration: a pure function of (seed, i).
func CaseAt(seed sim.Seed, i int, base *record.Scenario, sh Shape) Case {
	r := seed.Fork(fmt.Sprintf("explore/%d", i))
	runSeed := sim.Seed(r.Uint64() & (1<<53 - 1))
	return Case{Index: i, Seed: runSeed, Scenario: Draw(fmt.Sprintf("explore-%d", i), base, sh, r)}
}

// failing is the first run of a distinct failure.
type failing struct {
	f    Failure
	c    Case
	seen int
}

// Run explores: draws and plays the runs, judges each, then shrinks each
// distinct failure and writes the reproducers and explore.json to Out.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Runs <= 0 && o.Budget <= 0 {
		return nil, fmt.Errorf("explore: give a number of runs or a budget")
	}
	for _, n := range o.Invariants {
		if !KnownInvariant(n) {
			return nil, fmt.Errorf("explore: unknown invariant %q", n)
		}
	}
	if o.Shards <= 0 {
		o.Shards = 1
	}
	if o.Shard < 0 || o.Shard >= o.Shards {
		return nil, fmt.Errorf("explore: shard %d of %d", o.Shard, o.Shards)
	}
	if o.Play == nil {
		o.Play = Play
	}
	if o.Shape.external() {
		// One app, one state: runs one at a time, so that each run's probe
		// difference is its own. They play on the wire tier, bounded by
		// its 2-minute wall-time limit: the watchdog waits longer.
		o.Parallel = 1
		if o.HangAfter <= 0 {
			o.HangAfter = 3 * time.Minute
		}
	}
	o.Play = watchdog(o.Play, o.HangAfter)
	if o.now == nil {
		o.now = time.Now
	}
	start := o.now()
	// end is when the whole exploration must be over, deadline when the
	// last run may start.
	var end, deadline time.Time
	if o.Budget > 0 {
		end = start.Add(o.Budget)
		deadline = end
		if !o.NoShrink {
			deadline = start.Add(time.Duration(float64(o.Budget) * ExploreShare))
		}
	}
	rep := &Report{Seed: o.Seed, App: o.Shape.App.String(), Coverage: map[string]*Coverage{},
		Invariants: append(append([]string(nil), Invariants...), o.Invariants...)}
	if o.Shape.external() {
		rep.App = o.Shape.External.URL
	}
	if o.Shards > 1 {
		rep.Shard = fmt.Sprintf("%d/%d", o.Shard, o.Shards)
	}
	if o.scope != nil {
		// An enumerated scope covers its own classes, not the grammar's.
		rep.Scope = o.scope
		for _, c := range ScopeClasses {
			rep.Coverage[c] = &Coverage{}
		}
	} else {
		for _, p := range o.Shape.Productions() {
			rep.Coverage[p.Class] = &Coverage{}
		}
	}
	var (
		mu    sync.Mutex
		found = map[string]*failing{}
		next  = o.Shard
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || (o.Runs > 0 && next >= o.Runs) || (!deadline.IsZero() && !o.now().Before(deadline)) {
			return 0, false
		}
		i := next
		next += o.Shards
		return i, true
	}
	var wg sync.WaitGroup
	for w := 0; w < max(o.Parallel, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				c := o.caseAt(i)
				res, err := o.Play(ctx, c.Scenario, c.Seed)
				if ctx.Err() != nil {
					return
				}
				fs := Judge(res, err, o.Invariants)
				mu.Lock()
				rep.Runs++
				for _, f := range c.Scenario.Faults {
					cv := rep.Coverage[Class(f)]
					if cv == nil || f.Name != mainName(f.Name) {
						continue
					}
					cv.Drawn++
					if res != nil && res.Fired[f.Name] > 0 {
						cv.Fired++
					}
				}
				if len(fs) > 0 {
					rep.FailingRuns++
				}
				if res != nil {
					rep.noteSlow(c, res)
				}
				if rep.Scope != nil {
					rep.Scope.count(c, len(fs) > 0)
				}
				for _, f := range fs {
					k := f.Key()
					if prev, ok := found[k]; ok {
						prev.seen++
						if i < prev.c.Index {
							prev.f, prev.c = f, c
						}
						continue
					}
					found[k] = &failing{f: f, c: c, seen: 1}
				}
				p := Progress{Runs: rep.Runs, Violations: len(found), Failing: rep.FailingRuns, Elapsed: time.Since(start)}
				mu.Unlock()
				if o.OnRun != nil {
					o.OnRun(p)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	explored := o.now().Sub(start)
	rep.ExploreSeconds = explored.Seconds()
	if explored > 0 {
		rep.RatePerMin = float64(rep.Runs) / explored.Minutes()
	}
	list := make([]*failing, 0, len(found))
	for _, f := range found {
		list = append(list, f)
	}
	sort.Slice(list, func(a, b int) bool {
		if list[a].c.Index != list[b].c.Index {
			return list[a].c.Index < list[b].c.Index
		}
		return list[a].f.Key() < list[b].f.Key()
	})
	maxRepros := o.MaxRepros
	if maxRepros <= 0 {
		maxRepros = DefaultMaxRepros
	}
	for n, fl := range list {
		v := Violation{Invariant: fl.f.Invariant, Shape: fl.f.Shape, Label: fl.f.Label, Explanation: fl.f.Explanation, Seen: fl.seen,
			FirstRun: fl.c.Index, Seed: fl.c.Seed, ShrunkFrom: len(fl.c.Scenario.Faults), Scenario: fl.c.Scenario}
		v.Faults = v.ShrunkFrom
		switch {
		case o.NoShrink:
			v.NotShrunk = "--no-shrink"
		case n >= maxRepros:
			first := fmt.Sprintf("%d distinct failures are", maxRepros)
			if maxRepros == 1 {
				first = "distinct failure is"
			}
			v.NotShrunk = "only the first " + first + " shrunk (--max-repros)"
		case !end.IsZero() && !o.now().Before(end):
			v.NotShrunk = BudgetRanOut
		default:
			o := o // its Play reports the shrink's progress
			o.Play = o.shrinking(n+1, min(len(list), maxRepros), fl.f.Invariant)
			so := ShrinkOptions{Play: o.Play, Invariants: o.Invariants, MaxRuns: shrinkRuns(fl.f), Parallel: o.Parallel, now: o.now}
			if !end.IsZero() {
				// An equal share of what remains to each failure still to
				// shrink; what one leaves goes to the next.
				left := min(len(list), maxRepros) - n
				so.Deadline = o.now().Add(end.Sub(o.now()) / time.Duration(left))
			}
			sr, err := Shrink(ctx, fl.c.Scenario, fl.c.Seed, fl.f, so)
			if err != nil {
				return rep, err
			}
			v.Scenario, v.Steps, v.ShrinkRuns, v.ShrinkSeconds = sr.Scenario, sr.Steps, sr.Runs, sr.Wall.Seconds()
			v.Faults, v.Explanation, v.jobState = len(sr.Scenario.Faults), sr.Failure.Explanation, sr.JobState
			if sr.Failure.Label != "" {
				v.Label = sr.Failure.Label
			}
			if sr.OutOfTime {
				v.Steps = append(v.Steps, "(stopped here: "+BudgetRanOut+")")
			}
			if end.IsZero() || o.now().Before(end) {
				v.OtherSeeds = otherSeeds(ctx, o, sr.Scenario, fl.c.Seed, fl.f, end)
			}
		}
		base := reproName(v.Invariant, v.FirstRun)
		v.Scenario = reproScenario(v, base)
		v.Repro = filepath.Join("repro", base+".yaml")
		v.Replay = fmt.Sprintf("bitsim run -f %s --seed %d", filepath.Join(o.Out, v.Repro), v.Seed)
		rep.Violations = append(rep.Violations, v)
	}
	rep.WallSeconds = o.now().Sub(start).Seconds()
	if o.Out != "" {
		if err := Save(o.Out, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// noteSlow keeps the 5 slowest runs.
func (rep *Report) noteSlow(c Case, res *record.Result) {
	s := SlowRun{Run: c.Index, WallS: res.Wall.Seconds(), Events: len(res.Events)}
	for _, f := range c.Scenario.Faults {
		s.Faults = append(s.Faults, f.Name+": "+f.When()+": "+f.What())
	}
	rep.Slowest = append(rep.Slowest, s)
	sort.Slice(rep.Slowest, func(a, b int) bool { return rep.Slowest[a].WallS > rep.Slowest[b].WallS })
	if len(rep.Slowest) > 5 {
		rep.Slowest = rep.Slowest[:5]
	}
}

// shrinkRuns bounds a shrink: a hang costs its whole wall-time bound per
// failing candidate, so hangs get fewer.
func shrinkRuns(f Failure) int {
	if strings.Contains(f.Explanation, ErrHung.Error()) {
		return 24
	}
	return 0
}

// mainName is a fault's grammar name without a companion's suffix
// ("x1.kill-restart.restart" → "x1.kill-restart").
func mainName(name string) string {
	dots := 0
	for i := 0; i < len(name); i++ {
		if name[i] == '.' {
			if dots++; dots == 2 {
				return name[:i]
			}
		}
	}
	return name
}

// otherSeeds replays the reproducer with 10 other seeds and says how many
// show the same failure ("" when the end, if set, comes first).
func otherSeeds(ctx context.Context, o Options, sc record.Scenario, seed sim.Seed, want Failure, end time.Time) string {
	ctx, cancel := until(ctx, end, o.now)
	defer cancel()
	n := 0
	r := seed.Fork("other-seeds")
	for k := 0; k < 10; k++ {
		s := sim.Seed(r.Uint64() & (1<<53 - 1))
		res, err := o.Play(ctx, sc, s)
		if ctx.Err() != nil || (!end.IsZero() && !o.now().Before(end)) {
			return ""
		}
		if hasFailure(Judge(res, err, o.Invariants), want) {
			n++
		}
	}
	return fmt.Sprintf("%d/10", n)
}

func hasFailure(fs []Failure, want Failure) bool {
	for _, f := range fs {
		if f.Key() == want.Key() {
			return true
		}
	}
	return false
}

// reproName names a distinct failure's reproducer after its invariant and
// its first run ("exactly-once-effect-run17"): one invariant fails first
// in a run at most once, and the name is the same whether the exploration
// ran whole or in shards (Merge).
func reproName(inv string, firstRun int) string {
	return fmt.Sprintf("%s-run%d", inv, firstRun)
}

// ErrHung is the error of a run that did not end within its wall-time
// bound: on the exact tier, a goroutine blocked on something that is not
// durably blocking (a mutex held by another blocked goroutine) stops the
// bubble's clock without the bubble detecting a deadlock.
var ErrHung = errors.New("explore: the run hung (no end within its wall-time bound; a deadlock the bubble cannot see, e.g. on a mutex)")

// watchdog bounds each run's wall time: a run that has not ended after
// d is reported as ErrHung and abandoned (its goroutines stay blocked
// until the process exits).
func watchdog(play func(context.Context, record.Scenario, sim.Seed) (*record.Result, error), d time.Duration) func(context.Context, record.Scenario, sim.Seed) (*record.Result, error) {
	if d <= 0 {
		d = 20 * time.Second
	}
	return func(ctx context.Context, sc record.Scenario, seed sim.Seed) (*record.Result, error) {
		type out struct {
			res *record.Result
			err error
		}
		ch := make(chan out, 1)
		go func() {
			r, err := play(ctx, sc, seed)
			ch <- out{r, err}
		}()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case o := <-ch:
			return o.res, o.err
		case <-t.C:
			return nil, ErrHung
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Play runs one scenario on the exact tier (on the wire tier when it
// aims at an external app, with transaction ids unique to the run).
func Play(ctx context.Context, sc record.Scenario, seed sim.Seed) (*record.Result, error) {
	return scenarios.Run(ctx, sc, seed, scenarios.RunOptions{})
}

// Save writes explore.json and the reproducers under dir.
func Save(dir string, rep *Report) error {
	mk := filepath.Join(dir, "repro")
	if len(rep.Violations) == 0 {
		mk = dir // no reproducer: no empty repro/ folder
	}
	if err := os.MkdirAll(mk, 0o755); err != nil {
		return fmt.Errorf("explore: %w", err)
	}
	for _, v := range rep.Violations {
		b, err := ReproYAML(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, v.Repro), b, 0o644); err != nil {
			return fmt.Errorf("explore: %w", err)
		}
	}
	return writeJSON(filepath.Join(dir, "explore.json"), rep)
}
