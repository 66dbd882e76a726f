package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// savedCase4 runs the failing §14 case 4 scenario (naive app, one effect
// expected) and a passing §14 case 13 into a fresh run directory.
func savedCase4(t *testing.T) string {
	t.Helper()
	failing, err := scenarios.LoadFile(filepath.Join("..", "..", "reports", "testdata", "case4-expect-one-effect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	passing, ok := scenarios.Find("case13-app-503")
	if !ok {
		t.Fatal("no case13-app-503 in the catalogue")
	}
	dir := filepath.Join(t.TempDir(), "run")
	_, results, err := scenarios.RunCatalogue(context.Background(), scenarios.PlanRuns(append(failing, passing), sim.Seed(42), 1),
		scenarios.BatchOptions{Out: dir, Seed: 42, Command: []string{"bitsim", "run"}})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Passed || !results[1].Passed {
		t.Fatalf("want case 4 failing and case 13 passing, got %v %q / %v %q", results[0].Passed, results[0].Failures, results[1].Passed, results[1].Failures)
	}
	return dir
}

// TestReplayReproducesFailingCase4 replays the saved failing run of §14
// case 4 ten times: the verdict must reproduce 10/10.
func TestReplayReproducesFailingCase4(t *testing.T) {
	scenarioLeaks(t)
	run := savedCase4(t)
	start := time.Now()
	out, err := runBitsim(t, "replay", run, "--scenario", "case4-expect-one-effect", "--times", "10")
	took := time.Since(start)
	if err != nil {
		t.Fatalf("bitsim replay = %v\n%s", err, out)
	}
	if !strings.Contains(out, "case4-expect-one-effect (seed 42): verdict reproduced 10/10") || !strings.Contains(out, "effects = 2, want 1") {
		t.Errorf("replay output:\n%s", out)
	}
	t.Logf("10 replays of §14 case 4 in %s:\n%s", took, out)
}

// TestReplayDefaultsToFailedRuns: without --scenario only failed runs are
// replayed (case 13 passed and is left alone).
func TestReplayDefaultsToFailedRuns(t *testing.T) {
	scenarioLeaks(t)
	run := savedCase4(t)
	out, err := runBitsim(t, "replay", run)
	if err != nil {
		t.Fatalf("bitsim replay = %v\n%s", err, out)
	}
	if !strings.Contains(out, "case4-expect-one-effect (seed 42): verdict reproduced 1/1") || strings.Contains(out, "case13") {
		t.Errorf("replay output:\n%s", out)
	}
}

// TestReplayMismatchExitsNonZero: a saved verdict the replay cannot
// reproduce (here: doctored to "passed") is reported, exit code 1.
func TestReplayMismatchExitsNonZero(t *testing.T) {
	scenarioLeaks(t)
	run := copyRun(t)
	editResult(t, filepath.Join(run, "case13-app-503", "result.json"), func(res map[string]any) {
		res["passed"], res["failures"] = false, []string{"a failure the replay will not see"}
	})
	out, err := runBitsim(t, "replay", run, "--scenario", "case13-app-503")
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 {
		t.Fatalf("bitsim replay = %v, want exit code 1\n%s", err, out)
	}
	for _, want := range []string{"verdict reproduced 0/1", "mismatch: saved passed=false, replay passed=true", "1 of 1 scenario run did not reproduce"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q:\n%s", want, out)
		}
	}
}

func TestReplayUnknownScenario(t *testing.T) {
	_, err := runBitsim(t, "replay", copyRun(t), "--scenario", "nope")
	if err == nil || !strings.Contains(err.Error(), `no scenario run "nope"`) || !strings.Contains(err.Error(), "random@3054071396869722") {
		t.Errorf("replay --scenario nope = %v, want an error listing the runs", err)
	}
}

// TestReplayComparesDigestAndCounts: a replay whose history or outcome
// counts differ from the saved run's does not reproduce it, even when the
// verdict is the same.
func TestReplayComparesDigestAndCounts(t *testing.T) {
	scenarioLeaks(t)
	run := savedCase4(t)
	p := filepath.Join(run, "case13-app-503", "result.json")
	editResult(t, p, func(res map[string]any) {
		if res["tier"] != record.TierExact || !strings.HasPrefix(res["history_digest"].(string), "sha256:") {
			t.Fatalf("saved run: tier %v, digest %v", res["tier"], res["history_digest"])
		}
	})
	out, err := runBitsim(t, "replay", run, "--scenario", "case13-app-503", "--times", "3")
	if err != nil || !strings.Contains(out, "reproduced 3/3") {
		t.Fatalf("untouched replay = %v\n%s", err, out)
	}
	editResult(t, p, func(res map[string]any) { res["history_digest"], res["deliveries"] = "sha256:00", 7.0 })
	out, _ = runBitsim(t, "replay", run, "--scenario", "case13-app-503")
	for _, want := range []string{"verdict reproduced 0/1", "mismatch: history: saved sha256:00, replay sha256:", "mismatch: outcome: saved deliveries=7"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q:\n%s", want, out)
		}
	}
}

// editResult rewrites a saved result.json through edit.
func editResult(t *testing.T, p string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	edit(res)
	if b, err = json.Marshal(res); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
