package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/reports"
	"github.com/bitsim/bitsim/scenarios"
)

func init() { register(newReplayCmd) }

// replayFlags are the flags of `bitsim replay`.
type replayFlags struct {
	scenario string
	times    int
	all      bool
	out      string
	timeout  time.Duration
}

func newReplayCmd() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay [flags] RUN_DIR",
		Short: "Re-run saved scenario runs with their saved seed and say whether the verdict reproduces",
		Long: `Replay re-runs scenario runs saved in RUN_DIR (written by bitsim run) with the
saved scenario (scenario.json) and seed, on a fresh farm, and compares the
verdict with the saved one: same pass/fail, same status for every checker,
same failures (host:port in messages ignored). scenario.json holds every
expectation, so an edited scenario.json is replayed as edited.

Without --scenario it replays every failed scenario run (or all with --all).
--scenario takes a name, or name@seed for one run of a randomized scenario.
--times N repeats each replay N times and reports k/N matches.

The exit code is 0 when every replay reproduced its verdict, 1 otherwise.`,
		Example: `  bitsim replay out/run-42 --scenario case4-fallback-duplicate
  bitsim replay out/run-42 --scenario random@3054071396869722 --times 10
  bitsim replay out/run-42 --all`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd.Context(), cmd.OutOrStdout(), f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "", "replay this scenario run (`NAME` or NAME@SEED); default: every failed one")
	fl.IntVar(&f.times, "times", 1, "replay each scenario run `N` times")
	fl.BoolVar(&f.all, "all", false, "replay every scenario run, not only the failed ones")
	fl.StringVar(&f.out, "out", "", "keep the replays' run files under `DIR` (default: a temporary directory, removed)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "wall-time bound of each replay")
	return cmd
}

func runReplay(ctx context.Context, w io.Writer, f replayFlags, dir string) error {
	if f.times < 1 {
		return fmt.Errorf("replay: --times must be at least 1")
	}
	_, results, err := record.LoadRun(dir)
	if err != nil {
		return err
	}
	picked, err := pickRuns(results, f)
	if err != nil {
		return err
	}
	if len(picked) == 0 {
		fmt.Fprintf(w, "bitsim replay: no failed scenario run in %s (use --all or --scenario)\n", dir)
		return nil
	}
	out := f.out
	if out == "" {
		if out, err = os.MkdirTemp("", "bitsim-replay-"); err != nil {
			return err
		}
		defer os.RemoveAll(out)
	}
	mismatches := 0
	for _, r := range picked {
		ok, err := replayOne(ctx, w, r, f, out)
		if err != nil {
			return err
		}
		if !ok {
			mismatches++
		}
	}
	if mismatches > 0 {
		fmt.Fprintf(w, "bitsim replay: %d of %s did not reproduce their verdict\n", mismatches, explore.Plural(len(picked), "scenario run"))
		return exitCode(1)
	}
	return nil
}

// pickRuns selects the saved runs to replay.
func pickRuns(results []*record.Result, f replayFlags) ([]*record.Result, error) {
	var out []*record.Result
	for _, r := range results {
		switch {
		case f.scenario != "":
			dirName := filepath.Base(r.Dir)
			if f.scenario == r.Scenario || f.scenario == reports.RunID(r) || f.scenario == dirName || f.scenario == fmt.Sprintf("%s@%d", r.Scenario, r.Seed) {
				out = append(out, r)
			}
		case f.all || !r.Passed:
			out = append(out, r)
		}
	}
	if f.scenario != "" && len(out) == 0 {
		var names []string
		for _, r := range results {
			names = append(names, reports.RunID(r))
		}
		return nil, fmt.Errorf("replay: no scenario run %q in the run (have: %s)", f.scenario, strings.Join(names, ", "))
	}
	return out, nil
}

// replayOne replays one saved run f.times times and reports k/N matches.
func replayOne(ctx context.Context, w io.Writer, saved *record.Result, f replayFlags, out string) (bool, error) {
	if saved.Source == nil {
		return false, fmt.Errorf("replay: %s: no scenario.json in %s", reports.RunID(saved), saved.Dir)
	}
	sc := *saved.Source
	id := reports.RunID(saved)
	if sc.App.URL != "" {
		// A run against the user's own application replays against it:
		// it must be up (its state, unlike the mock's, is not reset).
		if err := extapp.CheckReachable(ctx, sc.App.URL, 3*time.Second); err != nil {
			return false, usage(fmt.Errorf("replay: %s: %w", id, err))
		}
	}
	base := filepath.Join(out, strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(id))
	start := time.Now()
	matches := 0
	var firstDiff []string
	for i := 1; i <= f.times; i++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		got, err := scenarios.Run(ctx, sc, saved.Seed, scenarios.RunOptions{Dir: filepath.Join(base, fmt.Sprintf("try-%d", i)), Timeout: f.timeout,
			Wire: saved.Tier == record.TierWire}) // a run saved before tiers existed was a wire run, but replays on the exact tier
		if err != nil && got == nil {
			return false, fmt.Errorf("replay: %s: %w", id, err)
		}
		diff := verdictDiff(saved, got)
		if len(diff) == 0 {
			matches++
		} else if firstDiff == nil {
			firstDiff = diff
		}
	}
	took := time.Since(start)
	outcome := "passed"
	if !saved.Passed {
		outcome = "failed: " + strings.Join(saved.Failures, "; ")
	}
	fmt.Fprintf(w, "%s (seed %d): verdict reproduced %d/%d in %s (saved run %s)\n", id, saved.Seed, matches, f.times, took.Round(time.Millisecond), outcome)
	for _, d := range firstDiff {
		fmt.Fprintf(w, "  mismatch: %s\n", d)
	}
	return matches == f.times, nil
}

// verdictDiff compares a replay with the saved run: pass/fail, every
// checker's status, the failures (ports and addresses differ between
// runs and are ignored), the outcome counts and, for exact-tier runs, the
// history digest.
func verdictDiff(saved, got *record.Result) []string {
	var d []string
	if saved.Passed != got.Passed {
		d = append(d, fmt.Sprintf("saved passed=%v, replay passed=%v", saved.Passed, got.Passed))
	}
	status := func(r *record.Result) map[string]string {
		m := map[string]string{}
		for _, v := range r.Verdicts {
			m[v.Checker] = string(v.Status)
		}
		return m
	}
	s, g := status(saved), status(got)
	var names []string
	for k := range s {
		names = append(names, k)
	}
	for k := range g {
		if _, ok := s[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if s[k] != g[k] {
			d = append(d, fmt.Sprintf("checker %s: saved %q, replay %q", k, s[k], g[k]))
		}
	}
	sf, gf := normFailures(saved.Failures), normFailures(got.Failures)
	if !slices.Equal(sf, gf) {
		d = append(d, fmt.Sprintf("failures: saved %q, replay %q", sf, gf))
	}
	// Runs saved before tiers existed (no tier recorded) were wire runs,
	// judged by their verdicts only.
	if sc, gc := outcomeCounts(saved), outcomeCounts(got); saved.Tier != "" && sc != gc {
		d = append(d, fmt.Sprintf("outcome: saved %s, replay %s", sc, gc))
	}
	// Only the exact tier promises the same history; a saved run without
	// a digest predates it.
	if saved.HistoryDigest != "" && saved.Tier == record.TierExact && got.Tier == record.TierExact && saved.HistoryDigest != got.HistoryDigest {
		d = append(d, fmt.Sprintf("history: saved %s, replay %s", saved.HistoryDigest, got.HistoryDigest))
	}
	return d
}

// outcomeCounts is a run's outcome in numbers: deliveries, effects,
// duplicates, sessions, restarts, bytes sent and re-sent, and each job's
// final state.
func outcomeCounts(r *record.Result) string {
	s := fmt.Sprintf("deliveries=%d effects=%d duplicates=%d sessions=%d restarts=%d sent=%d resent=%d",
		r.Deliveries, r.Effects, r.Duplicates, r.Sessions, r.Restarts, r.BytesSent, r.BytesResent)
	for _, j := range r.Jobs {
		s += fmt.Sprintf(" %s=%s", j.Name, j.Result.State)
	}
	return s
}

var hostPort = regexp.MustCompile(`\b\d{1,3}(\.\d{1,3}){3}:\d+\b`)

func normFailures(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = hostPort.ReplaceAllString(f, "HOST:PORT")
	}
	slices.Sort(out)
	return out
}
