package explore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMerge: shards' counts are summed, a failure found in two shards is
// kept once (the earliest first run, seen summed, its reproducer's comment
// lines rewritten), an exhaustive scope's guarantee is stated once every
// schedule was played, and directories that are not shards of one
// exploration are refused.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	save := func(name string, rep *Report) string {
		t.Helper()
		d := filepath.Join(dir, name)
		for i := range rep.Violations {
			v := &rep.Violations[i]
			v.Repro = filepath.Join("repro", reproName(v.Invariant, v.FirstRun)+".yaml")
			v.Replay = "bitsim run -f " + filepath.Join(d, v.Repro)
			v.Scenario.Name = v.ReproName()
		}
		if err := Save(d, rep); err != nil {
			t.Fatal(err)
		}
		return d
	}
	scope := func(schedules, failing int) *Scope {
		return &Scope{Description: "d", MaxFaults: 1, Singles: 4, Schedules: 4,
			ByClass: map[string]*ClassCount{"crash-point": {Faults: 4, Schedules: schedules, Failing: failing}}}
	}
	inv := []string{"integrity"}
	dup := Violation{Invariant: "exactly-once-effect", Shape: "case 5", Seen: 1, Faults: 1}
	a := dup
	a.FirstRun = 4
	b := dup
	b.FirstRun, b.Seen = 1, 2
	other := Violation{Invariant: "integrity", Shape: "torn", FirstRun: 3, Seen: 1}
	s0 := save("s0", &Report{Runs: 3, FailingRuns: 1, Seed: 9, App: "naive", Shard: "0/2", Invariants: inv, ExploreSeconds: 1,
		Coverage: map[string]*Coverage{"kill": {Drawn: 2, Fired: 1}}, Violations: []Violation{a}})
	s1 := save("s1", &Report{Runs: 2, FailingRuns: 2, Seed: 9, App: "naive", Shard: "1/2", Invariants: inv, ExploreSeconds: 1,
		Coverage: map[string]*Coverage{"kill": {Drawn: 1, Fired: 1}}, Violations: []Violation{b, other}})
	out := filepath.Join(dir, "merged")
	rep, err := Merge(out, []string{s0, s1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 5 || rep.FailingRuns != 3 || rep.Coverage["kill"].Drawn != 3 || rep.RatePerMin != 150 || len(rep.Shards) != 2 {
		t.Errorf("merged counts: %+v", rep)
	}
	if len(rep.Violations) != 2 || rep.Violations[0].FirstRun != 1 || rep.Violations[0].Seen != 3 || rep.Violations[1].Invariant != "integrity" {
		t.Fatalf("violations: %+v", rep.Violations)
	}
	y, err := os.ReadFile(filepath.Join(out, rep.Violations[0].Repro))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "run 1 (seen in 3 runs)") || !strings.Contains(string(y), "# replay: bitsim run -f "+filepath.Join(out, "repro")) {
		t.Errorf("reproducer's comments not rewritten:\n%s", y)
	}
	if _, err := Load(out); err != nil {
		t.Error(err)
	}

	e0 := save("e0", &Report{Runs: 2, Seed: 9, App: "idempotent", Shard: "0/2", Invariants: inv, Scope: scope(2, 0)})
	e1 := save("e1", &Report{Runs: 2, Seed: 9, App: "idempotent", Shard: "1/2", Invariants: inv, Scope: scope(2, 0)})
	rep, err = Merge(filepath.Join(dir, "em"), []string{e0, e1})
	if err != nil || rep.Scope.ByClass["crash-point"].Schedules != 4 || !strings.HasPrefix(rep.Scope.Guarantee, "Bounded guarantee") {
		t.Errorf("exhaustive merge: %v %+v", err, rep.Scope)
	}
	if rep, err = Merge(filepath.Join(dir, "half"), []string{e0}); err != nil || rep.Scope.Guarantee != "" || len(rep.Missing) != 1 {
		t.Errorf("half an exhaustive scope: %v, guarantee %q, missing %v", err, rep.Scope.Guarantee, rep.Missing)
	}

	other9 := save("seed8", &Report{Runs: 1, Seed: 8, App: "naive", Shard: "1/2", Invariants: inv})
	for name, dirs := range map[string][]string{
		"another seed":   {s0, other9},
		"the same shard": {s0, s0},
		"another app":    {s1, e0},
	} {
		if _, err := Merge(filepath.Join(dir, "bad"), dirs); err == nil {
			t.Errorf("%s: merged", name)
		}
	}
}
