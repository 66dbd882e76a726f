package explore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/bubble"
)

// TestShrinkEachDimension shrinks, on the exact tier, a case-5 failure
// built so that one dimension can shrink, and checks the step is taken and
// shows in the result.
func TestShrinkEachDimension(t *testing.T) {
	defer bubble.Use(t)()
	for _, tc := range []struct {
		name  string
		seed  sim.Seed
		build func(*record.Scenario)
		step  string
		check func(record.Scenario) error
	}{
		{"fewer jobs", 3, func(sc *record.Scenario) {
			sc.Jobs = append(sc.Jobs, record.JobSpec{Name: "j2.bin", Size: 150_000, Txn: "auto"})
		}, "removed job ", func(sc record.Scenario) error {
			if len(sc.Jobs) != 1 {
				return fmt.Errorf("%d jobs", len(sc.Jobs))
			}
			return nil
		}},
		// The faults name the last node only: the shrink renames it
		// node1 of a one-node farm (a random balancer sends the upload to
		// node2 with this seed; shared storage keeps the case-5 shape).
		{"fewer nodes", 2, func(sc *record.Scenario) {
			sc.Farm.Nodes, sc.Farm.Storage, sc.Farm.Balancer = 2, knob.SharedStorage, knob.Policy{Kind: knob.Random}
			sc.Faults[0].Trigger = faults.AtPoint{Point: faults.AfterNotifyAnswer, Node: "node2"}
		}, "1 node instead of 2 (node2→node1)", func(sc record.Scenario) error {
			if sc.Farm.Nodes != 1 || mentions(sc.Faults, "node2") {
				return fmt.Errorf("%d nodes, faults %+v", sc.Farm.Nodes, sc.Faults)
			}
			return nil
		}},
		// Pinned to node3 and killing it: the failure needs a second node
		// (the re-upload goes there), so node3 becomes node2 of 2 and the
		// pin follows it.
		{"fewer nodes, pinned", 3, func(sc *record.Scenario) {
			sc.Farm.Nodes, sc.Farm.Balancer = 3, knob.Policy{Kind: knob.Pin, Node: 3}
			sc.Faults[0].Trigger = faults.AtPoint{Point: faults.AfterNotifyAnswer, Node: "node3"}
		}, "2 nodes instead of 3 (node3→node2)", func(sc record.Scenario) error {
			if sc.Farm.Nodes != 2 || mentions(sc.Faults, "node3") {
				return fmt.Errorf("%d nodes, faults %+v", sc.Farm.Nodes, sc.Faults)
			}
			return nil
		}},
		{"smaller files", 3, func(*record.Scenario) {}, "job j1.bin: 75000 bytes instead of 150000", func(sc record.Scenario) error {
			if sc.Jobs[0].Size >= 150_000 {
				return fmt.Errorf("%d bytes", sc.Jobs[0].Size)
			}
			return nil
		}},
		{"simpler triggers", 3, func(sc *record.Scenario) {
			sc.Faults[0].Trigger = faults.AtPoint{Point: faults.AfterNotifyAnswer, Node: "node1"}
		}, "x1.kill-at-point: trigger: any node", func(sc record.Scenario) error {
			if tr := sc.Faults[0].Trigger.(faults.AtPoint); tr.Node != "" {
				return fmt.Errorf("trigger %+v", tr)
			}
			return nil
		}},
		{"earlier times", 3, func(*record.Scenario) {}, "x1.kill-at-point: restart sooner", func(sc record.Scenario) error {
			if k := sc.Faults[0].Action.(*faults.Kill); k.RestartAfter >= 20*time.Minute {
				return fmt.Errorf("restart after %s", k.RestartAfter)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			sc := case5()
			tc.build(&sc)
			res, err := Play(ctx, sc, tc.seed)
			fs := Judge(res, err, nil)
			if len(fs) != 1 || fs[0].Invariant != "exactly-once-effect" {
				t.Fatalf("the input does not fail as expected: %+v", fs)
			}
			sr, err := Shrink(ctx, sc, tc.seed, fs[0], ShrinkOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d runs, %s: %q", sr.Runs, sr.Wall, sr.Steps)
			if !slices.ContainsFunc(sr.Steps, func(s string) bool { return strings.HasPrefix(s, tc.step) }) {
				t.Errorf("no step %q in %q", tc.step, sr.Steps)
			}
			if err := tc.check(sr.Scenario); err != nil {
				t.Errorf("shrunk scenario: %v", err)
			}
			if len(sr.Scenario.Faults) != 1 || sr.Failure.Key() != fs[0].Key() || sr.JobState != "ACKNOWLEDGED" {
				t.Errorf("shrunk to %d faults, %s, job state %q", len(sr.Scenario.Faults), sr.Failure.Key(), sr.JobState)
			}
		})
	}
}

// slowApp is a fake run: the bug needs x1; x2 (a slow app) is needed too,
// and without its heal the job ends in ERROR instead of ACKNOWLEDGED (the
// app answers late forever) while still breaking the same invariant the
// same way.
func slowApp(_ context.Context, sc record.Scenario, _ sim.Seed) (*record.Result, error) {
	has := func(name string) bool {
		return slices.ContainsFunc(sc.Faults, func(f faults.Fault) bool { return f.Name == name })
	}
	res := &record.Result{Jobs: []record.JobResult{{Name: "j1.bin", Result: record.ClientResult{State: "ACKNOWLEDGED"}}}}
	if !has("x1.kill-at-point") || !has("x2.app-reply-delay") {
		return res, nil
	}
	res.Error = "the bug"
	if !has("x2.app-reply-delay.heal") && !has("y3.heal") {
		res.Jobs[0].Result.State = "ERROR"
	}
	return res, nil
}

// TestShrinkKeepsHealWithSlowApp: a slow app's heal is never removed
// alone — it goes with its fault as one unit — and a candidate whose jobs
// end in other states than the original's is not a reproducer of it even
// when the invariant and shape agree.
func TestShrinkKeepsHealWithSlowApp(t *testing.T) {
	ctx := context.Background()
	slow := faults.Fault{Name: "x2.app-reply-delay", Action: &faults.AppReplyDelay{Latency: 6 * time.Minute}}
	heal := faults.Fault{Name: "x2.app-reply-delay.heal", Trigger: faults.OnEvent{Kind: sim.NotifyAnswered}, Action: &faults.AppReplyDelay{}}
	drop := faults.Fault{Name: "x4.drop-sessions", Trigger: faults.After{D: time.Hour}, Action: &faults.DropSessions{Node: "node1"}}
	for _, tc := range []struct {
		name string
		heal faults.Fault
	}{{"companion", heal}, {"not a companion", func() faults.Fault { h := heal; h.Name = "y3.heal"; return h }()}} {
		t.Run(tc.name, func(t *testing.T) {
			sc := case5(slow, tc.heal, drop)
			res, err := slowApp(ctx, sc, 1)
			fs := Judge(res, err, nil)
			if len(fs) != 1 {
				t.Fatalf("%+v", fs)
			}
			sr, err := Shrink(ctx, sc, 1, fs[0], ShrinkOptions{Play: slowApp})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range sr.Scenario.Faults {
				got = append(got, f.Name)
			}
			want := []string{"x1.kill-at-point", "x2.app-reply-delay", tc.heal.Name}
			if !slices.Equal(got, want) || sr.JobState != "ACKNOWLEDGED" {
				t.Errorf("shrunk to %q (jobs %s), want %q; steps %q", got, sr.JobState, want, sr.Steps)
			}
		})
	}
}

// fakeClock is a clock a fake run advances.
type fakeClock struct{ ns atomic.Int64 }

var clockStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *fakeClock) now() time.Time          { return clockStart.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestBudgetCoversShrinking: with --budget the exploration stops drawing
// runs at 3/4 of it and the shrinks share the rest; the failures the
// budget left no time for say so. Every fake run takes 2 s on an injected
// clock and fails its own way (a distinct failure per run).
func TestBudgetCoversShrinking(t *testing.T) {
	var clock fakeClock
	var mu sync.Mutex
	inFlight, most := 0, 0
	play := func(_ context.Context, sc record.Scenario, _ sim.Seed) (*record.Result, error) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		clock.advance(2 * time.Second)
		// "explore-12" fails as "the bug gh": a shape per run.
		n := strings.Map(func(r rune) rune { return 'g' + (r - '0') }, strings.TrimPrefix(sc.Name, "explore-"))
		return &record.Result{Error: "the bug " + n}, nil
	}
	o := Options{Budget: 20 * time.Second, Seed: 1, Parallel: 1, Play: play, now: clock.now}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// Runs start until 15 s: at 0, 2, ..., 14.
	if rep.Runs != 8 || rep.ExploreSeconds != 16 || len(rep.Violations) != 8 {
		t.Fatalf("%d runs in %gs, %d violations", rep.Runs, rep.ExploreSeconds, len(rep.Violations))
	}
	if rep.WallSeconds > 20 {
		t.Errorf("the exploration took %gs of a 20s budget", rep.WallSeconds)
	}
	if v := rep.Violations[0]; v.NotShrunk != "" || !slices.Contains(v.Steps, "(stopped here: "+BudgetRanOut+")") {
		t.Errorf("first violation: not shrunk %q, steps %q", v.NotShrunk, v.Steps)
	}
	for _, v := range rep.Violations[1:] {
		if v.NotShrunk != BudgetRanOut {
			t.Errorf("run %d: not shrunk %q", v.FirstRun, v.NotShrunk)
		}
	}
	if most != 1 {
		t.Errorf("%d runs at once with --parallel 1", most)
	}
}
