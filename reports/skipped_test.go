package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
)

// TestSkippedRunsAreNotPassed: a skipped scenario run is counted, shown
// and exported as skipped with its reason, in every format.
func TestSkippedRunsAreNotPassed(t *testing.T) {
	const why = "needs the mock app's app-status fault (fault app-500)"
	results := []*record.Result{
		{Scenario: "control", Seed: 1, Passed: true, Verdicts: []check.Verdict{{Checker: "integrity", Status: check.Pass}}},
		{Scenario: "case13-app-500", Seed: 1, Passed: true, Skipped: why},
	}
	idx := &record.RunIndex{Tool: "bitsim", Seed: 1}
	rep := Options{Normalize: true}.Build(idx, results)
	if rep.Totals.Passed != 1 || rep.Totals.Skipped != 1 || rep.Totals.Failed != 0 || rep.Scenarios[1].Skipped != why {
		t.Fatalf("totals %+v, skipped %q", rep.Totals, rep.Scenarios[1].Skipped)
	}
	ju := rep.JUnit()
	var skippedCase *JUnitCase
	for i := range ju.Suites {
		for j, c := range ju.Suites[i].Cases {
			if c.Name == "case13-app-500" {
				skippedCase = &ju.Suites[i].Cases[j]
			}
		}
	}
	if ju.Skipped != 1 || skippedCase == nil || skippedCase.Skipped == nil || skippedCase.Skipped.Message != why || skippedCase.Failure != nil {
		t.Errorf("junit: %d skipped, case %+v; want 1 with <skipped message=reason>", ju.Skipped, skippedCase)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if s := md.String(); !strings.Contains(s, "1 passed, 1 skipped") || !strings.Contains(s, "skipped: "+mdCell(why)) {
		t.Errorf("summary.md:\n%s", s)
	}
	dir := t.TempDir()
	if _, err := Write(dir, idx, results, []string{"html"}); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, FileName("html")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), `<span class="badge skip">skipped</span>`) || !strings.Contains(string(html), "Skipped:</b> needs the mock app&#39;s app-status fault") {
		t.Errorf("report.html lacks the skipped badge or reason")
	}
}
