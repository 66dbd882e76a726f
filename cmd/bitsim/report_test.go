package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/reports"
	"github.com/bitsim/bitsim/sim/bubble"
)

// runBitsim runs the CLI in-process and returns its output and error.
func runBitsim(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// scenarioLeaks checks for leaked goroutines after a test that ran
// scenarios, ignoring toxiproxy's documented leaks (testutil.LeakOptions).
func scenarioLeaks(t *testing.T) {
	// Scenario runs in this test play on the exact tier, as in the command.
	restore := bubble.Use(t)
	t.Cleanup(func() {
		restore()
		testutil.VerifyNone(t)
	})
}

// copyRun copies the reports package's fixture run (a failing §14 case 4
// among four passing runs) into a temporary directory.
func copyRun(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "reports", "testdata", "run")
	dst := filepath.Join(t.TempDir(), "run")
	err := copyTree(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestReportCommand(t *testing.T) {
	run := copyRun(t)
	out := filepath.Join(t.TempDir(), "reports")
	stdout, err := runBitsim(t, "report", run, "--out", out)
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 {
		t.Fatalf("bitsim report = %v, want exit code 1 (case 4 fails)\n%s", err, stdout)
	}
	if !strings.Contains(stdout, "5 scenario runs re-checked, 1 failed: case4-expect-one-effect") {
		t.Errorf("no one-line summary naming the failure:\n%s", stdout)
	}
	for _, f := range reports.AllFormats {
		p := filepath.Join(out, reports.FileName(f))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s not written: %v", f, err)
		}
		if !strings.Contains(stdout, p) {
			t.Errorf("output does not say where %s is", p)
		}
		if want := "bitsim replay " + run + " --scenario case4-expect-one-effect"; !strings.Contains(string(b), want) {
			t.Errorf("%s does not name the replay command %q", f, want)
		}
	}
}

// TestReportRechecks: the report judges saved histories with today's
// checkers, not the saved verdicts.
func TestReportRechecks(t *testing.T) {
	run := copyRun(t)
	// Pretend control had failed when it was saved.
	p := filepath.Join(run, "control", "result.json")
	var res map[string]any
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	res["passed"], res["failures"], res["verdicts"] = false, []string{"bogus saved failure"}, []any{}
	if b, err = json.Marshal(res); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _ := runBitsim(t, "report", run, "--format", "json")
	if !strings.Contains(stdout, "1 failed: case4-expect-one-effect\n") {
		t.Errorf("re-checked control should pass:\n%s", stdout)
	}
	var rep reports.Report
	b, err = os.ReadFile(filepath.Join(run, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(run, "report.html")); err == nil {
		t.Errorf("--format json wrote report.html too")
	}
	for _, s := range rep.Scenarios {
		if s.Name == "control" && (!s.Passed || len(s.Verdicts) == 0) {
			t.Errorf("control after re-check: passed=%v failures=%q verdicts=%d", s.Passed, s.Failures, len(s.Verdicts))
		}
	}
}

func TestReportCommandErrors(t *testing.T) {
	if _, err := runBitsim(t, "report", t.TempDir()); err == nil || !strings.Contains(err.Error(), "run.json") {
		t.Errorf("report of an empty directory = %v, want an error about run.json", err)
	}
	if _, err := runBitsim(t, "report", copyRun(t), "--format", "pdf"); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("--format pdf = %v, want unknown format", err)
	}
}
