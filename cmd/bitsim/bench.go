package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

func init() { register(newBenchCmd) }

type benchFlags struct {
	names []string
	times int
	seed  uint64
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Compare the throughput of the exact tier and the wire tier",
		Long: `bench plays scenarios --times times on each tier, one at a time, with one
seed, and prints client requests per wall second, wall time per run and the
protocol-time compression of each tier, and the exact tier's throughput as a
fraction of the wire tier's.`,
		Example: `  bitsim bench                              # many-clients, 5 runs per tier
  bitsim bench --scenario case4-fallback-duplicate --times 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.names, "scenario", []string{"many-clients"}, "scenario to play (repeatable)")
	fl.IntVar(&f.times, "times", 5, "runs per scenario and tier")
	fl.Uint64Var(&f.seed, "seed", 42, "the seed of every run")
	cmd.AddCommand(newBenchExploreCmd(), newBenchScaleCmd())
	return cmd
}

// benchTotals adds up one tier's runs.
type benchTotals struct {
	runs     int
	requests int
	wall     time.Duration
	protocol time.Duration
}

func (t benchTotals) perSecond() float64 {
	if t.wall <= 0 {
		return 0
	}
	return float64(t.requests) / t.wall.Seconds()
}

func runBench(ctx context.Context, w io.Writer, f benchFlags) error {
	if f.times < 1 {
		return fmt.Errorf("bench: --times must be at least 1")
	}
	var scs []record.Scenario
	for _, n := range f.names {
		sc, ok := scenarios.Find(n)
		if !ok {
			return fmt.Errorf("bench: no scenario %q", n)
		}
		scs = append(scs, sc)
	}
	tiers := []struct {
		name string
		wire bool
	}{{record.TierExact, false}, {record.TierWire, true}}
	totals := make([]benchTotals, len(tiers))
	for i, tier := range tiers {
		for _, sc := range scs {
			for range f.times {
				if err := ctx.Err(); err != nil {
					return err
				}
				start := time.Now()
				res, err := scenarios.Run(ctx, sc, sim.Seed(f.seed), scenarios.RunOptions{Wire: tier.wire})
				if err != nil {
					return fmt.Errorf("bench: %s on the %s tier: %w", sc.Name, tier.name, err)
				}
				t := &totals[i]
				t.runs++
				t.wall += time.Since(start)
				t.protocol += res.ProtocolTime
				for _, e := range res.Events {
					if e.Kind == sim.ClientRequest {
						t.requests++
					}
				}
			}
		}
		t := totals[i]
		fmt.Fprintf(w, "%-5s  %3d runs  %6d requests  %8.0f requests/s  %7s wall per run  x%.0f protocol/wall\n",
			tier.name, t.runs, t.requests, t.perSecond(), (t.wall / time.Duration(t.runs)).Round(time.Millisecond),
			float64(t.protocol)/float64(max(t.wall, 1)))
	}
	if wire := totals[1].perSecond(); wire > 0 {
		fmt.Fprintf(w, "exact/wire throughput: %.2f\n", totals[0].perSecond()/wire)
	}
	return nil
}
