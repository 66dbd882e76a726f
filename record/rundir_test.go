package record

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/sim"
)

// TestLegacyRunV1Rechecks: a run directory written before issue 9
// (version 1, testdata/legacy-run-v1) loads, and today's checkers and its
// saved expectations judge its 8 runs passed, as they were.
func TestLegacyRunV1Rechecks(t *testing.T) {
	idx, results, err := LoadRun(filepath.Join("..", "testdata", "legacy-run-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if idx.Version != 1 || len(results) != 8 {
		t.Fatalf("version %d, %d runs; want version 1, 8 runs", idx.Version, len(results))
	}
	for _, r := range results {
		if r.Source == nil {
			t.Errorf("%s: no scenario.json", r.Scenario)
			continue
		}
		wasPassed := r.Passed
		r.Recheck()
		if !r.Passed || !wasPassed {
			t.Errorf("%s: saved passed=%v, re-checked passed=%v: %q", r.Scenario, wasPassed, r.Passed, r.Failures)
		}
		if r.Jobs[0].Result.State == "" {
			t.Errorf("%s: the job's client result did not load", r.Scenario)
		}
	}
}

// TestSaveLoadRoundTrip: a result saved with today's version loads back
// with its scenario (expectations included), history and ledger.
func TestSaveLoadRoundTrip(t *testing.T) {
	sc := Scenario{Name: "x", Jobs: []JobSpec{{Name: "a", Size: 10}},
		Expect: Expect{Deliveries: N(0), EventCounts: []EventCount{{Kind: sim.AckSent, Max: N(0)}},
			Jobs: []JobExpect{{Resyncs: Between(0, 0)}}, Verdicts: map[string]check.Status{"at-least-once": Any}}}
	r := &Result{Scenario: sc.Name, Seed: 7, Source: &sc, Jobs: []JobResult{{Name: "a", Result: ClientResult{State: "ACKNOWLEDGED"}}},
		Events: []sim.Event{{Seq: 1, Kind: sim.JobDone, Job: "a", State: "ACKNOWLEDGED"}}}
	r.Evaluate(sc)
	dir := t.TempDir()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sc, *back.Source); diff != "" {
		t.Errorf("scenario.json (-saved +loaded):\n%s", diff)
	}
	back.Recheck()
	if diff := cmp.Diff(r.Failures, back.Failures); diff != "" || back.Passed != r.Passed {
		t.Errorf("re-check differs (passed %v → %v) (-saved +loaded):\n%s", r.Passed, back.Passed, diff)
	}
}

// TestLoadRunRejectsNewerVersion: a run directory from a newer bitsim is
// refused with a clear error rather than misread.
func TestLoadRunRejectsNewerVersion(t *testing.T) {
	dir := t.TempDir()
	if err := WriteIndex(dir, &RunIndex{Version: IndexVersion + 1, Tool: "bitsim"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadRun(dir); err == nil || !strings.Contains(err.Error(), "newer bitsim") {
		t.Errorf("LoadRun = %v, want a newer-version error", err)
	}
}
