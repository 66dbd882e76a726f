package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// legacyRun is a run directory written before the typed event vocabulary
// (history schema 1: a bare array, facts spelled in Detail).
var legacyRun = filepath.Join("..", "..", "testdata", "legacy-run-v1")

// TestLegacyRunUpgradesWithSameVerdicts: loading a schema-1 run upgrades
// its history (sim.Upgrade) and re-checking it reproduces, run by run, the
// verdicts that the bitsim which wrote it saved in result.json.
func TestLegacyRunUpgradesWithSameVerdicts(t *testing.T) {
	_, results, err := record.LoadRun(legacyRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 8 {
		t.Fatalf("%d runs, want 8", len(results))
	}
	for _, r := range results {
		t.Run(r.Scenario, func(t *testing.T) {
			saved, passed := r.Verdicts, r.Passed
			typed := 0
			for _, e := range r.Events {
				if e.Step != "" || e.SHA256 != "" || e.Fault != "" || e.Link != "" {
					typed++
				}
			}
			if typed == 0 {
				t.Error("no event got its typed fields from the upgrade")
			}
			r.Recheck()
			if !r.Passed || !passed {
				t.Errorf("passed: saved %v, re-checked %v", passed, r.Passed)
			}
			// Checkers added since (host-id-honoured) must pass; the
			// others must say what they said then.
			var same []check.Verdict
			for _, v := range r.Verdicts {
				if slices.ContainsFunc(saved, func(s check.Verdict) bool { return s.Checker == v.Checker }) {
					same = append(same, v)
				} else if v.Status != check.Pass {
					t.Errorf("new checker: %s", v)
				}
			}
			if d := cmp.Diff(saved, same); d != "" {
				t.Errorf("verdicts (-saved +re-checked):\n%s", d)
			}
		})
	}
}

// TestReportLegacyRun: `bitsim report` on the legacy run re-checks all 8
// runs as passed.
func TestReportLegacyRun(t *testing.T) {
	out, err := runBitsim(t, "report", legacyRun, "--out", t.TempDir(), "--format", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "8 scenario runs re-checked, all passed") {
		t.Errorf("output:\n%s", out)
	}
}

// TestSavedRunHasSchema: a run saved today carries the current schema and
// loads back with its typed fields untouched.
func TestSavedRunHasSchema(t *testing.T) {
	_, results, err := record.LoadRun(legacyRun)
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := record.LoadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r.Events, back.Events); d != "" {
		t.Errorf("events (-saved +loaded):\n%s", d)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"schema": %d`, sim.HistorySchema); !strings.Contains(string(raw[:min(len(raw), 40)]), want) {
		t.Errorf("history.json starts %.40q, want %s", raw, want)
	}
}
