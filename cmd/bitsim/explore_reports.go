package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/reports"
)

// writeExploreReports writes an exploration's reports into dir: the
// exploration section (headline, violations, coverage, bounded guarantee)
// and the reproducers' runs (idx, results). Without reproducers (every
// invariant held) it writes an empty run.json first, so that `bitsim
// report DIR` and `report --merge` find a run, and the reports hold the
// exploration alone. It prints the files written on w.
func writeExploreReports(w io.Writer, dir string, rep *explore.Report, idx *record.RunIndex, results []*record.Result, formats []string) error {
	explored := time.Duration(rep.WallSeconds * float64(time.Second))
	if idx == nil {
		idx = &record.RunIndex{Version: record.IndexVersion, Tool: "bitsim", Seed: rep.Seed, Command: os.Args, Passed: true,
			Started: time.Now().Add(-explored), Wall: rep.WallSeconds}
		if err := record.WriteIndex(dir, idx); err != nil {
			return fmt.Errorf("explore: %w", err)
		}
	} else {
		// The reports' start and wall time are the whole command's: the
		// exploration, then the reproducers' runs.
		c := *idx
		c.Started, c.Wall = idx.Started.Add(-explored), idx.Wall+rep.WallSeconds
		idx = &c
	}
	ex := rep.Exploration()
	paths, err := reports.Options{Exploration: &ex}.Write(dir, idx, results, formats)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintf(w, "report: %s\n", p)
	}
	fmt.Fprintf(w, "explore.json: %s\n", filepath.Join(dir, "explore.json"))
	return nil
}

// exploreReportOptions are the report options for a run directory: with
// the exploration when dir holds one (explore.json), so that `bitsim
// report` of an explore directory or of a merge keeps its section.
func exploreReportOptions(dir string) (reports.Options, error) {
	o := reports.Options{RunDir: dir}
	if !explore.IsExploreDir(dir) {
		return o, nil
	}
	rep, err := explore.Load(dir)
	if err != nil {
		return o, err
	}
	ex := rep.Exploration()
	o.Exploration = &ex
	return o, nil
}
