package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

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

Report loads a run directory written by bitsim run, re-runs today's checkers
on every saved history and re-evaluates the scenarios' expectations, then
writes the reports (report.json, junit.xml, summary.md, report.html) into
RUN_DIR, or --out.

The exit code is 1 when any scenario run fails after re-checking.`,
		Example: `  bitsim report out/run-42
  bitsim report out/run-42 --format junit,markdown --out ci-reports
  bitsim report --merge shard-0 shard-1 shard-2 --out merged`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.merge {
				if f.out == "" {
					return usage(fmt.Errorf("--merge needs --out DIR"))
				}
				if err := mergeRuns(f.out, args); err != nil {
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
	fl.BoolVar(&f.merge, "merge", false, "merge the run directories given (shards of one run: bitsim run --shard i/n) into --out, then report on the merge")
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
	paths, err := reports.Options{RunDir: dir}.Write(out, idx, results, formats)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	if len(failed) == 0 {
		fmt.Fprintf(w, "bitsim report: %d scenario runs re-checked, all passed\n", len(results))
		return nil
	}
	fmt.Fprintf(w, "bitsim report: %d scenario runs re-checked, %d failed: %s\n", len(results), len(failed), strings.Join(failed, ", "))
	return exitCode(1)
}

// mergeRuns copies the scenario runs of every run directory in dirs into
// out and writes one run.json for them all (entries sorted by directory,
// passed when every shard passed, the first shard's seed and start).
func mergeRuns(out string, dirs []string) error {
	merged := &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Passed: true}
	seen := map[string]string{}
	for i, d := range dirs {
		idx, _, err := record.LoadRun(d)
		if err != nil {
			return fmt.Errorf("report: merge: %w", err)
		}
		if i == 0 {
			merged.Seed, merged.Started, merged.Command = idx.Seed, idx.Started, idx.Command
		} else if idx.Seed != merged.Seed {
			return fmt.Errorf("report: merge: %s has seed %d, %s has %d: not shards of one run", d, idx.Seed, dirs[0], merged.Seed)
		}
		merged.Wall = max(merged.Wall, idx.Wall)
		merged.Passed = merged.Passed && idx.Passed
		for _, e := range idx.Entries {
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
