package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/reports"
)

func init() { register(newReportCmd) }

// reportFlags are the flags of `bitsim report`.
type reportFlags struct {
	format string
	out    string
	merge  bool
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [flags] RUN_DIR",
		Short: "Re-check a saved run with today's checkers and regenerate its reports",
		Long: `With --merge it first merges several run directories (the shards of one
run, bitsim run --shard i/n on several machines) into --out: every
scenario run's files are copied there and one run.json indexes them all,
sorted by directory; the reports are then one JUnit file, one HTML page.
Given explore directories (bitsim explore --shard i/n: explore.json), it
writes one explore.json equal to the unsharded exploration's (runs summed,
violations grouped by invariant and cause chain, each kept from the shard
that saw it first; rate_per_min is the runs over the shards' summed
exploring time), the kept reproducers (repro/*.yaml) and their runs, and
the reports on those; the exit code is then 1 when a violation was found.

Report loads a run directory written by bitsim run, re-runs today's checkers
on every saved history and re-evaluates the scenarios' expectations, then
writes the reports (report.json, junit.xml, summary.md, report.html) into
RUN_DIR, or --out.

The exit code is 1 when any scenario run fails after re-checking.`,
		Example: `  bitsim report out/run-42
  bitsim report out/run-42 --format junit,markdown --out ci-reports
  bitsim report --merge shard-0 shard-1 shard-2 --out merged
  bitsim report --merge explore-0 explore-1 explore-2 --out explore-merged`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.merge {
				if f.out == "" {
					return usage(fmt.Errorf("--merge needs --out DIR"))
				}
				if explore.IsExploreDir(args[0]) {
					return mergeExplore(cmd.OutOrStdout(), f, args)
				}
				if err := mergeRuns(f.out, args, nil); err != nil {
					return err
				}
				return runReport(cmd.OutOrStdout(), f, f.out)
			}
			if len(args) != 1 {
				return usage(fmt.Errorf("one RUN_DIR (or --merge DIR...)"))
			}
			return runReport(cmd.OutOrStdout(), f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", strings.Join(reports.AllFormats, ","), "comma-separated `FORMATS`: "+strings.Join(reports.AllFormats, ", "))
	fl.StringVar(&f.out, "out", "", "write the reports into `DIR` (default RUN_DIR)")
	fl.BoolVar(&f.merge, "merge", false, "merge the run or explore directories given (shards of one run or exploration: --shard i/n) into --out, then report on the merge")
	return cmd
}

func runReport(w io.Writer, f reportFlags, dir string) error {
	formats, err := reports.ParseFormats(f.format)
	if err != nil {
		return err
	}
	idx, results, err := record.LoadRun(dir)
	if err != nil {
		return err
	}
	idx.Passed = true
	var failed []string
	for i, r := range results {
		r.Recheck()
		if i < len(idx.Entries) {
			idx.Entries[i].Passed = r.Passed
		}
		if !r.Passed {
			idx.Passed = false
			failed = append(failed, reports.RunID(r))
		}
	}
	out := f.out
	if out == "" {
		out = dir
	}
	o, err := exploreReportOptions(dir)
	if err != nil {
		return err
	}
	paths, err := o.Write(out, idx, results, formats)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	if len(failed) == 0 {
		fmt.Fprintf(w, "bitsim report: %s re-checked, all passed\n", explore.Plural(len(results), "scenario run"))
		return nil
	}
	fmt.Fprintf(w, "bitsim report: %s re-checked, %d failed: %s\n", explore.Plural(len(results), "scenario run"), len(failed), strings.Join(failed, ", "))
	return exitCode(1)
}

// mergeRuns copies the scenario runs of every run directory in dirs into
// out and writes one run.json for them all (entries sorted by directory,
// passed when every shard passed, the first shard's seed and start). With
// keep set (explore shards) only the entries it keeps are merged, and a
// directory without run.json (an exploration without violations) adds
// none.
func mergeRuns(out string, dirs []string, keep func(record.RunEntry) bool) error {
	merged := &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Passed: true}
	seen := map[string]string{}
	first := true
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "run.json")); keep != nil && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		idx, _, err := record.LoadRun(d)
		if err != nil {
			return fmt.Errorf("report: merge: %w", err)
		}
		if first {
			merged.Seed, merged.Started, merged.Command = idx.Seed, idx.Started, idx.Command
			first = false
		} else if idx.Seed != merged.Seed {
			return fmt.Errorf("report: merge: %s has seed %d, %s has %d: not shards of one run", d, idx.Seed, dirs[0], merged.Seed)
		}
		merged.Wall = max(merged.Wall, idx.Wall)
		if keep == nil {
			merged.Passed = merged.Passed && idx.Passed
		}
		for _, e := range idx.Entries {
			if keep != nil {
				if !keep(e) {
					continue
				}
				merged.Passed = merged.Passed && e.Passed
			}
			if prev, dup := seen[e.Dir]; dup {
				return fmt.Errorf("report: merge: %s is in both %s and %s", e.Dir, prev, d)
			}
			seen[e.Dir] = d
			if err := copyTree(filepath.Join(d, e.Dir), filepath.Join(out, e.Dir)); err != nil {
				return fmt.Errorf("report: merge: %w", err)
			}
			merged.Entries = append(merged.Entries, e)
		}
	}
	sort.Slice(merged.Entries, func(a, b int) bool { return merged.Entries[a].Dir < merged.Entries[b].Dir })
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("report: merge: %w", err)
	}
	return record.WriteIndex(out, merged)
}

// mergeExplore merges explore shard directories (bitsim explore --shard
// i/n) into f.out: one explore.json and the kept violations' reproducers
// (explore.Merge), their runs (each reproducer's run directory from the
// shard whose violation was kept) in one run.json, and the reports on
// them. The exit code is 1 when a violation was found, as explore's.
func mergeExplore(w io.Writer, f reportFlags, dirs []string) error {
	for _, d := range dirs {
		if !explore.IsExploreDir(d) {
			return usage(fmt.Errorf("report: merge: %s has no explore.json, %s has: merge explorations with explorations", d, dirs[0]))
		}
	}
	rep, err := explore.Merge(f.out, dirs)
	if err != nil {
		return err
	}
	// A reproducer's name holds its first run, which one shard played: the
	// kept violations' runs are the entries of that name.
	kept := map[string]bool{}
	for _, v := range rep.Violations {
		kept[v.ReproName()] = true
	}
	err = mergeRuns(f.out, dirs, func(e record.RunEntry) bool { return kept[e.Name] })
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(f.out, "run.json")); errors.Is(err, fs.ErrNotExist) {
		// No violation anywhere: an empty run, so that CI finds its JUnit file.
		if err := record.WriteIndex(f.out, &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Seed: rep.Seed, Passed: true}); err != nil {
			return fmt.Errorf("report: merge: %w", err)
		}
	}
	missing := ""
	if len(rep.Missing) > 0 {
		missing = fmt.Sprintf(" (shards %s missing)", strings.Join(rep.Missing, ", "))
	}
	fmt.Fprintf(w, "bitsim report: merged %s%s: %s, %d failing, %s; %s\n",
		explore.Plural(len(rep.Shards), "explore shard"), missing, explore.Plural(rep.Runs, "run"), rep.FailingRuns, explore.Plural(len(rep.Violations), "distinct violation"),
		filepath.Join(f.out, "explore.json"))
	for _, v := range rep.Violations {
		fmt.Fprint(w, v.Text())
	}
	err = runReport(w, f, f.out)
	if err == nil && len(rep.Violations) > 0 {
		err = exitCode(1)
	}
	return err
}

// copyTree copies the files under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
