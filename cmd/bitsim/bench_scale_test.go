package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestScaleBenchReportsCostPerThousandJobs: the scale bench prints one row
// per size with its figures per 1,000 jobs and the growth of those figures
// from the smallest size to the largest; a failed run makes it exit 1.
func TestScaleBenchReportsCostPerThousandJobs(t *testing.T) {
	fake := func(fail int) scaleRunner {
		return func(_ context.Context, n int, _ uint64) (scaleFigures, error) {
			// 2 s and 400 MB per 1,000 jobs, plus a fixed 1 s: slightly sub-linear.
			return scaleFigures{jobs: n, nodes: 8, wall: time.Second + time.Duration(n)*2*time.Millisecond,
				cpu: time.Duration(n) * 2 * time.Millisecond, peakRSS: int64(n) * 400_000, passed: n != fail}, nil
		}
	}
	var out bytes.Buffer
	if err := runScaleBench(context.Background(), &out, []int{1000, 4000}, 42, fake(0)); err != nil {
		t.Fatalf("runScaleBench = %v", err)
	}
	for _, want := range []string{
		"seed 42",
		"   1000      8      3.0    3.00      2.0      2.00          400     400  pass",
		"   4000      8      9.0    2.25      8.0      2.00         1600     400  pass",
		"per 1,000 jobs, 4000 jobs vs 1000: wall x0.75, CPU x1.00, peak RSS x1.00",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := runScaleBench(context.Background(), &out, []int{1000, 4000}, 42, fake(4000)); exitStatus(err) != 1 || !strings.Contains(out.String(), "FAIL") {
		t.Errorf("a failing size: err %v, output\n%s", err, out.String())
	}
	for _, sizes := range [][]int{nil, {1000, 0}} {
		if err := runScaleBench(context.Background(), &out, sizes, 42, fake(0)); exitStatus(err) != 2 {
			t.Errorf("sizes %v: err %v, want a usage error", sizes, err)
		}
	}
}

// TestBenchScaleRunsEachSizeInItsOwnProcess: bitsim bench scale plays
// scale-N in a child bitsim process per size and reads its peak RSS.
func TestBenchScaleRunsEachSizeInItsOwnProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bitsim")
	}
	bin := buildBitsim(t, t.TempDir())
	out, err := exec.Command(bin, "bench", "scale", "--jobs", "10,20", "--seed", "3").CombinedOutput()
	if err != nil {
		t.Fatalf("bitsim bench scale: %v\n%s", err, out)
	}
	rows := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 9 || (f[0] != "10" && f[0] != "20") {
			continue
		}
		rows++
		if f[1] != "8" || f[8] != "pass" || f[6] == "0" {
			t.Errorf("row %q: want 8 nodes, a peak RSS and pass", line)
		}
	}
	if rows != 2 || !strings.Contains(string(out), "per 1,000 jobs, 20 jobs vs 10: ") {
		t.Errorf("bench scale output:\n%s", out)
	}
}
