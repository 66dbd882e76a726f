package main

import (
	"fmt"
	"io"
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
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [flags] RUN_DIR",
		Short: "Re-check a saved run with today's checkers and regenerate its reports",
		Long: `Report loads a run directory written by bitsim run, re-runs today's checkers
on every saved history and re-evaluates the scenarios' expectations, then
writes the reports (report.json, junit.xml, summary.md, report.html) into
RUN_DIR, or --out.

The exit code is 1 when any scenario run fails after re-checking.`,
		Example: `  bitsim report out/run-42
  bitsim report out/run-42 --format junit,markdown --out ci-reports`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReport(cmd.OutOrStdout(), f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", strings.Join(reports.AllFormats, ","), "comma-separated `FORMATS`: "+strings.Join(reports.AllFormats, ", "))
	fl.StringVar(&f.out, "out", "", "write the reports into `DIR` (default RUN_DIR)")
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
