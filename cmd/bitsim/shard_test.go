package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

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
	bin := filepath.Join(dir, "bitsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
	if got, want := runSummary(t, filepath.Join(dir, "merged")), runSummary(t, filepath.Join(dir, "all")); !reflect.DeepEqual(got, want) {
		t.Errorf("merged shards:\n%v\nunsharded:\n%v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "merged", "junit.xml")); err != nil {
		t.Error(err)
	}
}

// runSummary is a run directory's scenario runs: directory → verdict and
// history digest.
func runSummary(t *testing.T, dir string) map[string]string {
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
	if len(out) < 3 {
		t.Fatalf("%s: only %d scenario runs", dir, len(out))
	}
	return out
}
