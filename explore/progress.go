package explore

import (
	"context"
	"sync/atomic"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// ShrinkProgress is where the shrinking stands: the K-th of N distinct
// failures to shrink, its invariant, and the runs its shrink has played.
type ShrinkProgress struct {
	K, N      int
	Invariant string
	Runs      int
}

// shrinking reports the K-th shrink's start to o.OnShrink and returns
// o.Play reporting each run it plays.
func (o Options) shrinking(k, n int, invariant string) func(context.Context, record.Scenario, sim.Seed) (*record.Result, error) {
	if o.OnShrink == nil {
		return o.Play
	}
	o.OnShrink(ShrinkProgress{K: k, N: n, Invariant: invariant})
	var runs atomic.Int64
	play := o.Play
	return func(ctx context.Context, sc record.Scenario, seed sim.Seed) (*record.Result, error) {
		res, err := play(ctx, sc, seed)
		o.OnShrink(ShrinkProgress{K: k, N: n, Invariant: invariant, Runs: int(runs.Add(1))})
		return res, err
	}
}
