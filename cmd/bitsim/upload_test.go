package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

// runCLI runs `bitsim args...` in-process and returns stdout, stderr and
// the command's error (an exitCode for a reported failure).
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// noLeaks fails t if it leaves goroutines behind. Goroutines that were
// already running when it was called are not t's: an earlier test of the
// package may have left toxiproxy's documented leaks (a link disabled while
// data was in flight, see proxy.LeakyTopFunctions), which TestMain checks.
// Call it first in the test.
func noLeaks(t *testing.T) {
	snap := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, snap) })
}

func startNode(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	cfg.Dir = t.TempDir()
	if cfg.NotificationURL == "" {
		cfg.NotificationType = node.NotifyNone // no app to notify
	}
	return testutil.Start(t, "", func() (*node.Node, error) { return node.New(cfg) })
}

func writeFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	return testutil.PayloadFile(t, "report.dat", size, uint64(size))
}

type summary struct {
	State      string `json:"state"`
	BytesSent  int64  `json:"bytes_sent"`
	BytesTotal int64  `json:"bytes_total"`
	Sessions   int    `json:"sessions"`
	Restarts   int    `json:"restarts"`
	Retries    int    `json:"retries"`
	ReplySize  int64  `json:"reply_size"`
	Error      string `json:"error"`
}

func parseSummary(t *testing.T, out string) summary {
	t.Helper()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one JSON line, got %q", out)
	}
	var s summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	// Every documented key is present.
	var m map[string]any
	json.Unmarshal([]byte(out), &m)
	for _, k := range []string{"state", "exit", "bytes_sent", "bytes_total", "sessions", "restarts", "retries", "reply_size"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary lacks %q: %s", k, out)
		}
	}
	return s
}

func TestUploadCommand(t *testing.T) {
	noLeaks(t)
	n := startNode(t, node.Config{Name: "n1"})
	path, data := writeFile(t, 300_000)
	out, errOut, err := runCLI(t, "upload", "--json", "--fragment-size", "64KiB", path, n.UploadURL("inbox/r.dat"))
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	s := parseSummary(t, out)
	if s.State != "ACKNOWLEDGED" || s.BytesSent != int64(len(data)) || s.BytesTotal != int64(len(data)) || s.Sessions != 1 {
		t.Errorf("%+v", s)
	}
	if errOut != "" {
		t.Errorf("not quiet on a non-terminal: %q", errOut)
	}
	got, _ := os.ReadFile(filepath.Join(n.Config().Dir, "inbox", "r.dat"))
	if !bytes.Equal(got, data) {
		t.Error("committed file differs")
	}
}

func TestUploadCommandReplyTxn(t *testing.T) {
	noLeaks(t)
	a := app.New(app.Config{Reply: true})
	if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	n := startNode(t, node.Config{Name: "n1", NotificationType: node.NotifyValue, NotificationURL: a.NotifyURL()})
	path, data := writeFile(t, 50_000)
	replyFile := filepath.Join(t.TempDir(), "reply.bin")
	out, errOut, err := runCLI(t, "upload", "--json", "--reply", replyFile, "--txn", "T-42", path, n.UploadURL("x.dat"))
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	s := parseSummary(t, out)
	body, _ := txn.Wrap("T-42", data)
	sum := sha256.Sum256(body)
	want := app.ReplyFor("T-42", hex.EncodeToString(sum[:]), int64(len(body)))
	got, _ := os.ReadFile(replyFile)
	if s.State != "ACKNOWLEDGED" || s.ReplySize != int64(len(want)) || !bytes.Equal(got, want) || s.BytesTotal != int64(len(body)) {
		t.Errorf("%+v, reply %q", s, got)
	}
}

// A fatal error exits 1 with the summary and the error; --header values
// reach the server on every request.
func TestUploadCommandFailure(t *testing.T) {
	noLeaks(t)
	var mu sync.Mutex
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("X-Token")+"/"+r.Header.Get("X-Two"))
		mu.Unlock()
		wire.ErrAccessDenied.Ack().Write(w)
	}))
	defer srv.Close()
	path, _ := writeFile(t, 10_000)
	out, errOut, err := runCLI(t, "upload", "--json", "--header", "X-Token: abc", "--header", "X-Two:2", path, srv.URL+"/upload/x")
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 {
		t.Fatalf("err %v", err)
	}
	s := parseSummary(t, out)
	if s.State != "ERROR" || !strings.Contains(s.Error, "E_ACCESSDENIED") {
		t.Errorf("%+v", s)
	}
	_ = errOut
	mu.Lock()
	seen := append([]string(nil), tokens...)
	mu.Unlock()
	if len(seen) != 1 || seen[0] != "abc/2" {
		t.Errorf("headers seen %v", seen)
	}
	// Without --json the failure is reported on stderr.
	_, errOut, err = runCLI(t, "upload", path, srv.URL+"/upload/x")
	if !errors.As(err, &ec) || ec != 1 || !strings.Contains(errOut, "ERROR") {
		t.Errorf("err %v, stderr %q", err, errOut)
	}
}

func TestUploadCommandFlags(t *testing.T) {
	noLeaks(t)
	path, _ := writeFile(t, 10)
	for _, args := range [][]string{
		{"upload", path},
		{"upload", "--header", "nocolon", path, "http://h/x"},
		{"upload", "--fragment-size", "lots", path, "http://h/x"},
		{"upload", "--close-not-found", "maybe", path, "http://h/x"},
		{"upload", "--reply-host", "x", path, "http://h/x"},
		{"upload", "--missing-reply", "x", path, "http://h/x"},
		{"upload", "--fallback", "x", path, "http://h/x"},
		{"upload", path + ".missing", "http://h/x"},
		{"upload", "--txn", "bad id", path, "http://h/x"},
		{"upload", "--range-missing", "x", path, "http://h/x"},
	} {
		if _, _, err := runCLI(t, args...); exitStatus(err) != 2 {
			t.Errorf("%v: %v, want a usage error (exit 2)", args, err)
		}
	}
	f := uploadFlags{fragmentSize: "1MiB", noProgress: 0, requestTimeout: -1, closeNotFound: "no-resend", replyHost: "hostid", missingReply: "error", fallback: "connect-failure", reply: "r"}
	o, spec, err := f.options(path, "http://h/x")
	if err != nil || o.FragmentSize != 1<<20 || o.NoProgressTimeout >= 0 || o.RequestTimeout >= 0 || spec.ReplyFile != "r" || spec.Type != 2 {
		t.Errorf("%+v %+v %v", o, spec, err)
	}
	for in, want := range map[string]int64{"0": 0, "65536": 65536, "64k": 64 << 10, "64KiB": 64 << 10, "1MB": 1 << 20, "2 MiB": 2 << 20, "100b": 100} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}

// Issue 12 defect 6: --json prints the JSON line (with an error field) on
// usage and set-up errors too, and those exit 2; a job in ERROR exits 1.
func TestUploadJSONOnSetupErrors(t *testing.T) {
	noLeaks(t)
	path, _ := writeFile(t, 10)
	for _, args := range [][]string{
		{"upload", "--json", path}, // one argument
		{"upload", "--json", "--fragment-size", "lots", path, "http://h/x"}, // bad flag value
		{"upload", "--json", "--close-not-found", "maybe", path, "http://h/x"},
		{"upload", "--json", path + ".missing", "http://h/x"}, // no such file
		{"upload", "--json", path, "ftp://h/x"},               // bad URL
		{"upload", "--json", "--no-such-flag", path, "http://h/x"},
	} {
		out, _, err := runCLI(t, args...)
		if exitStatus(err) != 2 {
			t.Errorf("%v: err %v, want exit 2", args[2:], err)
			continue
		}
		s := parseSummary(t, out)
		if s.Error == "" || s.State == "ERROR" {
			t.Errorf("%v: summary %+v", args[2:], s)
		}
	}
	// Without --json a usage error still exits 2.
	if _, _, err := runCLI(t, "upload", path); exitStatus(err) != 2 {
		t.Errorf("usage error: %v", err)
	}
}
