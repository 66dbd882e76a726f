package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
)

// startServe runs `bitsim serve args...` in-process and returns its first
// JSON line. The server stops when the test ends.
func startServe(t *testing.T, args ...string) serveInfo {
	t.Helper()
	return startServeRun(t, args...).info
}

// serveRun is a running `bitsim serve`: its JSON line, its stderr, and stop,
// which ends it (as SIGINT would) and returns its error; the test's cleanup
// stops it if the test did not.
type serveRun struct {
	info   serveInfo
	stdout *testutil.Buffer // after the JSON line; complete once stop returned
	stderr *testutil.Buffer
	stop   func() error
}

func startServeRun(t *testing.T, args ...string) *serveRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"serve"}, args...))
	cmd.SetOut(pw)
	errBuf := &testutil.Buffer{}
	cmd.SetErr(errBuf)
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
			http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	br := bufio.NewReader(pr)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no JSON line: %v (stderr %s)", err, errBuf)
	}
	outBuf := &testutil.Buffer{}
	copied := make(chan struct{})
	go func() { io.Copy(outBuf, br); close(copied) }()
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line %q: %v", line, err)
	}
	return &serveRun{info: info, stdout: outBuf, stderr: errBuf, stop: func() error { err := stop(); <-copied; return err }}
}

func TestServePrintsFarmJSON(t *testing.T) {
	info := startServe(t, "--nodes", "2", "--notification", "value", "--app", "idempotent", "--seed", "7")
	if !strings.HasPrefix(info.UploadURL, "http://127.0.0.1:") || !strings.HasSuffix(info.UploadURL, "/upload/") {
		t.Errorf("upload_url %q", info.UploadURL)
	}
	if len(info.Nodes) != 2 || info.Nodes[1].Name != "node2" || !strings.HasPrefix(info.Nodes[1].URL, "http://127.0.0.3:") {
		t.Errorf("nodes %+v", info.Nodes)
	}
	if info.ToxiproxyAPI == "" || info.Seed != 7 || info.LedgerURL == "" || info.AppURL == "" {
		t.Errorf("info %+v", info)
	}
	resp, err := http.Get(info.LedgerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ledger map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&ledger); err != nil || ledger["deliveries"] == nil || ledger["effects"] == nil {
		t.Errorf("ledger %v %v", ledger, err)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--lb", "fastest"}, {"--storage", "cloud"}, {"--app", "smart"}, {"--notification", "3x"}, {"--nodes", "0"}} {
		cmd := newRootCmd()
		cmd.SetArgs(append([]string{"serve"}, args...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.ExecuteContext(t.Context()); err == nil {
			t.Errorf("serve %v: no error", args)
		}
	}
}

// recorder collects a job's events and signals its first transport error.
type recorder struct {
	mu     sync.Mutex
	events []sim.Event
	errs   chan struct{}
}

func newRecorder() *recorder { return &recorder{errs: make(chan struct{}, 1)} }

func (r *recorder) Record(e sim.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if e.Kind == sim.ClientError {
		select {
		case r.errs <- struct{}{}:
		default:
		}
	}
}

func (r *recorder) hasTimer(kind sim.Kind, timer sim.TimerKind) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Kind == kind && e.Timer == timer {
			return true
		}
	}
	return false
}

// The acceptance walk-through of the farm: with `bitsim serve --nodes 3
// --host-id`, toxiproxy's own client lists the proxies and disables node2;
// a client pinned to node2 falls back to the shared address after the
// fallback time-out and restarts elsewhere; with node2 re-enabled before
// the time-out, an interrupted upload resumes on node2.
func TestServeDrivenByToxiproxyClient(t *testing.T) {
	info := startServe(t, "--nodes", "3", "--host-id", "--fallback-timeout", "2s", "--lb", "pin:2")
	tc := toxiclient.NewClient(info.ToxiproxyAPI)
	proxies, err := tc.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range proxies {
		names = append(names, n)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "app-from-node1,app-from-node2,app-from-node3,node1,node2,node3,shared" {
		t.Fatalf("proxies %s", got)
	}
	node2 := proxies["node2"]

	file, _ := testutil.PayloadFile(t, "f.bin", 400_000, 1)
	// newJob makes a job that disables node2's link (through toxiproxy's
	// client) as soon as its first fragment is acknowledged.
	newJob := func(t *testing.T, rec *recorder, id string) *client.Job {
		var once sync.Once
		disable := func(acked, _ int64) {
			if acked > 0 {
				once.Do(func() {
					if err := node2.Disable(); err != nil {
						t.Error(err)
					}
				})
			}
		}
		job, err := client.NewJob(client.Options{Events: rec, FragmentSize: 64 << 10, MinRetryDelay: 100 * time.Millisecond,
			AllowShortRetryDelay: true, OnProgress: disable}, client.JobSpec{ID: id, LocalFile: file, RemoteURL: info.UploadURL + id + ".bin"})
		if err != nil {
			t.Fatal(err)
		}
		return job
	}

	t.Run("node2 disabled: fallback after the time-out, restart elsewhere", func(t *testing.T) {
		rec := newRecorder()
		job := newJob(t, rec, "fallback")
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		res, err := job.Run(ctx)
		if err != nil || res.State != client.Acknowledged {
			t.Fatalf("%+v %v", res, err)
		}
		if !rec.hasTimer(sim.ClientTimerFired, sim.TimerHostFallback) {
			t.Error("the fallback timer never fired")
		}
		if res.Restarts != 1 || res.Sessions != 2 {
			t.Errorf("want one restart on another node: %+v", res)
		}
		if err := node2.Enable(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("node2 re-enabled before the time-out: the upload resumes", func(t *testing.T) {
		rec := newRecorder()
		job := newJob(t, rec, "resume")
		go func() {
			<-rec.errs // the upload was interrupted
			if err := node2.Enable(); err != nil {
				t.Error(err)
			}
		}()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		res, err := job.Run(ctx)
		if err != nil || res.State != client.Acknowledged {
			t.Fatalf("%+v %v", res, err)
		}
		if res.Restarts != 0 || res.Sessions != 1 || res.Retries == 0 {
			t.Errorf("want a resume in the same session: %+v", res)
		}
		if res.BytesSent > res.BytesTotal+64<<10 {
			t.Errorf("re-sent more than one fragment: %+v", res)
		}
	})
}
