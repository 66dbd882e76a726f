package explore

import (
	"context"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/sim/bubble"
)

// TestExhaustiveSingles plays every single fault of the small scope: with
// the idempotent app every invariant holds and the report states the
// bounded guarantee (with how many faults fired); with the naive app the
// duplicate-effect schedules are listed and no guarantee is given.
func TestExhaustiveSingles(t *testing.T) {
	defer bubble.Use(t)()
	ctx := context.Background()
	if _, err := Exhaustive(ctx, Options{Seed: 1}, 3); err == nil {
		t.Error("--max-faults 3 accepted")
	}
	rep, err := Exhaustive(ctx, Options{Seed: 1, Shape: Shape{App: knob.Idempotent}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	sc := rep.Scope
	if sc == nil || rep.Runs != len(Singles()) || sc.Schedules != rep.Runs || sc.Singles != rep.Runs {
		t.Fatalf("idempotent: %d runs, scope %+v", rep.Runs, sc)
	}
	n := 0
	for _, c := range ScopeClasses {
		n += sc.ByClass[c].Faults
		if sc.ByClass[c].Failing != 0 {
			t.Errorf("idempotent: class %s failing: %+v", c, sc.ByClass[c])
		}
	}
	if n != rep.Runs {
		t.Errorf("coverage table counts %d faults, want %d", n, rep.Runs)
	}
	if len(rep.Violations) != 0 || !strings.HasPrefix(sc.Guarantee, "Bounded guarantee: ") || !strings.Contains(sc.Guarantee, " faults placed fired") {
		t.Errorf("idempotent: violations %+v, guarantee %q", rep.Violations, sc.Guarantee)
	}
	rep, err = Exhaustive(ctx, Options{Seed: 1, Shape: Shape{App: knob.Naive}, NoShrink: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scope.Guarantee != "" || len(rep.Violations) == 0 || rep.FailingRuns == 0 {
		t.Fatalf("naive: %d failing runs, violations %+v, guarantee %q", rep.FailingRuns, rep.Violations, rep.Scope.Guarantee)
	}
	for _, v := range rep.Violations {
		if v.Invariant != "exactly-once-effect" {
			t.Errorf("naive: unexpected violation %+v", v)
		}
		if v.NotShrunk != "--no-shrink" || !strings.Contains(v.Summary(), "not shrunk: --no-shrink") {
			t.Errorf("naive: reproducer summary %q", v.Summary())
		}
	}
}
