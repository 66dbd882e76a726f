package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/scenarios"
)

func newBenchScaleCmd() *cobra.Command {
	var sizes []int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Measure wall time, CPU time and peak memory per 1,000 jobs of the scale scenarios",
		Long: `bench scale plays the scenario scale-N (N concurrent jobs on a host-id
farm with random faults, see bitsim list --label scale) once for each size
N of --jobs, one at a time, each in its own 'bitsim run --scenario scale-N'
process on the exact tier. It prints wall time, CPU time (user + system) and
peak RSS, in total and per 1,000 jobs, and how the cost per 1,000 jobs grew
from the smallest size to the largest (x1.00: linear). It exits 1 if a run
missed its expectations.`,
		Example: `  bitsim bench scale
  bitsim bench scale --jobs 1000,2000,5000,10000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScaleBench(cmd.Context(), cmd.OutOrStdout(), sizes, seed, runScaleChild)
		},
	}
	fl := cmd.Flags()
	fl.IntSliceVar(&sizes, "jobs", []int{1000, 2000, 5000}, "the sizes N to play (scale-N)")
	fl.Uint64Var(&seed, "seed", 42, "the seed of every run")
	return cmd
}

// scaleFigures is what one scale-N run cost.
type scaleFigures struct {
	jobs, nodes int
	wall, cpu   time.Duration // cpu: user + system time
	peakRSS     int64         // bytes; 0 where the platform does not say
	passed      bool
}

// perK returns v per 1,000 jobs.
func (f scaleFigures) perK(v float64) float64 { return v * 1000 / float64(f.jobs) }

// scaleRunner plays scale-n once with seed and measures it.
type scaleRunner func(ctx context.Context, n int, seed uint64) (scaleFigures, error)

// runScaleChild plays scale-n in a child bitsim process (bitsim run
// --scenario scale-N), so that its peak RSS is the run's own.
func runScaleChild(ctx context.Context, n int, seed uint64) (scaleFigures, error) {
	f := scaleFigures{jobs: n, nodes: scenarios.ScaleNodes(n)}
	exe, err := os.Executable()
	if err != nil {
		return f, fmt.Errorf("bench scale: %w", err)
	}
	dir, err := os.MkdirTemp("", "bitsim-scale-")
	if err != nil {
		return f, fmt.Errorf("bench scale: %w", err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, exe, "run", "--scenario", "scale-"+strconv.Itoa(n),
		"--seed", strconv.FormatUint(seed, 10), "--format", "json", "--no-progress", "--out", filepath.Join(dir, "out"))
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return f, fmt.Errorf("bench scale: %w", err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	err = cmd.Run()
	f.wall = time.Since(start)
	var ee *exec.ExitError
	switch {
	case err == nil:
		f.passed = true
	case errors.As(err, &ee) && ee.ExitCode() == 1: // the scenario missed its expectations
	default:
		out, _ := os.ReadFile(log.Name())
		return f, fmt.Errorf("bench scale: scale-%d: %w\n%s", n, err, out)
	}
	st := cmd.ProcessState
	f.cpu = st.UserTime() + st.SystemTime()
	f.peakRSS = peakRSS(st)
	return f, nil
}

// runScaleBench plays scale-n for each n in sizes (one child process
// each, one at a time) and prints wall time, CPU time and peak RSS, in
// total and per 1,000 jobs, then how much the cost per 1,000 jobs grew from
// the smallest size to the largest (1.0: linear).
func runScaleBench(ctx context.Context, w io.Writer, sizes []int, seed uint64, run scaleRunner) error {
	if len(sizes) == 0 {
		return usage(fmt.Errorf("bench scale: --jobs needs at least one size"))
	}
	for _, n := range sizes {
		if n < 1 {
			return usage(fmt.Errorf("bench scale: --jobs size %d is not positive", n))
		}
	}
	fmt.Fprintf(w, "scale-N on the exact tier, seed %d, one run per size in its own process\n", seed)
	const row = "%7s %6s %8s %7s %8s %9s %12s %7s  %s\n"
	fmt.Fprintf(w, row, "JOBS", "NODES", "WALL s", "s/1k", "CPU s", "CPU s/1k", "PEAK RSS MB", "MB/1k", "VERDICT")
	var all []scaleFigures
	for _, n := range sizes {
		f, err := run(ctx, n, seed)
		if err != nil {
			return err
		}
		all = append(all, f)
		verdict := "pass"
		if !f.passed {
			verdict = "FAIL"
		}
		mb := float64(f.peakRSS) / 1e6
		fmt.Fprintf(w, row, strconv.Itoa(f.jobs), strconv.Itoa(f.nodes),
			fmt.Sprintf("%.1f", f.wall.Seconds()), fmt.Sprintf("%.2f", f.perK(f.wall.Seconds())),
			fmt.Sprintf("%.1f", f.cpu.Seconds()), fmt.Sprintf("%.2f", f.perK(f.cpu.Seconds())),
			fmt.Sprintf("%.0f", mb), fmt.Sprintf("%.0f", f.perK(mb)), verdict)
	}
	if len(all) > 1 {
		lo, hi := all[0], all[0]
		for _, f := range all {
			if f.jobs < lo.jobs {
				lo = f
			}
			if f.jobs > hi.jobs {
				hi = f
			}
		}
		grow := func(v func(scaleFigures) float64) float64 {
			if a := lo.perK(v(lo)); a > 0 {
				return hi.perK(v(hi)) / a
			}
			return 0
		}
		fmt.Fprintf(w, "per 1,000 jobs, %d jobs vs %d: wall x%.2f, CPU x%.2f, peak RSS x%.2f (x1.00 = linear)\n", hi.jobs, lo.jobs,
			grow(func(f scaleFigures) float64 { return f.wall.Seconds() }),
			grow(func(f scaleFigures) float64 { return f.cpu.Seconds() }),
			grow(func(f scaleFigures) float64 { return float64(f.peakRSS) }))
	}
	for _, f := range all {
		if !f.passed {
			return exitCode(1)
		}
	}
	return nil
}
