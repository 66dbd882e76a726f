package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExploreReportsHeld: an exploration in which every invariant held
// writes the usual reports (for a CI job summary), made of its Exploration
// section; `report --merge` of two such shards keeps the section, merged.
func TestExploreReportsHeld(t *testing.T) {
	scenarioLeaks(t)
	dir := t.TempDir()
	var shards []string
	for _, s := range []string{"0/2", "1/2"} {
		out := filepath.Join(dir, "shard-"+s[:1])
		stdout, err := runBitsim(t, "explore", "--app", "idempotent", "--runs", "4", "--seed", "1", "--shard", s, "--out", out, "--no-progress")
		if err != nil || !strings.Contains(stdout, "report: "+filepath.Join(out, "summary.md")) {
			t.Fatalf("shard %s: %v\n%s", s, err, stdout)
		}
		for file, want := range map[string]string{"summary.md": "## bitsim explore: 2 runs, every invariant held",
			"report.html": `<section id="explore">`, "report.json": `"explore": {`, "junit.xml": `<testcase name="exactly-once-effect" classname="bitsim.explore"`} {
			if b, err := os.ReadFile(filepath.Join(out, file)); err != nil || !strings.Contains(string(b), want) {
				t.Errorf("shard %s: %s lacks %q (%v)", s, file, want, err)
			}
		}
		shards = append(shards, out)
	}
	merged := filepath.Join(dir, "merged")
	stdout, err := runBitsim(t, append([]string{"report", "--merge", "--out", merged}, shards...)...)
	if err != nil {
		t.Fatalf("merge: %v\n%s", err, stdout)
	}
	b, err := os.ReadFile(filepath.Join(merged, "summary.md"))
	if err != nil || !strings.Contains(string(b), "## bitsim explore: 4 runs, every invariant held") || !strings.Contains(string(b), "merged from 2 shards") {
		t.Errorf("merged summary.md (%v):\n%s", err, b)
	}
}
