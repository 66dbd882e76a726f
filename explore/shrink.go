package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// ShrinkOptions tune Shrink.
type ShrinkOptions struct {
	// Play runs one scenario (default Play).
	Play func(ctx context.Context, sc record.Scenario, seed sim.Seed) (*record.Result, error)
	// Invariants are the extra invariants of the exploration.
	Invariants []string
	// MaxRuns bounds the candidate runs (default 400).
	MaxRuns int
	// Parallel candidates run at once (default 2); the first candidate in
	// order that still fails wins, so the outcome does not depend on it.
	Parallel int
	// Deadline, if set, ends the shrink: no candidate starts after it and
	// the ones in flight are abandoned; the result is the smallest
	// confirmed scenario so far (ShrinkResult.OutOfTime).
	Deadline time.Time

	// now is the clock the deadline is read on (default time.Now).
	now func() time.Time
}

// ShrinkResult is a shrunk failure.
type ShrinkResult struct {
	Scenario record.Scenario
	Failure  Failure
	// Steps are the accepted shrink steps, in order.
	Steps []string
	// Runs is how many candidates were played; Wall how long it took.
	Runs int
	Wall time.Duration
	// JobState is the state every job ended in (if they agree) in the
	// shrunk run.
	JobState string
	// OutOfTime says the Deadline ended the shrink before it was done.
	OutOfTime bool
}

type candidate struct {
	sc   record.Scenario
	step string
}

// shrinker holds a shrink in progress.
type shrinker struct {
	ctx  context.Context
	o    ShrinkOptions
	seed sim.Seed
	want Failure
	// states are the jobs' final states in the original failing run, by
	// job name (nil if that run gave none, e.g. it hung).
	states map[string]map[string]bool
	cur    record.Scenario
	res    ShrinkResult
}

// Shrink reduces a failing scenario to a smaller one that fails the same
// way with the same seed: the same invariant, the same cause-chain shape
// and the same final state for every job as the original run (so that a
// step cannot turn, say, a duplicate effect into a run where the app
// answers late forever). Delta debugging over the faults, a grammar fault
// and its companions (x1.kill, x1.kill.restart) removed as one unit, then
// companions alone (adopted only when the job states still match), then
// greedy passes over jobs, nodes (dropped, or the faults' nodes renamed
// onto a smaller farm), file sizes, triggers and times, until a whole pass
// changes nothing. Each candidate is confirmed by playing it.
func Shrink(ctx context.Context, sc record.Scenario, seed sim.Seed, want Failure, o ShrinkOptions) (ShrinkResult, error) {
	if o.Play == nil {
		o.Play = Play
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 400
	}
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.now == nil {
		o.now = time.Now
	}
	start := time.Now()
	s := &shrinker{ctx: ctx, o: o, seed: seed, want: want, cur: sc}
	var cancel context.CancelFunc
	s.ctx, cancel = until(ctx, o.Deadline, o.now)
	defer cancel()
	s.res.Failure = want
	if !s.outOfTime() {
		// The original failing run: its job states are what every
		// candidate must end in too.
		res, err := o.Play(s.ctx, sc, seed)
		s.res.Runs++
		if f, ok := s.same(res, err); ok && s.ctx.Err() == nil {
			s.res.Failure, s.res.JobState = f, jobState(res)
			s.states = jobStates(res)
		}
	}
	for changed := true; changed && !s.outOfTime() && s.res.Runs < o.MaxRuns; {
		changed = false
		for _, pass := range []func() bool{s.faultSets, s.companions, s.jobs, s.topology, s.sizes, s.simplify} {
			if pass() {
				changed = true
			}
		}
	}
	s.res.Scenario = s.cur
	s.res.Wall = time.Since(start)
	if ctx.Err() != nil {
		return s.res, ctx.Err()
	}
	s.res.OutOfTime = s.outOfTime()
	return s.res, nil
}

// until is ctx, ended at end as read on now (never if end is zero).
func until(ctx context.Context, end time.Time, now func() time.Time) (context.Context, context.CancelFunc) {
	if end.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, end.Sub(now()))
}

// outOfTime reports whether the shrink must stop: its context is done or
// its deadline passed.
func (s *shrinker) outOfTime() bool {
	return s.ctx.Err() != nil || (!s.o.Deadline.IsZero() && !s.o.now().Before(s.o.Deadline))
}

// play runs a candidate and says whether it still fails the same way.
func (s *shrinker) play(sc record.Scenario) (bool, Failure, string) {
	if scenarios.Validate(sc) != nil {
		return false, Failure{}, ""
	}
	res, err := s.o.Play(s.ctx, sc, s.seed)
	if s.ctx.Err() != nil {
		return false, Failure{}, "" // cut short: says nothing
	}
	if f, ok := s.same(res, err); ok && s.sameStates(res) {
		return true, f, jobState(res)
	}
	return false, Failure{}, ""
}

// same returns the failure of a run that has the wanted invariant and
// cause-chain shape.
func (s *shrinker) same(res *record.Result, err error) (Failure, bool) {
	for _, f := range Judge(res, err, s.o.Invariants) {
		if f.Key() == s.want.Key() {
			return f, true
		}
	}
	return Failure{}, false
}

// sameStates reports whether every job of res ended in a state the job of
// that name ended in in the original failing run.
func (s *shrinker) sameStates(res *record.Result) bool {
	if s.states == nil || res == nil {
		return true
	}
	for _, j := range res.Jobs {
		if !s.states[j.Name][j.Result.State] {
			return false
		}
	}
	return true
}

// jobStates are the final states of a run's jobs, by job name.
func jobStates(res *record.Result) map[string]map[string]bool {
	if res == nil || len(res.Jobs) == 0 {
		return nil
	}
	out := map[string]map[string]bool{}
	for _, j := range res.Jobs {
		if out[j.Name] == nil {
			out[j.Name] = map[string]bool{}
		}
		out[j.Name][j.Result.State] = true
	}
	return out
}

func jobState(res *record.Result) string {
	st := ""
	if res == nil {
		return ""
	}
	for i, j := range res.Jobs {
		if i > 0 && j.Result.State != st {
			return ""
		}
		st = j.Result.State
	}
	return st
}

// first plays the candidates, Parallel at a time, and adopts the first in
// order that still fails.
func (s *shrinker) first(cands []candidate) bool {
	for lo := 0; lo < len(cands); lo += s.o.Parallel {
		if s.outOfTime() || s.res.Runs >= s.o.MaxRuns {
			return false
		}
		hi := min(lo+s.o.Parallel, len(cands))
		type out struct {
			ok    bool
			f     Failure
			state string
		}
		outs := make([]out, hi-lo)
		var wg sync.WaitGroup
		for i := lo; i < hi; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ok, f, st := s.play(cands[i].sc)
				outs[i-lo] = out{ok, f, st}
			}(i)
		}
		wg.Wait()
		s.res.Runs += hi - lo
		for i, o := range outs {
			if o.ok {
				c := cands[lo+i]
				s.cur, s.res.Failure, s.res.JobState = c.sc, o.f, o.state
				s.res.Steps = append(s.res.Steps, c.step)
				return true
			}
		}
	}
	return false
}

// untilStuck adopts candidates from gen until none still fails.
func (s *shrinker) untilStuck(gen func() []candidate) bool {
	changed := false
	for {
		cands := gen()
		if len(cands) == 0 || !s.first(cands) {
			return changed
		}
		changed = true
	}
}

// groups are the schedule's faults grouped by grammar fault (a fault and
// its companions), in order.
func groups(sched faults.Schedule) [][]int {
	var out [][]int
	at := map[string]int{}
	for i, f := range sched {
		k := mainName(f.Name)
		if f.Name == "" {
			k = fmt.Sprintf("#%d", i)
		}
		g, ok := at[k]
		if !ok {
			g = len(out)
			at[k] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}

// without returns sc without the faults at the given indices.
func without(sc record.Scenario, drop map[int]bool) record.Scenario {
	var keep faults.Schedule
	for i, f := range sc.Faults {
		if !drop[i] {
			keep = append(keep, f)
		}
	}
	sc.Faults = keep
	return sc
}

func names(sched faults.Schedule, idx map[int]bool) string {
	var out []string
	for i, f := range sched {
		if idx[i] {
			out = append(out, fmt.Sprintf("%s (%s)", sched.FaultName(i), f.What()))
		}
	}
	return strings.Join(out, ", ")
}

// faultSets is delta debugging over the fault groups: remove chunks of
// halving size while the failure persists.
func (s *shrinker) faultSets() bool {
	changed := false
	n := 2
	for {
		gs := groups(s.cur.Faults)
		if len(gs) < 2 || n > len(gs) {
			if len(gs) == 1 && len(s.cur.Faults) > 0 {
				// A single fault may still not be needed at all.
				drop := map[int]bool{}
				for _, i := range gs[0] {
					drop[i] = true
				}
				if s.first([]candidate{{without(s.cur, drop), "removed " + names(s.cur.Faults, drop)}}) {
					changed = true
				}
			}
			return changed
		}
		var cands []candidate
		size := (len(gs) + n - 1) / n
		for lo := 0; lo < len(gs); lo += size {
			drop := map[int]bool{}
			for _, g := range gs[lo:min(lo+size, len(gs))] {
				for _, i := range g {
					drop[i] = true
				}
			}
			cands = append(cands, candidate{without(s.cur, drop), "removed " + names(s.cur.Faults, drop)})
		}
		if s.first(cands) {
			changed = true
			n = max(n-1, 2)
			continue
		}
		if size == 1 {
			return changed
		}
		n = min(2*n, len(gs))
	}
}

// companions drops a restart companion (x1.kill.restart,
// x2.app-crash.restart) without its fault. The job-state check keeps it
// where it matters (a node never restarted ends its jobs in another
// state); a restart the failure does not need goes. A heal is never tried
// alone: without it the fault lasts forever (an app slow for every
// notification until the run's protocol-time cap), a candidate that is
// refused anyway but costs seconds and gigabytes to play.
func (s *shrinker) companions() bool {
	return s.untilStuck(func() []candidate {
		var cands []candidate
		for i, f := range s.cur.Faults {
			if f.Name != "" && mainName(f.Name) != f.Name && !strings.HasSuffix(f.Name, ".heal") {
				drop := map[int]bool{i: true}
				cands = append(cands, candidate{without(s.cur, drop), "removed " + names(s.cur.Faults, drop)})
			}
		}
		return cands
	})
}

// jobs drops jobs and halves counts.
func (s *shrinker) jobs() bool {
	return s.untilStuck(func() []candidate {
		var cands []candidate
		for i, j := range s.cur.Jobs {
			if len(s.cur.Jobs) > 1 {
				c := s.cur
				c.Jobs = append(append([]record.JobSpec(nil), c.Jobs[:i]...), c.Jobs[i+1:]...)
				cands = append(cands, candidate{c, "removed job " + j.Name})
			}
			if j.Count > 1 {
				c := s.cur
				c.Jobs = append([]record.JobSpec(nil), c.Jobs...)
				c.Jobs[i].Count = j.Count / 2
				cands = append(cands, candidate{c, fmt.Sprintf("job %s: %d copies instead of %d", j.Name, j.Count/2, j.Count)})
			}
		}
		return cands
	})
}

// topology removes the last node (when no fault names it), or renames the
// nodes the faults name into a smaller farm, the fewest nodes first (node2
// and node3 of 3 become node1 of 1, else node1 and node2 of 2; a pinned
// balancer follows its node), and turns the balancer round-robin, drops
// the host id and shared storage.
func (s *shrinker) topology() bool {
	return s.untilStuck(func() []candidate {
		var cands []candidate
		nodes := max(s.cur.Farm.Nodes, 1)
		fewer := func(c record.Scenario, n int) record.Scenario {
			c.Farm.Nodes = n
			if n == 1 {
				c.Farm.HostID = false
			}
			return c
		}
		used := usedNodes(s.cur.Faults, nodes)
		if nodes > 1 && !slices.Contains(used, nodes) {
			cands = append(cands, candidate{fewer(s.cur, nodes-1), fmt.Sprintf("%s instead of %d", Plural(nodes-1, "node"), nodes)})
		} else if nodes > 1 {
			// The last node is named: fit the named nodes into node1..nodeK
			// of a smaller farm, the fewest nodes first (in order, each
			// as high as it can stay; all of them node1 for K = 1).
			for k := 1; k < nodes; k++ {
				to := map[int]int{}
				for i, n := range used {
					if k >= len(used) {
						to[n] = min(n, k-(len(used)-1-i))
					} else {
						to[n] = min(i+1, k)
					}
				}
				c := fewer(s.cur, k)
				c.Faults = renameNodes(s.cur.Faults, to)
				if m, ok := to[c.Farm.Balancer.Node]; ok && c.Farm.Balancer.Kind == knob.Pin {
					c.Farm.Balancer.Node = m // the pinned node goes with its name
				}
				cands = append(cands, candidate{c, fmt.Sprintf("%s instead of %d (%s)", Plural(k, "node"), nodes, renames(used, to))})
			}
		}
		if s.cur.Farm.Balancer.Kind != knob.RoundRobin {
			c := s.cur
			c.Farm.Balancer = knob.Policy{}
			cands = append(cands, candidate{c, "round-robin balancer instead of " + s.cur.Farm.Balancer.String()})
		}
		if s.cur.Farm.HostID {
			c := s.cur
			c.Farm.HostID = false
			cands = append(cands, candidate{c, "no host id"})
		}
		if s.cur.Farm.Storage != knob.LocalStorage {
			c := s.cur
			c.Farm.Storage = knob.LocalStorage
			cands = append(cands, candidate{c, "local storage"})
		}
		return cands
	})
}

// usedNodes lists, in order, the nodes 1..nodes that a fault names (as a
// node or in a link's name).
func usedNodes(sched faults.Schedule, nodes int) []int {
	var out []int
	for n := 1; n <= nodes; n++ {
		if mentions(sched, fmt.Sprintf("node%d", n)) {
			out = append(out, n)
		}
	}
	return out
}

// mentions reports whether any fault names word (a node or link).
func mentions(sched faults.Schedule, word string) bool {
	for _, f := range sched {
		b, _ := json.Marshal(f)
		for _, q := range nodeWords(word) {
			if strings.Contains(string(b), q) {
				return true
			}
		}
	}
	return false
}

// nodeWords are the quoted strings that name a node in a saved fault: the
// node itself and its link to the app.
func nodeWords(node string) []string {
	return []string{`"` + node + `"`, `"app-from-` + node + `"`}
}

// renameNodes returns sched with node n named node to[n] (through its
// saved form; every fault is a fresh copy).
func renameNodes(sched faults.Schedule, to map[int]int) faults.Schedule {
	out := make(faults.Schedule, len(sched))
	for i, f := range sched {
		b, err := json.Marshal(f)
		if err != nil {
			panic(fmt.Sprintf("explore: %v", err))
		}
		js := string(b)
		// Through placeholders, so that node2→node1 and node1→node2 do not
		// meet.
		for n := range to {
			for k, w := range nodeWords(fmt.Sprintf("node%d", n)) {
				js = strings.ReplaceAll(js, w, fmt.Sprintf("\x00%d.%d\x00", n, k))
			}
		}
		for n, m := range to {
			for k, w := range nodeWords(fmt.Sprintf("node%d", m)) {
				js = strings.ReplaceAll(js, fmt.Sprintf("\x00%d.%d\x00", n, k), w)
			}
		}
		if err := json.Unmarshal([]byte(js), &out[i]); err != nil {
			panic(fmt.Sprintf("explore: %v", err))
		}
	}
	return out
}

// renames says how renameNodes renamed: "node2→node1, node3→node2".
func renames(used []int, to map[int]int) string {
	var out []string
	for _, n := range used {
		if to[n] != n {
			out = append(out, fmt.Sprintf("node%d→node%d", n, to[n]))
		}
	}
	if len(out) == 0 {
		return "no fault renamed"
	}
	return strings.Join(out, ", ")
}

// sizes halves the files (down to 1 KiB) and snaps them to whole
// fragments.
func (s *shrinker) sizes() bool {
	return s.untilStuck(func() []candidate {
		var cands []candidate
		for i, j := range s.cur.Jobs {
			for _, size := range []int64{j.Size / 2, (j.Size / frag) * frag} {
				if size < 1024 || size >= j.Size {
					continue
				}
				c := s.cur
				c.Jobs = append([]record.JobSpec(nil), c.Jobs...)
				c.Jobs[i].Size = size
				cands = append(cands, candidate{c, fmt.Sprintf("job %s: %d bytes instead of %d", j.Name, size, j.Size)})
			}
		}
		return cands
	})
}

// simplify tries, fault by fault, simpler triggers and earlier or shorter
// times.
func (s *shrinker) simplify() bool {
	return s.untilStuck(func() []candidate {
		var cands []candidate
		for i, f := range s.cur.Faults {
			for _, v := range simpler(f) {
				c := s.cur
				c.Faults = append(faults.Schedule(nil), c.Faults...)
				c.Faults[i] = v.f
				cands = append(cands, candidate{c, fmt.Sprintf("%s: %s", s.cur.Faults.FaultName(i), v.step)})
			}
		}
		return cands
	})
}

type variant struct {
	f    faults.Fault
	step string
}

// clone deep-copies a fault through its saved form.
func clone(f faults.Fault) faults.Fault {
	b, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("explore: %v", err))
	}
	var out faults.Fault
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("explore: %v", err))
	}
	return out
}

// simpler lists a fault's simpler variants: a plainer trigger (at once,
// the first occurrence, any node), earlier times, shorter delays.
func simpler(f faults.Fault) []variant {
	var out []variant
	add := func(step string, edit func(*faults.Fault) bool) {
		c := clone(f)
		if edit(&c) {
			out = append(out, variant{c, step})
		}
	}
	switch t := f.Trigger.(type) {
	case faults.AtPoint:
		add("trigger: first time", func(c *faults.Fault) bool { u := t; u.Nth = 0; c.Trigger = u; return t.N() > 1 })
		add("trigger: any node", func(c *faults.Fault) bool { u := t; u.Node = ""; c.Trigger = u; return t.Node != "" })
	case faults.OnEvent:
		add("trigger: at once", func(c *faults.Fault) bool { c.Trigger = nil; return true })
		add("trigger: first time", func(c *faults.Fault) bool { u := t; u.Nth = 0; c.Trigger = u; return t.N() > 1 })
		add("trigger: any packet", func(c *faults.Fault) bool { u := t; u.Packet = ""; c.Trigger = u; return t.Packet != "" })
	case faults.After:
		add("trigger: at once", func(c *faults.Fault) bool { c.Trigger = nil; return t.D > 0 })
		add("trigger: earlier", func(c *faults.Fault) bool { c.Trigger = faults.After{D: t.D / 2}; return t.D >= 2*time.Second })
	case faults.OnBytes:
		add("trigger: at once", func(c *faults.Fault) bool { c.Trigger = nil; return true })
		add("trigger: fewer bytes", func(c *faults.Fault) bool { u := t; u.Bytes /= 2; c.Trigger = u; return t.Bytes >= 2 })
	}
	switch a := f.Action.(type) {
	case *faults.Kill:
		add("restart sooner", func(c *faults.Fault) bool {
			k := c.Action.(*faults.Kill)
			k.RestartAfter = halfTime(a.RestartAfter, time.Minute)
			return k.RestartAfter < a.RestartAfter
		})
	case *faults.AppLatency:
		add("shorter latency", func(c *faults.Fault) bool {
			k := c.Action.(*faults.AppLatency)
			k.Latency = halfTime(a.Latency, time.Second)
			return k.Latency < a.Latency
		})
	case *faults.AppReplyDelay:
		add("shorter delay", func(c *faults.Fault) bool {
			k := c.Action.(*faults.AppReplyDelay)
			k.Latency = halfTime(a.Latency, time.Second)
			return k.Latency < a.Latency
		})
	case *faults.SlowDisk:
		add("shorter stall", func(c *faults.Fault) bool {
			k := c.Action.(*faults.SlowDisk)
			k.Delay = halfTime(a.Delay, time.Second)
			return k.Delay < a.Delay
		})
		add("one write", func(c *faults.Fault) bool { c.Action.(*faults.SlowDisk).Times = 1; return a.Times > 1 })
	case *faults.AppStatus:
		add("once", func(c *faults.Fault) bool { c.Action.(*faults.AppStatus).Times = 1; return a.Times > 1 })
	case *faults.AppCrash:
		add("once", func(c *faults.Fault) bool { c.Action.(*faults.AppCrash).Times = 1; return a.Times > 1 })
	case *faults.LoseTail:
		add("fewer bytes lost", func(c *faults.Fault) bool {
			k := c.Action.(*faults.LoseTail)
			k.Bytes = a.Bytes / 2
			return k.Bytes >= 1
		})
	case *faults.AddToxic:
		if a.Toxic == nil {
			break
		}
		for _, key := range sortedKeys(a.Toxic.Attributes) {
			add("toxic "+key+" smaller", func(c *faults.Fault) bool {
				at := c.Action.(*faults.AddToxic).Toxic.Attributes
				n, ok := number(at[key])
				if !ok || n <= 1 || key == "times" {
					return false
				}
				at[key] = n / 2
				return true
			})
			if key == "skip" || key == "jitter" || key == "size_variation" {
				add("toxic without "+key, func(c *faults.Fault) bool {
					delete(c.Action.(*faults.AddToxic).Toxic.Attributes, key)
					return true
				})
			}
		}
	}
	return out
}

// halfTime halves d, not below floor (0 stays 0).
func halfTime(d, floor time.Duration) time.Duration {
	if d <= floor {
		return d
	}
	return max(d/2, floor).Round(floor)
}

// number reads a toxic attribute as an integer.
func number(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
