package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/explore"
	"github.com/bitsim/bitsim/record"
)

// TestShardsMergeEqualsUnsharded runs three shards of a run as separate
// bitsim processes, merges them with bitsim report --merge and checks the
// merge holds the same scenario runs, verdicts and history digests as the
// unsharded run.
func TestShardsMergeEqualsUnsharded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bitsim")
	}
	dir := t.TempDir()
	bin := buildBitsim(t, dir)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("bitsim %v: %v\n%s", args, err, out)
		}
	}
	common := []string{"run", "--label", "seed-doc", "--seed", "5", "--no-progress", "--format", "json"}
	var shards []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		out := filepath.Join(dir, "shard-"+s[:1])
		run(append(common, "--shard", s, "--out", out)...)
		shards = append(shards, out)
	}
	run(append(common, "--out", filepath.Join(dir, "all"))...)
	run(append([]string{"report", "--merge", "--format", "json,junit", "--out", filepath.Join(dir, "merged")}, shards...)...)
	if got, want := runSummary(t, filepath.Join(dir, "merged"), 3), runSummary(t, filepath.Join(dir, "all"), 3); !reflect.DeepEqual(got, want) {
		t.Errorf("merged shards:\n%v\nunsharded:\n%v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "merged", "junit.xml")); err != nil {
		t.Error(err)
	}
}

// buildBitsim builds the bitsim binary into dir.
func buildBitsim(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bitsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestExploreShardsMergeEqualsUnsharded runs three shards of an
// exploration as separate bitsim processes, merges them with bitsim report
// --merge and checks the merge is the unsharded exploration: the same
// runs, failing runs and coverage, the same violations (invariant, shape,
// first run, seed, times seen, faults, shrink steps, explanation), the
// same reproducers and the same reproducer runs (verdict and history
// digest). Only what depends on wall time or on the output directory may
// differ (explore.MergeVolatile).
func TestExploreShardsMergeEqualsUnsharded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bitsim")
	}
	dir := t.TempDir()
	bin := buildBitsim(t, dir)
	// Runs 0..8 of seed 1: three failing runs in three shards, two of
	// them the same failure (§14 case 5) in two shards.
	play := func(out string, extra ...string) {
		t.Helper()
		args := append([]string{"explore", "--app", "naive", "--runs", "9", "--seed", "1", "--no-progress", "--format", "json", "--out", out}, extra...)
		out2, err := exec.Command(bin, args...).CombinedOutput()
		if procStatus(err) != 1 {
			t.Fatalf("bitsim %v: %v, want exit 1 (violations)\n%s", args, err, out2)
		}
	}
	var shards []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		out := filepath.Join(dir, "shard-"+s[:1])
		play(out, "--shard", s)
		shards = append(shards, out)
	}
	all, merged := filepath.Join(dir, "all"), filepath.Join(dir, "merged")
	play(all)
	args := append([]string{"report", "--merge", "--format", "json,junit,markdown", "--out", merged}, shards...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); procStatus(err) != 1 || !strings.Contains(string(out), "merged 3 explore shards: 9 runs") {
		t.Fatalf("bitsim %v: %v, want exit 1\n%s", args, err, out)
	}
	want, got := exploreSummary(t, all), exploreSummary(t, merged)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged explore.json differs from the unsharded one (-unsharded +merged):\n%s", diff)
	}
	if n := len(got["violations"].([]any)); n != 2 {
		t.Errorf("%d violations, want 2 (one of them found in two shards)", n)
	}
	var rep struct {
		Violations []struct{ Repro, Replay string }
		Shards     []struct{ Shard string }
	}
	b, _ := os.ReadFile(filepath.Join(merged, "explore.json"))
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Shards) != 3 {
		t.Fatalf("merged explore.json: %v\n%s", err, b)
	}
	for _, v := range rep.Violations {
		if !strings.Contains(v.Replay, filepath.Join(merged, v.Repro)) {
			t.Errorf("replay %q does not point into the merge", v.Replay)
		}
		if w, g := reproBody(t, filepath.Join(all, v.Repro)), reproBody(t, filepath.Join(merged, v.Repro)); w != g {
			t.Errorf("%s differs:\n%s\n---\n%s", v.Repro, w, g)
		}
	}
	if got, want := runSummary(t, merged, 2), runSummary(t, all, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("reproducer runs, merged:\n%v\nunsharded:\n%v", got, want)
	}
	for _, f := range []string{"junit.xml", "summary.md"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Error(err)
		}
	}
}

// procStatus is a bitsim process's exit status (-1: it did not run).
func procStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// exploreSummary is a dir's explore.json without the fields a merge may
// legitimately change.
func exploreSummary(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "explore.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range explore.MergeVolatile {
		if v, ok := strings.CutPrefix(k, "violations[]."); ok {
			for _, x := range m["violations"].([]any) {
				delete(x.(map[string]any), v)
			}
			continue
		}
		delete(m, k)
	}
	return m
}

// reproBody is a reproducer without its replay and shrink-time comments.
func reproBody(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "# replay: ") && !strings.HasPrefix(l, "# shrunk from ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// runSummary is a run directory's scenario runs: directory → verdict and
// history digest (at least min of them).
func runSummary(t *testing.T, dir string, min int) map[string]string {
	t.Helper()
	idx, results, err := record.LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, r := range results {
		b, _ := json.Marshal([]any{r.Passed, r.HistoryDigest, r.Deliveries, r.Effects})
		out[idx.Entries[i].Dir] = string(b)
	}
	if len(out) < min {
		t.Fatalf("%s: only %d scenario runs", dir, len(out))
	}
	return out
}
