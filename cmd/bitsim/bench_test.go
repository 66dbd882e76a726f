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
