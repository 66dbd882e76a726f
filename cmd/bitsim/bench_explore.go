package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

type benchExploreFlags struct {
	runs, shrinks, parallel int
	seed                    uint64
	labels                  []string
}

// newBenchExploreCmd is "bitsim bench explore": the figures issue 13 asks
// for, measured in one process on this machine.
func newBenchExploreCmd() *cobra.Command {
	var f benchExploreFlags
	cmd := &cobra.Command{
		Use:   "explore",
		Short: "Measure exploration throughput, the catalogue's per-scenario cost and the time to shrink a 6-fault schedule",
		Long: `bench explore measures, in one process:

  1. exploration throughput: --runs single-job schedules drawn from the
     grammar (naive app, no shrinking), --parallel at once, in schedules per
     minute;
  2. the catalogue's per-scenario cost: every default catalogue scenario run
     (the scenarios of 'bitsim run'), --parallel at once, in scenario runs per
     minute, and the ratio of (1) to it;
  3. shrinking: the 6-fault failing schedule of explore.SixFaultCase (a §14
     case-5 kill among five harmless faults) shrunk --shrinks times; the
     fastest, median and slowest time, the candidate runs and the faults left.`,
		Example: `  bitsim bench explore
  bitsim bench explore --runs 1000 --shrinks 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchExplore(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.runs, "runs", 600, "single-job schedules to explore")
	fl.IntVar(&f.shrinks, "shrinks", 5, "times to shrink the 6-fault schedule")
	fl.IntVar(&f.parallel, "parallel", 2, "runs at once (exploration and catalogue)")
	fl.Uint64Var(&f.seed, "seed", 1, "the exploration's and the catalogue's seed")
	fl.StringSliceVar(&f.labels, "label", []string{"!" + record.LabelSlow}, "catalogue scenarios to time: those with every label (\"!x\": without x)")
	return cmd
}

func runBenchExplore(ctx context.Context, w io.Writer, f benchExploreFlags) error {
	if f.runs < 1 || f.shrinks < 1 || f.parallel < 1 {
		return usage(fmt.Errorf("bench explore: --runs, --shrinks and --parallel must be at least 1"))
	}
	seed := sim.Seed(f.seed)
	plans := scenarios.PlanRuns(scenarios.Select(scenarios.Catalogue(), f.labels...), seed, 3)
	if len(plans) == 0 {
		return usage(fmt.Errorf("bench explore: no catalogue scenario has the labels %v", f.labels))
	}
	// 1. Exploration throughput (the explore phase only, as explore.json's
	// rate_per_min).
	rep, err := explore.Run(ctx, explore.Options{Runs: f.runs, Seed: seed, Parallel: f.parallel, NoShrink: true,
		Shape: explore.Shape{Jobs: 1, App: knob.Naive}})
	if err != nil {
		return fmt.Errorf("bench explore: %w", err)
	}
	fmt.Fprintf(w, "explore   %5d single-job schedules in %6.2fs  %7.0f schedules/min  (%d failing, parallel %d)\n",
		rep.Runs, rep.ExploreSeconds, rep.RatePerMin, rep.FailingRuns, f.parallel)

	// 2. The catalogue's per-scenario cost.
	dir, err := os.MkdirTemp("", "bitsim-bench-")
	if err != nil {
		return fmt.Errorf("bench explore: %w", err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if _, _, err := scenarios.RunCatalogue(ctx, plans, scenarios.BatchOptions{Out: dir, Seed: seed, Parallel: f.parallel}); err != nil {
		return fmt.Errorf("bench explore: catalogue: %w", err)
	}
	cat := time.Since(start)
	perMin := float64(len(plans)) / cat.Minutes()
	fmt.Fprintf(w, "catalogue %5d scenario runs in %6.2fs  %7.0f scenario runs/min  (%s per scenario run)\n",
		len(plans), cat.Seconds(), perMin, (cat / time.Duration(len(plans))).Round(time.Millisecond))
	fmt.Fprintf(w, "explore/catalogue throughput ratio: %.2f\n", rep.RatePerMin/perMin)

	// 3. Shrinking a 6-fault schedule.
	sc, s := explore.SixFaultCase()
	res, err := explore.Play(ctx, sc, s)
	fs := explore.Judge(res, err, nil)
	if len(fs) != 1 {
		return fmt.Errorf("bench explore: the 6-fault schedule does not fail once: %v", fs)
	}
	var times []time.Duration
	var last explore.ShrinkResult
	for range f.shrinks {
		start := time.Now()
		last, err = explore.Shrink(ctx, sc, s, fs[0], explore.ShrinkOptions{Parallel: f.parallel})
		if err != nil {
			return fmt.Errorf("bench explore: shrink: %w", err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	fmt.Fprintf(w, "shrink    6 faults → %d in %d runs: fastest %s, median %s, slowest %s over %d shrinks\n",
		len(last.Scenario.Faults), last.Runs, times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond),
		times[len(times)-1].Round(time.Millisecond), len(times))
	return nil
}
