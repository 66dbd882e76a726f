package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/conform"
)

// runConformCmd runs `bitsim conform args...` in-process and returns its
// output and exit status.
func runConformCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"conform"}, args...))
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), exitStatus(err)
}

// conformServe runs `bitsim conform` with args against a `bitsim serve`
// started with serveArgs (observed through its ledger), requires exit
// status code, and returns the report.
func conformServe(t *testing.T, serveArgs []string, code int, args ...string) conform.Report {
	t.Helper()
	info := startServe(t, serveArgs...)
	dir := t.TempDir()
	out, got := runConformCmd(t, append(args, "--ledger-url", info.LedgerURL, "--out", dir, info.UploadURL)...)
	if got != code {
		t.Fatalf("exit %d, want %d:\n%s", got, code, out)
	}
	return readConformReport(t, dir)
}

func readConformReport(t *testing.T, dir string) conform.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep conform.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestConformPassesAgainstServe: `bitsim conform` against `bitsim serve`
// (a host-id farm of three nodes with replies, observed through its app's
// ledger) passes every probe, and writes every report.
func TestConformPassesAgainstServe(t *testing.T) {
	info := startServe(t, "--host-id", "--reply", "--max-upload-size", "33554432")
	dir := t.TempDir()
	out, code := runConformCmd(t, "--ledger-url", info.LedgerURL, "--max-upload-size", "33554432",
		"--out", dir, "--seed", "42", info.UploadURL)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	rep := readConformReport(t, dir)
	t.Logf("%d probes: %d passed, %d not applicable", rep.Totals.Probes, rep.Totals.Passed, rep.Totals.NotApplicable)
	if rep.Totals.Probes < 60 || rep.Totals.Failed != 0 {
		t.Errorf("totals %+v, want at least 60 probes and no failure", rep.Totals)
	}
	for _, r := range rep.Results {
		// Only the fragment limit is unknown: serve has no such flag.
		if r.Outcome != conform.Pass && r.ID != "limits/max-fragment-size" {
			t.Errorf("%s: %s %s", r.ID, r.Outcome, r.Message)
		}
	}
	for _, f := range []string{"report.json", "junit.xml", "summary.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestConformPassesAgainstDefaultServe: `bitsim serve` with no flag at all
// (three nodes, local storage, round-robin balancer: host ids on by
// default) passes every probe `bitsim conform` runs with no flag either.
func TestConformPassesAgainstDefaultServe(t *testing.T) {
	rep := conformServe(t, nil, 0, "--seed", "42")
	t.Logf("%d probes: %d passed, %d not applicable", rep.Totals.Probes, rep.Totals.Passed, rep.Totals.NotApplicable)
	if rep.Totals.Probes < 60 || rep.Totals.Failed != 0 || rep.Totals.Passed == 0 {
		t.Errorf("totals %+v, want at least 60 probes and no failure", rep.Totals)
	}
	for _, r := range rep.Results {
		if r.Outcome == conform.Fail {
			t.Errorf("%s: %s", r.ID, r.Message)
		}
	}
}

// TestConformFailsOnALocalStorageFarm: with --host-id=false and no shared
// storage a packet on a new connection lands on another node, which does
// not know the session: exit 1, the failure explained in every report.
func TestConformFailsOnALocalStorageFarm(t *testing.T) {
	rep := conformServe(t, []string{"--nodes", "3", "--host-id=false", "--lb", "round-robin"}, 1, "--probe", "sessions/new-connection")
	dir := t.TempDir() // the reports again, to read them
	if _, err := writeConformReports(dir, &rep, []string{"markdown", "junit"}); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Failed != 1 || len(rep.Results[0].Exchanges) < 2 || !strings.Contains(rep.Results[0].Message, "BITSHostId") {
		t.Errorf("report %+v, want one failure with its exchanges and the BITSHostId hint", rep.Results)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	junit, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	for name, b := range map[string][]byte{"summary.md": md, "junit.xml": junit} {
		if !strings.Contains(string(b), "BITS-Packet-Type: Fragment") || !strings.Contains(string(b), "0x8020001F") {
			t.Errorf("%s lacks the failing exchange:\n%s", name, b)
		}
	}
}

// TestConformOwnApp: with no channel given, conform starts its mock app,
// prints its notification URL, and its calibration finds that `bitsim
// serve` (which notifies its own app) does not notify it.
func TestConformOwnApp(t *testing.T) {
	info := startServe(t, "--nodes", "1")
	out, code := runConformCmd(t, "--probe", "fragments/single", "--probe", "notification/once", "--out", t.TempDir(), info.UploadURL)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"mock app: notification URL http://127.0.0.1:", "calibration: no notification arrived", "2 probes: 1 passed, 0 failed, 1 not applicable"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConformUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},                                    // no URL
		{"a", "b"},                            // two URLs
		{"--bogus", "http://127.0.0.1:1/"},    // unknown flag
		{"ftp://127.0.0.1/upload/"},           // not http(s)
		{"--format", "pdf", "http://h/"},      // unknown format
		{"--probe", "no-such/*", "http://h/"}, // matches nothing
		{"--header", "bad header", "http://h/"},
	} {
		out, code := runConformCmd(t, append([]string{"--app", "", "--out", t.TempDir()}, args...)...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, out)
		}
	}
	out, code := runConformCmd(t, "--list")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) < 60 {
		t.Errorf("--list: exit %d, %d lines", code, strings.Count(out, "\n"))
	}
}

// TestConformFlagsALenientServe: `serve --missing-content-length accept`
// (issue 12 defect 1) takes body-less packets without Content-Length;
// conform reports exactly that, as IIS would reject them.
func TestConformFlagsALenientServe(t *testing.T) {
	rep := conformServe(t, []string{"--nodes", "1", "--missing-content-length", "accept"}, 1, "--probe", "packets")
	var got []string
	for _, r := range rep.Results {
		if r.Outcome == conform.Fail {
			got = append(got, r.ID)
		}
	}
	if want := []string{"packets/missing-length-ping", "packets/missing-length-create"}; !slices.Equal(got, want) {
		t.Errorf("failed %q, want %q", got, want)
	}
}
