package explore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MergeVolatile lists the fields of explore.json in which a merge (Merge)
// may differ from the unsharded exploration: those that depend on wall
// time or name the output directory ("violations[]." prefixes a
// violation's field).
var MergeVolatile = []string{"rate_per_min", "explore_s", "wall_s", "slowest", "shards", "missing_shards",
	"violations[].shrink_s", "violations[].replay"}

// ShardRun is one shard's part of a merged exploration (Merge).
type ShardRun struct {
	Shard          string  `json:"shard"`
	Dir            string  `json:"dir"`
	Runs           int     `json:"runs"`
	FailingRuns    int     `json:"failing_runs"`
	Violations     int     `json:"violations"`
	RatePerMin     float64 `json:"rate_per_min"`
	ExploreSeconds float64 `json:"explore_s"`
	WallSeconds    float64 `json:"wall_s"`
}

// IsExploreDir reports whether dir holds an exploration (explore.json).
func IsExploreDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "explore.json"))
	return err == nil
}

// Load reads dir/explore.json.
func Load(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, "explore.json"))
	if err != nil {
		return nil, fmt.Errorf("explore: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("explore: %s: %w", filepath.Join(dir, "explore.json"), err)
	}
	return &rep, nil
}

// Merge merges the explorations in dirs — the shards of one exploration,
// bitsim explore --shard i/n with the same seed, app, shape and --runs on
// several machines — into out: one explore.json and the kept violations'
// reproducers (repro/*.yaml, their replay command pointing into out).
//
// Run i of an exploration is a function of (seed, i) and shard i/n plays
// the runs k with k mod n = i, so the shards together play exactly the
// unsharded exploration's runs. The merge is what the unsharded
// exploration would have written:
//
//   - runs, failing_runs and the coverage counts are summed;
//   - the violations are grouped as Run groups failures, by invariant and
//     cause-chain shape: of the shards' violations with one key, the one
//     with the earliest first run is kept (the unsharded exploration shrinks
//     that very run, with the same seed, to the same reproducer, named the
//     same: reproName) and seen is summed; they are sorted as Run sorts
//     them;
//   - an exhaustive scope's per-class counts are summed, and its bounded
//     guarantee stated when every schedule of the scope was played and
//     none broke an invariant.
//
// Legitimately different from the unsharded exploration: rate_per_min
// (the runs over the shards' summed exploring time: one machine's rate,
// comparable with an unsharded run on the same kind of machine; each
// shard's own rate is in shards), explore_s (summed), wall_s (the longest
// shard's: they run side by side), slowest (wall times), each violation's
// shrink_s and replay (a path into out). Each shard shrinks its own first
// --max-repros distinct failures, so with more distinct failures than that
// the merge may hold shrunk reproducers the unsharded run left unshrunk.
//
// Merge returns the merged report; its violations' Repro paths are
// relative to out, and the reproducers' names (the base of Repro, without
// .yaml) are their run directories' names in the shards.
func Merge(out string, dirs []string) (*Report, error) {
	if len(dirs) == 0 {
		return nil, errors.New("explore: merge: no directory")
	}
	merged := &Report{Coverage: map[string]*Coverage{}}
	type kept struct {
		v   Violation
		dir string
	}
	byKey := map[string]*kept{}
	shardOf := map[int]string{}
	n := 0
	for k, d := range dirs {
		rep, err := Load(d)
		if err != nil {
			return nil, fmt.Errorf("explore: merge: %w", err)
		}
		i, m, err := ParseShard(rep.Shard)
		if err != nil {
			return nil, fmt.Errorf("explore: merge: %s: %w", d, err)
		}
		if k == 0 {
			merged.Seed, merged.App, merged.Invariants, n = rep.Seed, rep.App, rep.Invariants, m
			if rep.Scope != nil {
				sc := *rep.Scope
				sc.ByClass, sc.Guarantee = map[string]*ClassCount{}, ""
				merged.Scope = &sc
			}
		}
		switch {
		case rep.Seed != merged.Seed:
			return nil, fmt.Errorf("explore: merge: %s has seed %d, %s has %d: not shards of one exploration", d, rep.Seed, dirs[0], merged.Seed)
		case rep.App != merged.App:
			return nil, fmt.Errorf("explore: merge: %s explored app %s, %s app %s: not shards of one exploration", d, rep.App, dirs[0], merged.App)
		case !slices.Equal(rep.Invariants, merged.Invariants):
			return nil, fmt.Errorf("explore: merge: %s and %s hold different invariants", d, dirs[0])
		case m != n:
			return nil, fmt.Errorf("explore: merge: %s is shard %s, %s one of %d: not shards of one exploration", d, rep.Shard, dirs[0], n)
		case (rep.Scope == nil) != (merged.Scope == nil):
			return nil, fmt.Errorf("explore: merge: %s and %s: one is exhaustive, the other not", d, dirs[0])
		}
		if prev, dup := shardOf[i]; dup {
			return nil, fmt.Errorf("explore: merge: %s and %s are both shard %d/%d", prev, d, i, n)
		}
		shardOf[i] = d
		merged.Runs += rep.Runs
		merged.FailingRuns += rep.FailingRuns
		merged.ExploreSeconds += rep.ExploreSeconds
		merged.WallSeconds = max(merged.WallSeconds, rep.WallSeconds)
		merged.Shards = append(merged.Shards, ShardRun{Shard: fmt.Sprintf("%d/%d", i, n), Dir: d, Runs: rep.Runs, FailingRuns: rep.FailingRuns,
			Violations: len(rep.Violations), RatePerMin: rep.RatePerMin, ExploreSeconds: rep.ExploreSeconds, WallSeconds: rep.WallSeconds})
		for cl, c := range rep.Coverage {
			if merged.Coverage[cl] == nil {
				merged.Coverage[cl] = &Coverage{}
			}
			merged.Coverage[cl].Drawn += c.Drawn
			merged.Coverage[cl].Fired += c.Fired
		}
		if rep.Scope != nil {
			for cl, c := range rep.Scope.ByClass {
				t := merged.Scope.ByClass[cl]
				if t == nil {
					t = &ClassCount{Faults: c.Faults}
					merged.Scope.ByClass[cl] = t
				}
				t.Schedules += c.Schedules
				t.Failing += c.Failing
			}
		}
		merged.Slowest = append(merged.Slowest, rep.Slowest...)
		for _, v := range rep.Violations {
			key := Failure{Invariant: v.Invariant, Shape: v.Shape}.Key()
			prev := byKey[key]
			if prev == nil {
				byKey[key] = &kept{v: v, dir: d}
				continue
			}
			seen := prev.v.Seen + v.Seen
			if v.FirstRun < prev.v.FirstRun {
				*prev = kept{v: v, dir: d}
			}
			prev.v.Seen = seen
		}
	}
	sort.Slice(merged.Shards, func(a, b int) bool { return merged.Shards[a].Shard < merged.Shards[b].Shard })
	sort.SliceStable(merged.Slowest, func(a, b int) bool { return merged.Slowest[a].WallS > merged.Slowest[b].WallS })
	if len(merged.Slowest) > 5 {
		merged.Slowest = merged.Slowest[:5]
	}
	if merged.ExploreSeconds > 0 {
		merged.RatePerMin = float64(merged.Runs) / (merged.ExploreSeconds / 60)
	}
	list := make([]*kept, 0, len(byKey))
	for _, k := range byKey {
		list = append(list, k)
	}
	sort.Slice(list, func(a, b int) bool {
		va, vb := list[a].v, list[b].v
		if va.FirstRun != vb.FirstRun {
			return va.FirstRun < vb.FirstRun
		}
		return Failure{Invariant: va.Invariant, Shape: va.Shape}.Key() < Failure{Invariant: vb.Invariant, Shape: vb.Shape}.Key()
	})
	mk := filepath.Join(out, "repro")
	if len(list) == 0 {
		mk = out
	}
	if err := os.MkdirAll(mk, 0o755); err != nil {
		return nil, fmt.Errorf("explore: merge: %w", err)
	}
	for _, k := range list {
		v := k.v
		b, err := os.ReadFile(filepath.Join(k.dir, v.Repro))
		if err != nil {
			return nil, fmt.Errorf("explore: merge: %w", err)
		}
		v.Replay = fmt.Sprintf("bitsim run -f %s --seed %d", filepath.Join(out, v.Repro), v.Seed)
		b = replaceComment(b, "# replay: ", reproReplay(v))
		b = replaceComment(b, "# "+v.Invariant+": found by bitsim explore", reproFound(v))
		if err := os.WriteFile(filepath.Join(out, v.Repro), b, 0o644); err != nil {
			return nil, fmt.Errorf("explore: merge: %w", err)
		}
		merged.Violations = append(merged.Violations, v)
	}
	if s := merged.Scope; s != nil && len(merged.Violations) == 0 && merged.Runs == s.Schedules {
		s.Guarantee = guarantee(s, merged.Invariants, merged.Coverage)
	}
	if len(shardOf) < n {
		var missing []string
		for i := 0; i < n; i++ {
			if shardOf[i] == "" {
				missing = append(missing, fmt.Sprintf("%d/%d", i, n))
			}
		}
		merged.Missing = missing
	}
	if err := writeJSON(filepath.Join(out, "explore.json"), merged); err != nil {
		return nil, fmt.Errorf("explore: merge: %w", err)
	}
	return merged, nil
}

// ReproName is a violation's reproducer's scenario name (its YAML file's
// base name, its run directory's name).
func (v Violation) ReproName() string {
	return strings.TrimSuffix(filepath.Base(v.Repro), ".yaml")
}

// ParseShard parses a shard "i/n" (0 <= i < n; "" is 0/1).
func ParseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q: want i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

// replaceComment replaces a reproducer's first comment line starting with
// prefix by line.
func replaceComment(b []byte, prefix, line string) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, l := range lines {
		if !bytes.HasPrefix(l, []byte("#")) {
			break
		}
		if bytes.HasPrefix(l, []byte(prefix)) {
			lines[i] = []byte(line)
			break
		}
	}
	return bytes.Join(lines, nil)
}
