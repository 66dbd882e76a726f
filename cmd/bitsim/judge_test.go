package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/sim"
)

// uploadWithBitsim runs bitsim's own client against url with short retry
// delays, as a user would with bitsim upload --retry-delay.
func uploadWithBitsim(t *testing.T, url string, size int) client.Result {
	t.Helper()
	data := make([]byte, size)
	sim.NewRand(sim.Seed(size)).Read(data)
	file := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	job, err := client.NewJob(client.Options{FragmentSize: 64 << 10, MinRetryDelay: 100 * time.Millisecond, AllowShortRetryDelay: true},
		client.JobSpec{LocalFile: file, RemoteURL: url})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	res, _ := job.Run(ctx)
	return res
}

func writeFaults(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// verdictLine returns the "checker: status" line of out for checker.
func verdictLine(out, checker string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, checker+": ") {
			return l
		}
	}
	return ""
}

func wantVerdicts(t *testing.T, out string, want map[string]string) {
	t.Helper()
	for c, st := range want {
		if l := verdictLine(out, c); !strings.HasPrefix(l, c+": "+st+":") {
			t.Errorf("%s: got %q, want %s\n%s", c, l, st, out)
		}
	}
}

// serve -f: a schedule kills the node mid-upload and after it notified the
// app, and drops its sessions; bitsim's client resumes, retries the final
// fragment and restarts on 0x8020001F, and the judge says so on exit and
// again from the saved history.
func TestServeFaultScheduleJudgesClient(t *testing.T) {
	faults := writeFaults(t, `faults:
  - name: kill-mid-upload
    trigger: {event: packet.received, packet: Fragment, nth: 2}
    action: {kind: kill, node: node1, restart_after: 300ms}
  - name: drop-sessions
    trigger: {event: ack.sent, packet: Fragment, nth: 4}
    action: {kind: drop-sessions, node: node1}
  - name: kill-after-notify
    trigger: {point: after-notify-sent, node: node1}
    action: {kind: kill, restart_after: 300ms}
`)
	hist := filepath.Join(t.TempDir(), "h.json")
	sr := startServeRun(t, "--nodes", "1", "--toxiproxy-api", "", "-f", faults, "--history", hist)
	res := uploadWithBitsim(t, sr.info.UploadURL+"judged.bin", 400_000)
	if !res.State.Succeeded() || res.Restarts != 1 {
		t.Fatalf("%+v", res)
	}
	if err := sr.stop(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"client-resume": "pass", "client-restart-0x8020001F": "pass", "client-final-retry": "pass",
		"client-host-id": "unknown", "client-content-length": "pass", "faults-fired": "pass"}
	wantVerdicts(t, sr.stdout.String(), want)

	out, _, err := runCLI(t, "judge", "-f", faults, hist)
	if err != nil {
		t.Fatalf("judge: %v\n%s", err, out)
	}
	wantVerdicts(t, out, want)
}

// With host ids, the client sends its session to its node and falls back
// to the shared address only after the fallback time-out.
func TestServeFaultScheduleHostID(t *testing.T) {
	faults := writeFaults(t, `- name: kill-node1
  trigger: {event: ack.sent, packet: Fragment, nth: 2, node: node1}
  action: {kind: kill, node: node1}
`)
	sr := startServeRun(t, "--nodes", "2", "--host-id", "--fallback-timeout", "1s", "--lb", "pin:1", "--toxiproxy-api", "", "-f", faults)
	res := uploadWithBitsim(t, sr.info.UploadURL+"pinned.bin", 300_000)
	if !res.State.Succeeded() || res.Restarts != 1 {
		t.Fatalf("%+v", res)
	}
	if err := sr.stop(); err != nil {
		t.Fatal(err)
	}
	out := sr.stdout.String()
	wantVerdicts(t, out, map[string]string{"client-host-id": "pass", "client-restart-0x8020001F": "pass", "faults-fired": "pass"})
	if !strings.Contains(out, "fell back to 127.0.0.1:") {
		t.Errorf("no fallback finding:\n%s", out)
	}
}

func TestJudgeUsage(t *testing.T) {
	if _, _, err := runCLI(t, "judge", filepath.Join(t.TempDir(), "missing.json")); exitStatus(err) != 2 {
		t.Errorf("missing history: %v", err)
	}
	if _, _, err := runCLI(t, "judge"); exitStatus(err) == 0 {
		t.Error("no argument accepted")
	}
}

// A schedule serve cannot read is a usage error, before anything starts.
func TestServeBadSchedule(t *testing.T) {
	bad := writeFaults(t, "- trigger: {event: ack.sent}\n  action: {kind: explode}\n")
	cmd := newRootCmd()
	cmd.SetArgs([]string{"serve", "--nodes", "1", "-f", bad})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(t.Context()); exitStatus(err) != 2 {
		t.Errorf("bad schedule: %v", err)
	}
}
