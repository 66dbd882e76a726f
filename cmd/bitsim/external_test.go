package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bitsim/bitsim/examples/orderapp"
)

// closedURL is an http URL on a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/notify"
	ln.Close()
	return u
}

func TestRunAndServeFailFastOnUnreachableApp(t *testing.T) {
	u := closedURL(t)
	for _, args := range [][]string{
		{"run", "--scenario", "control", "--out", t.TempDir(), "--app-url", u},
		{"serve", "--app-url", u},
	} {
		out, err := runBitsim(t, args...)
		if exitStatus(err) != 2 || !strings.Contains(err.Error(), u) {
			t.Errorf("bitsim %s: exit %d, err %v, want 2 naming %s\n%s", args[0], exitStatus(err), err, u, out)
		}
	}
	if _, err := runBitsim(t, "run", "--scenario", "control", "--out", t.TempDir(), "--effects-url", u); exitStatus(err) != 2 {
		t.Errorf("--effects-url without --app-url: exit %d, want 2", exitStatus(err))
	}
	// With --target the probe belongs to the target's application.
	if _, err := runBitsim(t, "run", "--scenario", "control", "--out", t.TempDir(), "--target", u, "--effects-url", u); exitStatus(err) != 2 ||
		strings.Contains(err.Error(), "need --app-url") || !strings.Contains(err.Error(), u) {
		t.Errorf("--target with --effects-url: exit %d, %v; want 2 naming the unreachable URL", exitStatus(err), err)
	}
}

func TestRunMissingPayload(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "orders", "order.json")
	_, err := runBitsim(t, "run", "--scenario", "control", "--out", t.TempDir(), "--payload", missing)
	if exitStatus(err) != 2 || !strings.Contains(err.Error(), missing) {
		t.Errorf("exit %d, err %v; want 2 naming %s", exitStatus(err), err, missing)
	}
}

// TestRunBadApp: an app that answers 200 without opening the file and
// whose probe answers text: both are named in the report.
func TestRunBadApp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/effects" {
			w.Write([]byte("ok\n"))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	out, err := runBitsim(t, "run", "--scenario", "case1-resume-same-node", "--out", dir, "--no-progress",
		"--app-url", srv.URL+"/notify", "--effects-url", srv.URL+"/effects")
	if exitStatus(err) != 1 {
		t.Fatalf("exit %d (%v), want 1\n%s", exitStatus(err), err, out)
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"effect probe " + srv.URL + "/effects", `answer starts "ok\n"`, "answered 200 without reading the request file"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
}

// TestRunPayloadAgainstOrderApp: a templated JSON order per job, against
// the example app in idempotent mode: intact, applied once.
func TestRunPayloadAgainstOrderApp(t *testing.T) {
	dir := t.TempDir()
	base, a := orderapp.Serve(t, orderapp.Idempotent)
	order := filepath.Join(dir, "order.json")
	os.WriteFile(order, []byte(`{"order_id": "{{txn}}", "job": "{{job}}", "seed": {{seed}}, "item": "widget"}`), 0o644)
	out, err := runBitsim(t, "run", "--scenario", "case5-reforward-after-crash", "--scenario", "control", "--out", filepath.Join(dir, "run"),
		"--no-progress", "--app-url", base+"/notify", "--effects-url", base+"/effects", "--payload", order)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	eff, err := a.Effects(t.Context())
	if err != nil || len(eff) != 4 {
		t.Errorf("orders %v (%v), want 4 transactions (3 control jobs + case 5), each once", eff, err)
	}
	for txn, n := range eff {
		if n != 1 {
			t.Errorf("txn %s applied %d times", txn, n)
		}
	}
}

// TestReplayNeedsTheApp: a run against an external app replays against it;
// with the app gone, replay stops at once naming its URL.
func TestReplayNeedsTheApp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		os.ReadFile(r.Header.Get("BITS-Request-DataFile-Name")) // stores nothing: no probe, effects unknown
	}))
	dir := t.TempDir()
	out, err := runBitsim(t, "run", "--scenario", "control", "--out", dir, "--no-progress", "--app-url", srv.URL+"/notify")
	srv.Close()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := runBitsim(t, "replay", dir, "--all"); exitStatus(err) != 2 || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("replay without the app: exit %d, %v; want 2 naming %s", exitStatus(err), err, srv.URL)
	}
}

// TestRunProbeUnknownTransaction: an app that keys its orders on the wrong
// field reports effects for a transaction no job uploaded; the report says
// so, and that the real transaction got no effect.
func TestRunProbeUnknownTransaction(t *testing.T) {
	var mu sync.Mutex
	orders := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/effects" {
			fmt.Fprintf(w, `{"effects": {"garbled-id": %d}}`, orders)
			return
		}
		os.ReadFile(r.Header.Get("BITS-Request-DataFile-Name"))
		orders++
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := runBitsim(t, "run", "--scenario", "case1-resume-same-node", "--out", dir, "--no-progress",
		"--app-url", srv.URL+"/notify", "--effects-url", srv.URL+"/effects")
	if exitStatus(err) != 1 {
		t.Fatalf("exit %d (%v), want 1", exitStatus(err), err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{`transaction "garbled-id", which no job of this run uploaded`, "its probe shows no effect"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
}

// TestServeNotifiesYourApp: serve --app-url runs a live farm whose nodes
// notify the given application; an upload with a transaction id becomes
// one order there.
func TestServeNotifiesYourApp(t *testing.T) {
	base, orders := orderapp.Serve(t, orderapp.Idempotent)
	info := startServe(t, "--nodes", "1", "--app-url", base+"/notify")
	if info.AppURL != base+"/notify" || info.LedgerURL != "" {
		t.Fatalf("app_url %q ledger_url %q; want the app's URL and no ledger", info.AppURL, info.LedgerURL)
	}
	path := filepath.Join(t.TempDir(), "order.dat")
	os.WriteFile(path, []byte("forty-two widgets"), 0o644)
	if out, errOut, err := runCLI(t, "upload", "--txn", "T-42", path, info.UploadURL+"order.dat"); err != nil {
		t.Fatalf("upload: %v\n%s%s", err, out, errOut)
	}
	eff, err := orders.Effects(t.Context())
	if err != nil || eff["T-42"] != 1 || len(eff) != 1 {
		t.Errorf("orders %v (%v), want T-42 once", eff, err)
	}
}
