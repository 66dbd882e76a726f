package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/bitsim/bitsim/explore"
)

// rateAfter is how long an exploration runs before its bar shows a rate:
// the first runs end together (one per worker), and a rate over a few
// milliseconds is noise ("18577 runs/s").
const rateAfter = 2 * time.Second

// exploreProgress is explore's progress bar: runs played out of the total
// (or, for a --budget alone, the time spent out of it), runs/s, the
// violations found, then the shrinking.
type exploreProgress struct {
	bar    *progressbar.ProgressBar
	w      io.Writer
	total  int           // runs to play; 0: until the budget
	budget time.Duration // 0: none
	// shrinking: the runs' bar is done, a spinner follows the shrinks.
	shrinking bool
}

// newExploreProgress is the bar on w, or none when off or w is not a
// terminal. total is the runs this process plays (0: until the budget).
func newExploreProgress(w io.Writer, total int, budget time.Duration, off bool) *exploreProgress {
	f, ok := w.(*os.File)
	if off || !ok || !term.IsTerminal(int(f.Fd())) {
		return &exploreProgress{}
	}
	return newProgressBar(w, total, budget)
}

// newProgressBar draws the bar on w whatever w is.
func newProgressBar(w io.Writer, total int, budget time.Duration) *exploreProgress {
	p := &exploreProgress{w: w, total: total, budget: budget}
	opts := []progressbar.Option{progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("explore"),
		progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30)}
	n := total
	if total > 0 {
		opts = append(opts, progressbar.OptionShowCount())
	} else {
		n = int(max(budget/time.Second, 1)) // the bar fills with the time spent
	}
	p.bar = progressbar.NewOptions(n, opts...)
	return p
}

// update shows the exploration's state after a run.
func (p *exploreProgress) update(pr explore.Progress) {
	if p.bar == nil {
		return
	}
	d := "explore: "
	if p.budget > 0 {
		d += fmt.Sprintf("%s/%s, ", pr.Elapsed.Truncate(time.Second), p.budget)
	}
	if p.total == 0 {
		d += explore.Plural(pr.Runs, "run") + ", "
	}
	if pr.Elapsed >= rateAfter {
		d += fmt.Sprintf("%.0f runs/s, ", float64(pr.Runs)/pr.Elapsed.Seconds())
	}
	d += fmt.Sprintf("%s (%s)", explore.Plural(pr.Violations, "violation"), explore.Plural(pr.Failing, "failing run"))
	p.bar.Describe(d)
	if p.total > 0 {
		_ = p.bar.Add(1)
	} else {
		_ = p.bar.Set(int(pr.Elapsed / time.Second))
	}
}

// shrink shows the shrinking: the K-th shrink of N, its runs.
func (p *exploreProgress) shrink(sp explore.ShrinkProgress) {
	if p.bar == nil {
		return
	}
	if !p.shrinking {
		p.shrinking = true
		_ = p.bar.Finish()
		// A spinner turning with each run (no ticker goroutine of its own).
		p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(10), progressbar.OptionSetSpinnerChangeInterval(0))
	}
	p.bar.Describe(fmt.Sprintf("explore: shrinking %d/%d (%s), %s", sp.K, sp.N, sp.Invariant, explore.Plural(sp.Runs, "run")))
	_ = p.bar.Add(1)
}

func (p *exploreProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// shardRuns is how many of runs 0..n-1 shard i of shards plays (n when
// not sharded).
func shardRuns(n, i, shards int) int {
	switch {
	case shards <= 1:
		return n
	case n <= i:
		return 0
	}
	return (n - i + shards - 1) / shards
}
