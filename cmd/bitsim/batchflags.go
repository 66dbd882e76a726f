package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// batchFlags are the flags bitsim run and bitsim explore share: the seed,
// how many runs at once, the output directory, the progress bar, the
// reports, the shard and the external application.
type batchFlags struct {
	seed       uint64
	parallel   int
	out        string
	noProgress bool
	formats    []string
	shard      string
	ext        record.AppSpec // --app-url, --effects-url, --effects-cmd
}

// batchUsage words a command's batch flags.
type batchUsage struct {
	what    string // "run", "exploration": whose seed
	unit    string // "scenarios run", "runs": what runs at once
	outName string // the default output directory under bitsim-out, before the timestamp
	formats string // what the reports are of
	shard   string // what a shard plays, and how to merge
}

// addBatchFlags adds the shared flags to f.
func addBatchFlags(f *pflag.FlagSet, b *batchFlags, u batchUsage) {
	f.Uint64Var(&b.seed, "seed", 0, "the "+u.what+"'s seed (0: draw one)")
	f.IntVar(&b.parallel, "parallel", 2, u.unit+" at once")
	f.StringVar(&b.out, "out", "", "output directory (default ./bitsim-out/"+u.outName+"<timestamp>)")
	f.BoolVar(&b.noProgress, "no-progress", false, "no progress bar even on a terminal")
	f.StringSliceVar(&b.formats, "format", reportFormats, u.formats+": "+strings.Join(reportFormats, ","))
	f.StringVar(&b.shard, "shard", "", "play only shard i of n (\"i/n\", 0 <= i < n): "+u.shard+"; merge the shards' directories with bitsim report --merge")
	addAppFlags(f, &b.ext)
}

// resolve returns the seed (drawn when --seed is 0), the output directory
// (bitsim-out/<outName><timestamp> when --out is empty) and the shard.
func (b batchFlags) resolve(u batchUsage) (seed sim.Seed, out string, shard, shards int, err error) {
	seed = sim.Seed(b.seed)
	if seed == 0 {
		seed = sim.NewSeed()
	}
	out = b.out
	if out == "" {
		out = filepath.Join("bitsim-out", u.outName+time.Now().Format("20060102-150405"))
	}
	shard, shards, err = parseShard(b.shard)
	if err != nil {
		return 0, "", 0, 0, usage(err)
	}
	return seed, out, shard, shards, nil
}

// parseShard parses --shard "i/n".
func parseShard(s string) (int, int, error) {
	i, n, err := explore.ParseShard(s)
	if err != nil {
		return 0, 0, fmt.Errorf("--%w", err)
	}
	return i, n, nil
}
