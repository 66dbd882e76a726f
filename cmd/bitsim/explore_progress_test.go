package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/explore"
)

// TestExploreProgressBar: the bar counts runs out of the total (an
// exhaustive scope's size too), shows elapsed/budget for a --budget, and
// no rate before rateAfter.
func TestExploreProgressBar(t *testing.T) {
	var b bytes.Buffer
	p := newProgressBar(&b, explore.ScopeSize(1), 0)
	p.update(explore.Progress{Runs: 1, Elapsed: 10 * time.Millisecond})
	if s := b.String(); !strings.Contains(s, "1/51") || strings.Contains(s, "runs/s") {
		t.Errorf("first frame: %q, want 1/51 and no rate", s)
	}
	b.Reset()
	p.update(explore.Progress{Runs: 30, Violations: 1, Failing: 2, Elapsed: 3 * time.Second})
	if s := b.String(); !strings.Contains(s, "10 runs/s, 1 violation (2 failing runs)") || !strings.Contains(s, "2/51") {
		t.Errorf("after 3 s: %q, want 10 runs/s", s)
	}
	b.Reset()
	p = newProgressBar(&b, 0, 5*time.Minute)
	p.update(explore.Progress{Runs: 100, Elapsed: 62 * time.Second})
	if s := b.String(); !strings.Contains(s, "1m2s/5m0s, 100 runs, 2 runs/s") || strings.Contains(s, "/-") {
		t.Errorf("budget: %q, want elapsed/budget and the runs", s)
	}
	b.Reset()
	p.shrink(explore.ShrinkProgress{K: 1, N: 2, Invariant: "exactly-once-effect"})
	p.shrink(explore.ShrinkProgress{K: 1, N: 2, Invariant: "exactly-once-effect", Runs: 1})
	if s := b.String(); !strings.Contains(s, "shrinking 1/2 (exactly-once-effect), 1 run") {
		t.Errorf("shrinking: %q", s)
	}
	p.finish()
	for _, c := range []struct{ n, i, shards, want int }{{300, 0, 1, 300}, {300, 0, 3, 100}, {10, 1, 3, 3}, {10, 0, 3, 4}, {2, 3, 4, 0}} {
		if got := shardRuns(c.n, c.i, c.shards); got != c.want {
			t.Errorf("shardRuns(%d, %d, %d) = %d, want %d", c.n, c.i, c.shards, got, c.want)
		}
	}
}
