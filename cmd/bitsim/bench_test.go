package main

import (
	"strings"
	"testing"
)

func TestBenchComparesTiers(t *testing.T) {
	scenarioLeaks(t)
	out, err := runBitsim(t, "bench", "--scenario", "control", "--times", "1")
	if err != nil {
		t.Fatalf("bitsim bench = %v\n%s", err, out)
	}
	for _, want := range []string{"exact    1 runs", "wire     1 runs", "exact/wire throughput: "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runBitsim(t, "bench", "--scenario", "nope"); err == nil || !strings.Contains(err.Error(), `no scenario "nope"`) {
		t.Errorf("bench --scenario nope = %v", err)
	}
}

// TestBenchExplore: bench explore prints the three figures of issue 13 (the
// catalogue part timed on the control scenario only, to stay short).
func TestBenchExplore(t *testing.T) {
	scenarioLeaks(t)
	out, err := runBitsim(t, "bench", "explore", "--runs", "20", "--shrinks", "1", "--label", "control")
	if err != nil {
		t.Fatalf("bitsim bench explore = %v\n%s", err, out)
	}
	for _, want := range []string{"explore      20 single-job schedules", "schedules/min", "scenario runs/min",
		"explore/catalogue throughput ratio: ", "shrink    6 faults → 1 in "} {
		if !strings.Contains(out, want) {
			t.Errorf("bench explore output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runBitsim(t, "bench", "explore", "--label", "nope"); err == nil || !strings.Contains(err.Error(), "no catalogue scenario") {
		t.Errorf("bench explore --label nope = %v", err)
	}
}
