package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

const remote = "http://upload.farm.test/inbox/report.dat"

// startApp starts an app on loopback and closes it at cleanup.
func startApp(t testing.TB, cfg Config) (*App, *sim.History) {
	t.Helper()
	hist := sim.NewHistory()
	cfg.Events = sim.Tee(cfg.Events, hist)
	a := New(cfg)
	if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, hist
}

// client returns an HTTP client without keep-alives (no idle goroutines
// for goleak) whose connections are closed at cleanup.
func client(t testing.TB) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// post sends a notification. With reqFile != "" it is by reference,
// otherwise by value with body.
func post(ctx context.Context, t testing.TB, c *http.Client, url, node, reqFile, respFile string, body []byte) (reply, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(HdrNode, node)
	wire.SetExact(req.Header, wire.HdrOriginalRequestURL, remote)
	if reqFile != "" {
		wire.SetExact(req.Header, wire.HdrRequestDataFileName, reqFile)
		wire.SetExact(req.Header, wire.HdrResponseDataFileName, respFile)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{resp.StatusCode, resp.Header, b}, nil
}

func mustPost(t testing.TB, c *http.Client, url, node string, body []byte) reply {
	t.Helper()
	r, err := post(context.Background(), t, c, url, node, "", "", body)
	if err != nil {
		t.Fatalf("notification: %v", err)
	}
	return r
}

func wrap(t testing.TB, id, payload string) []byte {
	t.Helper()
	b, err := txn.Wrap(id, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// waitEvent waits until hist holds an event for which ok is true.
func waitEvent(t testing.TB, hist *sim.History, ok func(sim.Event) bool) sim.Event {
	t.Helper()
	ch, stop := hist.Notify()
	defer stop()
	deadline := time.NewTimer(10 * time.Second) // failure guard only
	defer deadline.Stop()
	for {
		for _, e := range hist.Events() {
			if ok(e) {
				return e
			}
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("event not seen; history:\n%v", hist.Events())
		}
	}
}

// ignoreVolatile drops fields a case does not pin down.
var ignoreVolatile = cmpopts.IgnoreFields(ledger.Delivery{}, "Time", "Path")

func TestNotifyByValue(t *testing.T) {
	enveloped := wrap(t, "t-1", "payload")
	tests := []struct {
		name      string
		reply     bool
		body      []byte
		wantBody  []byte
		wantTxn   string
		reasoning string
	}{
		{"reply on - enveloped upload - reply body names txn", true, enveloped,
			ReplyFor("t-1", sha(enveloped), int64(len(enveloped))), "t-1", "upload-reply by value returns the body"},
		{"reply on - plain upload - reply body with empty txn", true, []byte("plain"),
			ReplyFor("", sha([]byte("plain")), 5), "", "no envelope: txn empty"},
		{"reply off - enveloped upload - empty body", false, enveloped, nil, "t-1", "plain upload jobs get no reply"},
		{"reply on - empty upload - reply for size 0", true, nil, ReplyFor("", sha(nil), 0), "", "zero-byte uploads are delivered too"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := startApp(t, Config{Reply: tc.reply})
			r := mustPost(t, client(t), a.NotifyURL(), "node1", tc.body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, want 200 (%s)", r.status, tc.reasoning)
			}
			if diff := cmp.Diff(string(tc.wantBody), string(r.body)); diff != "" {
				t.Errorf("reply body (-want +got) (%s):\n%s", tc.reasoning, diff)
			}
			if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(tc.wantBody)) {
				t.Errorf("Content-Length %q, want %d", cl, len(tc.wantBody))
			}
			want := []ledger.Delivery{{Seq: 1, Node: "node1", RemoteURL: remote, Size: int64(len(tc.body)), SHA256: sha(tc.body),
				Txn: tc.wantTxn, Mode: ledger.ByValue, Effect: true, Status: 200}}
			if diff := cmp.Diff(want, a.Ledger(), ignoreVolatile); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
			if a.Effects() != 1 {
				t.Errorf("effects %d, want 1", a.Effects())
			}
		})
	}
}

func TestNotifyByReference(t *testing.T) {
	upload := wrap(t, "ref-7", strings.Repeat("0123456789", 10000)) // 100 KB
	want := ReplyFor("ref-7", sha(upload), int64(len(upload)))
	tests := []struct {
		name       string
		cfg        Config
		noRespName bool // K9: no BITS-Response-DataFile-Name value
		wantFile   []byte
		wantBody   []byte
		wantHeader map[string]string
	}{
		{name: "reply on - reply file written - no body", cfg: Config{Reply: true}, wantFile: want},
		{name: "reply off - no reply file - no body", cfg: Config{}},
		{name: "reply in file and body - K9 both", cfg: Config{Reply: true, ReplyBodyByReference: true}, wantFile: want, wantBody: want},
		{name: "empty response file name - K9 reply in body", cfg: Config{Reply: true}, noRespName: true, wantBody: want},
		{name: "static response URL - header only - no file", cfg: Config{Reply: true, StaticResponseURL: "http://replies.test/{txn}/{sha256}"},
			wantHeader: map[string]string{wire.HdrStaticResponseURL: "http://replies.test/ref-7/" + sha(upload)}},
		{name: "copy to destination - header and reply file", cfg: Config{Reply: true, CopyFileToDestination: true}, wantFile: want,
			wantHeader: map[string]string{wire.HdrCopyFileToDestination: "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			reqFile, respFile := filepath.Join(dir, "requestfile.bin"), filepath.Join(dir, "responsefile.bin")
			if err := os.WriteFile(reqFile, upload, 0o644); err != nil {
				t.Fatal(err)
			}
			a, _ := startApp(t, tc.cfg)
			name := respFile
			if tc.noRespName {
				name = ""
			}
			r, err := post(context.Background(), t, client(t), a.NotifyURL(), "node2", reqFile, name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if diff := cmp.Diff(string(tc.wantBody), string(r.body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			got, err := os.ReadFile(respFile)
			if tc.wantFile == nil {
				if !errors.Is(err, os.ErrNotExist) {
					t.Errorf("reply file exists (err %v), want none", err)
				}
			} else if diff := cmp.Diff(string(tc.wantFile), string(got)); diff != "" {
				t.Errorf("reply file (-want +got), err %v:\n%s", err, diff)
			}
			for k, v := range tc.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			wantL := []ledger.Delivery{{Seq: 1, Node: "node2", RemoteURL: remote, Size: int64(len(upload)), SHA256: sha(upload),
				Txn: "ref-7", Mode: ledger.ByReference, Effect: true, Status: 200}}
			if diff := cmp.Diff(wantL, a.Ledger(), ignoreVolatile); diff != "" {
				t.Errorf("ledger (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotifyErrors(t *testing.T) {
	a, _ := startApp(t, Config{BasePath: "/apps/ingest/"})
	c := client(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   io.Reader
		want   int
	}{
		{"by reference - missing request file - 500", "POST", "/apps/ingest/notify",
			map[string]string{wire.HdrRequestDataFileName: filepath.Join(dir, "nope"), wire.HdrResponseDataFileName: filepath.Join(dir, "r")}, nil, 500},
		{"only response file header - no request file - 400", "POST", "/apps/ingest/notify",
			map[string]string{wire.HdrResponseDataFileName: filepath.Join(dir, "r")}, nil, 400},
		{"by value - chunked without Content-Length - 411", "POST", "/apps/ingest/notify", nil, io.MultiReader(strings.NewReader("x")), 411},
		{"outside base path - 404", "POST", "/elsewhere/notify", nil, nil, 404},
		{"GET on notify - 405", "GET", "/apps/ingest/notify", nil, nil, 405},
		{"POST on ledger - 405", "POST", "/apps/ingest/ledger", nil, nil, 405},
		{"unknown reply - 404", "GET", "/apps/ingest/reply/abc", nil, nil, 404},
		{"any POST path under base - notification accepted", "POST", "/apps/ingest/x.asp?ACCOUNT=42", nil, strings.NewReader("d"), 200},
	}
	base := strings.TrimSuffix(a.URL(), "/apps/ingest")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, base+tc.path, tc.body)
			for k, v := range tc.header {
				wire.SetExact(req.Header, k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	l := a.Ledger()
	if len(l) != 1 || l[0].Path != "/apps/ingest/x.asp?ACCOUNT=42" {
		t.Errorf("ledger %+v, want only the accepted notification", l)
	}
}

func TestRepeatedDelivery(t *testing.T) {
	tests := []struct {
		name        string
		mode        Mode
		bodies      [][]byte // delivered in order, each by a different node
		wantEffects int
		wantDup     []bool
		reason      string
	}{
		{"naive - same txn thrice - three effects", Naive,
			[][]byte{wrap(t, "T", "a"), wrap(t, "T", "a"), wrap(t, "T", "a")}, 3, []bool{false, true, true}, "naive applies every delivery"},
		{"idempotent - same txn thrice - one effect", Idempotent,
			[][]byte{wrap(t, "T", "a"), wrap(t, "T", "a"), wrap(t, "T", "a")}, 1, []bool{false, true, true}, "dedup on txn"},
		{"idempotent - same txn different payload - one effect", Idempotent,
			[][]byte{wrap(t, "T", "a"), wrap(t, "T", "b")}, 1, []bool{false, true}, "the txn, not the content, is the key"},
		{"idempotent - two txns same payload - two effects", Idempotent,
			[][]byte{wrap(t, "T1", "a"), wrap(t, "T2", "a")}, 2, []bool{false, false}, "distinct transactions"},
		{"idempotent - no txn same content same URL - one effect", Idempotent,
			[][]byte{[]byte("same"), []byte("same")}, 1, []bool{false, true}, "fallback key sha256+remote URL"},
		{"idempotent - no txn different content - two effects", Idempotent,
			[][]byte{[]byte("one"), []byte("two")}, 2, []bool{false, false}, "fallback key differs"},
		{"naive - no txn same content - two effects, marked duplicate", Naive,
			[][]byte{[]byte("same"), []byte("same")}, 2, []bool{false, true}, "Duplicate is set in naive mode too"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := startApp(t, Config{Mode: tc.mode, Reply: true})
			c := client(t)
			var first []byte
			for i, b := range tc.bodies {
				r := mustPost(t, c, a.NotifyURL(), "node"+strconv.Itoa(i), b)
				if r.status != 200 {
					t.Fatalf("delivery %d: status %d", i, r.status)
				}
				if i == 0 {
					first = r.body
				} else if tc.mode == Idempotent && tc.wantDup[i] && !bytes.Equal(r.body, first) {
					t.Errorf("delivery %d: reply %q, want the first reply %q", i, r.body, first)
				}
			}
			snap := a.Snapshot()
			if snap.Effects != tc.wantEffects {
				t.Errorf("effects %d, want %d (%s)", snap.Effects, tc.wantEffects, tc.reason)
			}
			var dups []bool
			for _, d := range snap.Deliveries {
				dups = append(dups, d.Duplicate)
			}
			if diff := cmp.Diff(tc.wantDup, dups); diff != "" {
				t.Errorf("duplicate flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoTxnDifferentRemoteURL(t *testing.T) {
	a, _ := startApp(t, Config{Mode: Idempotent})
	c := client(t)
	for _, u := range []string{"http://h/a", "http://h/b"} {
		req, _ := http.NewRequest("POST", a.NotifyURL(), strings.NewReader("same"))
		wire.SetExact(req.Header, wire.HdrOriginalRequestURL, u)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if a.Effects() != 2 {
		t.Errorf("effects %d, want 2: same content to different remote names is two transactions", a.Effects())
	}
}

func TestConcurrentSameTxnIdempotent(t *testing.T) {
	a, _ := startApp(t, Config{Mode: Idempotent, Reply: true})
	c := client(t)
	body := wrap(t, "race", "x")
	var wg sync.WaitGroup
	replies := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range replies {
		wg.Go(func() {
			r, err := post(context.Background(), t, c, a.NotifyURL(), "n", "", "", body)
			replies[i], errs[i] = r.body, err
		})
	}
	wg.Wait()
	for i := range replies {
		if errs[i] != nil || !bytes.Equal(replies[i], ReplyFor("race", sha(body), int64(len(body)))) {
			t.Errorf("delivery %d: %q, %v", i, replies[i], errs[i])
		}
	}
	if s := a.Snapshot(); s.Effects != 1 || len(s.Deliveries) != 8 {
		t.Errorf("effects %d deliveries %d, want 1 and 8", s.Effects, len(s.Deliveries))
	}
}

func TestLatencyOnVirtualClock(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	a, _ := startApp(t, Config{Clock: clock, Reply: true})
	a.SetLatency(30 * time.Second)
	c := client(t)
	done := make(chan reply, 1)
	go func() {
		r, _ := post(context.Background(), t, c, a.NotifyURL(), "n", "", "", []byte("slow"))
		done <- r
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // failure guard
	defer cancel()
	if err := clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal("app never started its latency wait")
	}
	if l := a.Ledger(); len(l) != 1 || l[0].Effect || l[0].Status != 0 || !l[0].Time.Equal(sim.Epoch) {
		t.Fatalf("during latency ledger = %+v, want one recorded delivery at the epoch, no effect yet", l)
	}
	select {
	case <-done:
		t.Fatal("answered before the latency elapsed")
	default:
	}
	clock.Advance(29 * time.Second)
	if a.Effects() != 0 {
		t.Fatal("effect applied before the latency elapsed")
	}
	clock.Advance(time.Second)
	r := <-done
	if r.status != 200 || a.Effects() != 1 {
		t.Errorf("after latency: status %d effects %d, want 200 and 1", r.status, a.Effects())
	}
}

func TestLatencyNotifierGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		set        func(*App)
		wantEffect bool
	}{
		{"latency - node times out - no effect, no answer", func(a *App) { a.SetLatency(time.Hour) }, false},
		{"reply delay - node times out - effect applied, no answer", func(a *App) { a.SetReplyDelay(time.Hour) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := sim.NewVirtual(time.Time{})
			a, hist := startApp(t, Config{Clock: clock})
			tc.set(a)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := post(ctx, t, client(t), a.NotifyURL(), "n", "", "", []byte("x"))
				errc <- err
			}()
			guard, gcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer gcancel()
			if err := clock.BlockUntil(guard, 1); err != nil {
				t.Fatal(err)
			}
			cancel() // the node gives up: the app must not keep a goroutine sleeping
			if err := <-errc; err == nil {
				t.Fatal("cancelled notification succeeded")
			}
			e := waitEvent(t, hist, func(e sim.Event) bool { return e.Kind == sim.AppReplied })
			if !strings.Contains(e.Err, "abandoned") {
				t.Errorf("reply event err %q, want abandoned", e.Err)
			}
			if clock.Pending() != 0 {
				t.Errorf("%d timers still pending", clock.Pending())
			}
			l := a.Ledger()
			if len(l) != 1 || l[0].Effect != tc.wantEffect || l[0].Status != 0 || !strings.HasPrefix(l[0].Dropped, "abandoned") {
				t.Errorf("ledger %+v", l)
			}
		})
	}
}

func TestStatusFault(t *testing.T) {
	tests := []struct {
		name        string
		mode        Mode
		set         func(*App)
		n           int
		want        []int
		wantEffects int
		reason      string
	}{
		{"403 once - then 200 - idempotent retry applies", Idempotent, func(a *App) { a.SetStatus(403, 1) },
			2, []int{403, 200}, 1, "a rejected txn is not applied, so the retry is"},
		{"503 twice - then 200", Naive, func(a *App) { a.SetStatus(503, 2) }, 3, []int{503, 503, 200}, 1, "rejections apply nothing"},
		{"409 always", Naive, func(a *App) { a.SetStatus(409, Always) }, 3, []int{409, 409, 409}, 0, "every notification rejected"},
		{"501 and other 4xx codes pass through", Naive, func(a *App) { a.SetStatus(501, 1) }, 1, []int{501}, 0, "any status can be injected"},
		{"408 cleared by SetStatus 200", Naive, func(a *App) { a.SetStatus(408, Always); a.SetStatus(200, 0) }, 1, []int{200}, 1, "200 clears"},
		{"500 after effect - naive - retry duplicates the effect", Naive, func(a *App) { a.SetStatusAfterEffect(500, 1) },
			2, []int{500, 200}, 2, "work done, failure reported"},
		{"500 after effect - idempotent - retry applies nothing", Idempotent, func(a *App) { a.SetStatusAfterEffect(500, 1) },
			2, []int{500, 200}, 1, "dedup absorbs the retry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := startApp(t, Config{Mode: tc.mode})
			tc.set(a)
			c := client(t)
			var got []int
			for range tc.n {
				got = append(got, mustPost(t, c, a.NotifyURL(), "n", wrap(t, "s", "x")).status)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if a.Effects() != tc.wantEffects {
				t.Errorf("effects %d, want %d (%s)", a.Effects(), tc.wantEffects, tc.reason)
			}
			var statuses []int
			for _, d := range a.Ledger() {
				statuses = append(statuses, d.Status)
			}
			if diff := cmp.Diff(tc.want, statuses); diff != "" {
				t.Errorf("ledger statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCrash(t *testing.T) {
	tests := []struct {
		name        string
		mode        Mode
		point       CrashPoint
		byRef       bool
		wantLedger  int // deliveries after crash + retry
		wantEffects int
		wantFile    bool // reply file written by the crashed attempt
	}{
		{"after-processing - idempotent - retry same reply, no second effect", Idempotent, CrashAfterProcessing, false, 2, 1, false},
		{"after-processing - naive - retry is a second effect", Naive, CrashAfterProcessing, false, 2, 2, false},
		{"after-processing - by reference - no reply file from the crashed attempt", Idempotent, CrashAfterProcessing, true, 2, 1, false},
		{"before-reply - by reference - reply file written before dying", Idempotent, CrashBeforeReply, true, 2, 1, true},
		{"before-processing - nothing recorded - retry is the first delivery", Naive, CrashBeforeProcessing, false, 1, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, hist := startApp(t, Config{Mode: tc.mode, Reply: true})
			a.SetCrash(tc.point, 1)
			c := client(t)
			body := wrap(t, "crash-1", "data")
			dir := t.TempDir()
			reqFile, respFile := "", ""
			var postBody []byte = body
			if tc.byRef {
				reqFile, respFile = filepath.Join(dir, "req"), filepath.Join(dir, "resp")
				if err := os.WriteFile(reqFile, body, 0o644); err != nil {
					t.Fatal(err)
				}
				postBody = nil
			}
			if _, err := post(context.Background(), t, c, a.NotifyURL(), "node1", reqFile, respFile, postBody); err == nil {
				t.Fatal("crashed notification got a response; want a dropped connection")
			}
			e := waitEvent(t, hist, func(e sim.Event) bool { return e.Kind == sim.AppCrashed })
			if e.Point != tc.point.String() {
				t.Errorf("crash event point %q, want %q", e.Point, tc.point)
			}
			if _, err := os.Stat(respFile); tc.byRef && (err == nil) != tc.wantFile {
				t.Errorf("reply file after crash: stat err %v, want exists=%v", err, tc.wantFile)
			}
			if tc.point != CrashBeforeProcessing {
				l := a.Ledger()
				if len(l) != 1 || l[0].Status != 0 || l[0].Dropped != "crash "+tc.point.String() || !l[0].Effect {
					t.Fatalf("ledger after crash %+v, want the delivery recorded with its effect and no answer", l)
				}
			}
			os.Remove(respFile)
			r, err := post(context.Background(), t, c, a.NotifyURL(), "node1", reqFile, respFile, postBody)
			if err != nil || r.status != 200 {
				t.Fatalf("retry: %v %+v", err, r)
			}
			want := ReplyFor("crash-1", sha(body), int64(len(body)))
			got := r.body
			if tc.byRef {
				got, _ = os.ReadFile(respFile)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("retry reply %q, want %q", got, want)
			}
			s := a.Snapshot()
			if len(s.Deliveries) != tc.wantLedger || s.Effects != tc.wantEffects {
				t.Errorf("deliveries %d effects %d, want %d and %d", len(s.Deliveries), s.Effects, tc.wantLedger, tc.wantEffects)
			}
			if a.Down() {
				t.Error("app down after a crash without StayDown")
			}
		})
	}
}

func TestCrashStayDownUntilRestart(t *testing.T) {
	a, _ := startApp(t, Config{StayDown: true})
	a.SetCrash(CrashAfterProcessing, Always)
	c := client(t)
	if _, err := post(context.Background(), t, c, a.NotifyURL(), "n", "", "", []byte("a")); err == nil {
		t.Fatal("want dropped connection")
	}
	if !a.Down() {
		t.Fatal("app not down after crash with StayDown")
	}
	if _, err := post(context.Background(), t, c, a.NotifyURL(), "n", "", "", []byte("b")); err == nil {
		t.Fatal("down app answered")
	}
	// The ledger route still answers while the app is down.
	resp, err := c.Get(a.LedgerURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a.SetCrash(CrashNone, 0)
	a.Restart()
	if r := mustPost(t, c, a.NotifyURL(), "n", []byte("c")); r.status != 200 {
		t.Fatalf("after restart: %d", r.status)
	}
	l := a.Ledger()
	if len(l) != 2 || l[0].Dropped != "crash after-processing" || l[1].Status != 200 {
		t.Errorf("ledger %+v: want the crashed delivery and the one after restart, not the one sent while down", l)
	}
	a.Kill()
	if !a.Down() {
		t.Error("Kill did not bring the app down")
	}
	a.ClearFaults()
	if a.Down() {
		t.Error("ClearFaults left the app down")
	}
}

func TestLedgerJSON(t *testing.T) {
	a, _ := startApp(t, Config{})
	c := client(t)
	get := func() map[string]json.RawMessage {
		t.Helper()
		resp, err := c.Get(a.LedgerURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var m map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := get()
	if diff := cmp.Diff(`{"deliveries":[],"effects":0}`, `{"deliveries":`+string(m["deliveries"])+`,"effects":`+string(m["effects"])+`}`); diff != "" || len(m) != 2 {
		t.Errorf("empty ledger (-want +got):\n%s", diff)
	}
	mustPost(t, c, a.NotifyURL(), "node3", wrap(t, "j", "x"))
	m = get()
	if keys := slices.Sorted(mapsKeys(m)); !slices.Equal(keys, []string{"deliveries", "effects"}) {
		t.Errorf("top-level keys %v", keys)
	}
	var ds []map[string]any
	if err := json.Unmarshal(m["deliveries"], &ds); err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %s: %v", m["deliveries"], err)
	}
	for _, k := range []string{"seq", "node", "remote_url", "size", "sha256", "txn", "mode", "duplicate", "time", "effect", "status"} {
		if _, ok := ds[0][k]; !ok {
			t.Errorf("delivery lacks key %q: %v", k, ds[0])
		}
	}
	if ds[0]["node"] != "node3" || ds[0]["txn"] != "j" || ds[0]["mode"] != "value" || ds[0]["seq"] != 1.0 || string(m["effects"]) != "1" {
		t.Errorf("delivery %v effects %s", ds[0], m["effects"])
	}
	var snap ledger.Snapshot
	if err := json.Unmarshal(mustJSON(t, m), &snap); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.Snapshot(), snap, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("JSON and in-process snapshot differ (-want +got):\n%s", diff)
	}
}

func mapsKeys(m map[string]json.RawMessage) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStaticReplyRoute(t *testing.T) {
	a, _ := startApp(t, Config{Reply: true})
	a.SetStaticResponseURL(a.URL() + "/reply/{sha256}")
	c := client(t)
	body := wrap(t, "st", "payload")
	r := mustPost(t, c, a.NotifyURL(), "n", body)
	u := r.header.Get(wire.HdrStaticResponseURL)
	if r.status != 200 || len(r.body) != 0 || u != a.URL()+"/reply/"+sha(body) {
		t.Fatalf("answer %d body %q static URL %q", r.status, r.body, u)
	}
	want := ReplyFor("st", sha(body), int64(len(body)))
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Range", "bytes=0-11")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[:12]) {
		t.Errorf("range GET: %d %q, want 206 %q", resp.StatusCode, got, want[:12])
	}
}

func TestEvents(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	a, hist := startApp(t, Config{Clock: clock, Name: "app1"})
	body := wrap(t, "ev", "x")
	mustPost(t, client(t), a.NotifyURL(), "node9", body)
	var got []sim.Event
	for _, e := range hist.Events() {
		got = append(got, sim.Event{Kind: e.Kind, Source: e.Source, Node: e.Node, Txn: e.Txn, Status: e.Status, Bytes: e.Bytes, SHA256: e.SHA256, Detail: e.Detail, URL: e.URL, At: e.At})
	}
	want := []sim.Event{
		{Kind: sim.AppDelivery, Source: "app1", Node: "node9", Txn: "ev", Bytes: int64(len(body)), SHA256: sha(body), Detail: "sha256:" + sha(body), URL: remote, At: sim.Epoch},
		{Kind: sim.AppEffect, Source: "app1", Node: "node9", Txn: "ev", Detail: "txn:ev", URL: remote, At: sim.Epoch},
		{Kind: sim.AppReplied, Source: "app1", Node: "node9", Txn: "ev", Status: 200, URL: remote, At: sim.Epoch},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestCloseCancelsInFlight(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	a := New(Config{Clock: clock})
	if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	a.SetLatency(time.Hour)
	errc := make(chan error, 1)
	go func() {
		_, err := post(context.Background(), t, client(t), a.NotifyURL(), "n", "", "", []byte("x"))
		errc <- err
	}()
	guard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntil(guard, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Error("notification answered although the app closed mid-latency")
	}
	if err := a.Start(context.Background(), "127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
	if l := a.Ledger(); len(l) != 1 || l[0].Effect {
		t.Errorf("ledger after close %+v", l)
	}
}

func TestShutdownWaitsForInFlight(t *testing.T) {
	a := New(Config{})
	if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if r := mustPost(t, client(t), a.NotifyURL(), "n", []byte("x")); r.status != 200 {
		t.Fatal(r.status)
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.URL() == "" || a.Effects() != 1 {
		t.Errorf("after shutdown: URL %q effects %d", a.URL(), a.Effects())
	}
}

func TestReset(t *testing.T) {
	a, _ := startApp(t, Config{Mode: Idempotent})
	c := client(t)
	mustPost(t, c, a.NotifyURL(), "n", wrap(t, "r", "x"))
	a.Reset()
	mustPost(t, c, a.NotifyURL(), "n", wrap(t, "r", "x"))
	if s := a.Snapshot(); s.Effects != 1 || len(s.Deliveries) != 1 || s.Deliveries[0].Duplicate || s.Deliveries[0].Seq != 1 {
		t.Errorf("after Reset %+v", s)
	}
}
