package client

import (
	"bytes"
	"context"
	"errors"
	"github.com/bitsim/bitsim/knob"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
	"github.com/google/go-cmp/cmp"
)

func TestUploadHappyPath(t *testing.T) {
	f := newFake(t)
	path, data := testFile(t, 50_000)
	res, h := run(t, Options{FragmentSize: 16 << 10}, JobSpec{ID: "j1", LocalFile: path, RemoteURL: f.url("inbox/report.dat")})
	if res.State != Acknowledged || res.Err != nil {
		dumpEvents(t, h)
		t.Fatalf("state %s, err %v", res.State, res.Err)
	}
	if !bytes.Equal(f.data(1), data) {
		t.Fatal("server data differs from the file")
	}
	want := []string{"Create-Session", "Fragment 0-16383/50000", "Fragment 16384-32767/50000",
		"Fragment 32768-49151/50000", "Fragment 49152-49999/50000", "Close-Session"}
	if d := cmp.Diff(want, f.packets()); d != "" {
		t.Errorf("packets (-want +got):\n%s", d)
	}
	wantRes := Result{Job: "j1", State: Acknowledged, BytesSent: 50_000, BytesTotal: 50_000, BytesAcked: 50_000, Sessions: 1}
	if d := cmp.Diff(wantRes, res); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	// Every event comes from the client, for this job, with protocol time.
	var states []string
	for _, e := range h.Events() {
		if e.Source != "client" || e.Job != "j1" || e.At.IsZero() {
			t.Errorf("bad event %v", e)
		}
		if e.Kind == sim.ClientState {
			states = append(states, e.State)
		}
	}
	wantStates := []string{"SUSPENDED", "QUEUED", "CONNECTING", "TRANSFERRING", "TRANSFERRED", "ACKNOWLEDGED"}
	if d := cmp.Diff(wantStates, states); d != "" {
		t.Errorf("states (-want +got):\n%s", d)
	}
	// Protocol headers: Content-Name, Supported-Protocols, job id header.
	for _, r := range f.requests() {
		if r.Header.Get(ClientIDHeader) != "j1" {
			t.Errorf("%s: no %s", r.Packet, ClientIDHeader)
		}
		switch r.Packet {
		case "Create-Session":
			if r.Header.Get(wire.HdrSupportedProtocols) != wire.ProtocolGUID || r.Session != "" {
				t.Errorf("Create-Session headers %v", r.Header)
			}
		case "Fragment":
			if r.Header.Get(wire.HdrContentName) != "report.dat" || r.Session == "" {
				t.Errorf("Fragment headers %v", r.Header)
			}
		}
	}
}

// Empty BITS_POST packets must carry "Content-Length: 0" on the wire
// (toolkit §6; net/http drops it unless wire.NewRequest forces it).
func TestEmptyPacketsCarryContentLengthZero(t *testing.T) {
	f := newFake(t)
	f.hostID = "127.0.0.1" // makes the client Ping
	path, _ := testFile(t, 6000)
	tap := &wireTap{}
	res, h := run(t, Options{Net: tap}, JobSpec{LocalFile: path, RemoteURL: f.url("a.bin")})
	if res.State != Acknowledged {
		dumpEvents(t, h)
		t.Fatal(res.Err)
	}
	reqs := regexp.MustCompile(`(?s)BITS_POST .*?\r\n\r\n`).FindAllString(tap.String(), -1)
	seen := map[string]bool{}
	for _, r := range reqs {
		pt := regexp.MustCompile(`(?m)^BITS-Packet-Type: (\S+)\r$`).FindStringSubmatch(r)
		if pt == nil {
			t.Fatalf("no packet type in\n%s", r)
		}
		seen[pt[1]] = true
		if pt[1] != "Fragment" && !strings.Contains(r, "\r\nContent-Length: 0\r\n") {
			t.Errorf("%s without Content-Length: 0:\n%s", pt[1], r)
		}
		if strings.Contains(strings.ToLower(r), "transfer-encoding") {
			t.Errorf("%s with Transfer-Encoding:\n%s", pt[1], r)
		}
	}
	for _, p := range []string{"Create-Session", "Ping", "Fragment", "Close-Session"} {
		if !seen[p] {
			t.Errorf("no %s on the wire", p)
		}
	}
	for _, r := range f.requests() {
		if !r.HasContentLength {
			t.Errorf("server saw %s without Content-Length", r.Packet)
		}
	}
}

// The client accepts what IIS and third-party servers send (§5.1, §6.1,
// §12.6): header names in any case, no session id on non-Create Acks, 201,
// BITS-Error instead of BITS-Error-Code, hex without 0x, any session id.
func TestLenientAcks(t *testing.T) {
	type script = func(w http.ResponseWriter, r *http.Request, c fakeCall, f *fakeServer) bool
	lowerCaseAcks := func(w http.ResponseWriter, r *http.Request, c fakeCall, f *fakeServer) bool {
		switch c.Packet {
		case "Create-Session":
			rawAck(w, 201, "bits-packet-type", "ack", "bits-session-id", "12345", "bits-protocol", strings.ToUpper(wire.ProtocolGUID))
			return true
		case "Fragment":
			rg, _ := wire.ParseContentRange(r.Header.Get("Content-Range"))
			io.Copy(io.Discard, r.Body)
			if r.Header.Get(wire.HdrSessionID) != "12345" {
				rawAck(w, 500, "BITS-PACKET-TYPE", "Ack", "bits-error", "8020001f", "bits-error-context", "5")
				return true
			}
			rawAck(w, 200, "BITS-PACKET-TYPE", "ACK", "bits-received-content-range", itoa(rg.Last+1))
			return true
		case "Close-Session":
			rawAck(w, 200, "bits-packet-type", "Ack")
			return true
		}
		return false
	}
	cases := []struct {
		name   string
		sid    func(int) string
		script script
		why    string
	}{
		{name: "braced-guid-default", why: "IIS style"},
		{name: "bare-guid", sid: func(n int) string { return "a0ff5911-4144-45b3-bf27-27afc8ec8a6" + itoa(int64(n)) }, why: "opaque id, bare GUID"},
		{name: "decimal-id", sid: func(n int) string { return itoa(int64(1000 + n)) }, why: "opaque id, decimal"},
		{name: "lower-case-201-no-session-on-acks", script: lowerCaseAcks, why: "mixed-case names, 201, no session id on Fragment/Close Acks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.sid = tc.sid
			if tc.script != nil {
				f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool { return tc.script(w, r, c, f) }
			}
			path, _ := testFile(t, 12_000)
			res, h := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			if res.State != Acknowledged || res.Sessions != 1 || res.Restarts != 0 {
				dumpEvents(t, h)
				t.Fatalf("%s: %+v", tc.why, res)
			}
		})
	}
}

// BITS-Error with hex without 0x, lower case: 8020001f on a Fragment is
// understood as session-not-found and restarts the upload.
func TestBITSErrorHeaderWithoutPrefix(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 2 {
			io.Copy(io.Discard, r.Body)
			rawAck(w, 500, "bits-packet-type", "Ack", "BITS-Error", "8020001f", "BITS-Error-Context", "5")
			return true
		}
		return false
	}
	path, data := testFile(t, 12_000)
	res, h := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged || res.Restarts != 1 || res.Sessions != 2 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	if !bytes.Equal(f.data(2), data) {
		t.Error("second session does not hold the file")
	}
}

// §7.4: the offset follows BITS-Received-Content-Range backwards and
// forwards, on 416 and on 200.
func TestResync(t *testing.T) {
	cases := []struct {
		name   string
		status int
		// move returns the offset the server reports for the 2nd Fragment.
		move       func(sent int64) int64
		wantStarts []int64
	}{
		{"416-backwards", 416, func(int64) int64 { return 2000 }, []int64{0, 5120, 2000, 7120, 12240}},
		{"416-forwards", 416, func(int64) int64 { return 12000 }, []int64{0, 5120, 12000}},
		{"200-backwards", 200, func(int64) int64 { return 1000 }, []int64{0, 5120, 1000, 6120, 11240, 16360}},
		{"200-forwards", 200, func(int64) int64 { return 15000 }, []int64{0, 5120, 15000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu     sync.Mutex
				stored []byte
			)
			path, data := testFile(t, 17_000)
			f := newFake(t)
			f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
				if c.Packet != "Fragment" {
					return false
				}
				rg, _ := wire.ParseContentRange(r.Header.Get("Content-Range"))
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				if c.N == 2 {
					// Pretend the server holds exactly move() bytes.
					n := tc.move(rg.First)
					stored = append([]byte(nil), data[:n]...)
					wire.Ack{Status: tc.status, Received: n, HasReceived: true}.Write(w)
					return true
				}
				if rg.First != int64(len(stored)) {
					t.Errorf("fragment at %d, server at %d", rg.First, len(stored))
				}
				stored = append(stored[:rg.First], body...)
				wire.Ack{Received: int64(len(stored)), HasReceived: true}.Write(w)
				return true
			}
			res, h := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			if res.State != Acknowledged {
				dumpEvents(t, h)
				t.Fatal(res.Err)
			}
			if d := cmp.Diff(tc.wantStarts, fragmentStarts(h)); d != "" {
				t.Errorf("fragment starts (-want +got):\n%s", d)
			}
			if !bytes.Equal(stored, data) {
				t.Error("reassembled data differs")
			}
			if tc.status == 416 && res.Resyncs != 1 {
				t.Errorf("resyncs %d", res.Resyncs)
			}
		})
	}
}

// Offsets outside [0, size] and Acks without an offset are protocol errors.
func TestBadOffsetIsFatal(t *testing.T) {
	for _, tc := range []struct{ name, offset string }{{"beyond", "99999"}, {"negative", "-1"}, {"missing", ""}, {"range-syntax", "0-100"}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
				if c.Packet != "Fragment" {
					return false
				}
				io.Copy(io.Discard, r.Body)
				if tc.offset == "" {
					rawAck(w, 200, "BITS-Packet-Type", "Ack")
				} else {
					rawAck(w, 200, "BITS-Packet-Type", "Ack", "BITS-Received-Content-Range", tc.offset)
				}
				return true
			}
			path, _ := testFile(t, 6000)
			res, _ := run(t, Options{}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			var je *JobError
			if res.State != Error || !errors.As(res.Err, &je) || je.Code != wire.WinHTTPInvalidServerResponse || je.Class != wire.Fatal {
				t.Fatalf("%+v", res)
			}
		})
	}
}

// §6.3: 413 halves the fragment, never below 5 KB; a 413 at 5 KB is fatal.
func TestFragmentTooLarge(t *testing.T) {
	t.Run("shrink", func(t *testing.T) {
		f := newFake(t)
		f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
			if c.Packet == "Fragment" && r.ContentLength > 12_000 {
				io.Copy(io.Discard, r.Body)
				rawAck(w, 413, "BITS-Packet-Type", "Ack")
				return true
			}
			return false
		}
		path, data := testFile(t, 40_000)
		res, h := run(t, Options{FragmentSize: 64_000}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
		if res.State != Acknowledged || !bytes.Equal(f.data(1), data) {
			dumpEvents(t, h)
			t.Fatal(res.Err)
		}
		var sizes []int64
		for _, e := range h.OfKind(sim.ClientRequest) {
			if e.Packet == "Fragment" {
				sizes = append(sizes, e.Bytes)
			}
		}
		// 40000 > 12000 → 413, 20000 → 413, 10000 ok ×4.
		want := []int64{40_000, 20_000, 10_000, 10_000, 10_000, 10_000}
		if d := cmp.Diff(want, sizes); d != "" {
			t.Errorf("fragment sizes (-want +got):\n%s", d)
		}
	})
	t.Run("never-below-5KB", func(t *testing.T) {
		f := newFake(t)
		f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
			if c.Packet == "Fragment" {
				io.Copy(io.Discard, r.Body)
				rawAck(w, 413, "BITS-Packet-Type", "Ack")
				return true
			}
			return false
		}
		path, _ := testFile(t, 40_000)
		res, h := run(t, Options{FragmentSize: 8000}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
		var sizes []int64
		for _, e := range h.OfKind(sim.ClientRequest) {
			if e.Packet == "Fragment" {
				sizes = append(sizes, e.Bytes)
			}
		}
		if d := cmp.Diff([]int64{8000, wire.MinFragment}, sizes); d != "" {
			t.Errorf("fragment sizes (-want +got):\n%s", d)
		}
		var je *JobError
		if res.State != Error || !errors.As(res.Err, &je) || je.Status != 413 || je.Class != wire.Fatal {
			t.Fatalf("%+v", res)
		}
	})
}

// 0x8020001F on a Fragment: new Create-Session, restart from byte 0, the
// whole file is sent again.
func TestSessionNotFoundRestartsFromZero(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 3 {
			f.forget()
		}
		return false
	}
	path, data := testFile(t, 20_000)
	res, h := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged {
		dumpEvents(t, h)
		t.Fatal(res.Err)
	}
	if res.Sessions != 2 || res.Restarts != 1 || res.Retries != 0 {
		t.Errorf("%+v", res)
	}
	if d := cmp.Diff([]int64{0, 5120, 10240, 0, 5120, 10240, 15360}, fragmentStarts(h)); d != "" {
		t.Errorf("fragment starts (-want +got):\n%s", d)
	}
	if res.BytesSent != 20_000+3*5120 {
		t.Errorf("bytes sent %d", res.BytesSent)
	}
	if !bytes.Equal(f.data(2), data) {
		t.Error("second session does not hold the file")
	}
}

// A server that forgets every session makes the client wait between
// restarts instead of looping.
func TestRepeatedSessionLossBacksOff(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" {
			f.forget()
		}
		return false
	}
	path, _ := testFile(t, 20_000)
	res, _ := run(t, Options{Clock: virtualClock(t), FragmentSize: 5120, NoProgressTimeout: time.Hour}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Error || !errors.Is(res.Err, ErrNoProgress) || res.Retries == 0 {
		t.Fatalf("%+v", res)
	}
}

func TestCancel(t *testing.T) {
	f := newFake(t)
	var j *Job
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 2 {
			io.Copy(io.Discard, r.Body)
			j.Cancel() // the client aborts this exchange
			<-r.Context().Done()
			return true
		}
		return false
	}
	path, _ := testFile(t, 20_000)
	h := sim.NewHistory()
	var err error
	j, err = NewJob(Options{FragmentSize: 5120, Events: h}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Run(context.Background())
	if !errors.Is(err, ErrCancelled) || res.State != Cancelled || j.State() != Cancelled {
		t.Fatalf("%+v %v", res, err)
	}
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.Packet != "Cancel-Session" || last.Session == "" {
		t.Fatalf("last packet %+v", last)
	}
	f.mu.Lock()
	cancelled := f.sess[last.Session].cancelled
	f.mu.Unlock()
	if !cancelled {
		t.Error("session not cancelled on the server")
	}
	// Cancel again and Run again: no-ops.
	j.Cancel()
	if _, err := j.Run(context.Background()); !errors.Is(err, ErrCancelled) {
		t.Error(err)
	}
}

// Cancel on a job that is not running sends Cancel-Session itself.
func TestCancelWhileSuspended(t *testing.T) {
	f := newFake(t)
	ctx, stop := context.WithCancel(context.Background())
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 2 {
			io.Copy(io.Discard, r.Body)
			stop()
			<-r.Context().Done()
			return true
		}
		return false
	}
	path, _ := testFile(t, 20_000)
	j, err := NewJob(Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Run(ctx)
	if !errors.Is(err, context.Canceled) || res.State != Suspended {
		t.Fatalf("%+v %v", res, err)
	}
	j.Cancel()
	if j.State() != Cancelled {
		t.Fatal(j.State())
	}
	if p := f.packets(); p[len(p)-1] != "Cancel-Session" {
		t.Fatal(p)
	}
}

// Suspend (ctx ends) and resume (Run again): the session and offset are
// kept, the resume starts with a Ping, acknowledged bytes are not re-sent.
func TestSuspendResume(t *testing.T) {
	f := newFake(t)
	ctx, stop := context.WithCancel(context.Background())
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 3 {
			io.Copy(io.Discard, r.Body)
			stop()
			<-r.Context().Done()
			return true
		}
		return false
	}
	path, data := testFile(t, 20_000)
	h := sim.NewHistory()
	j, err := NewJob(Options{FragmentSize: 5120, Events: h}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := j.Run(ctx); res.State != Suspended || res.BytesAcked != 2*5120 {
		t.Fatalf("%+v", res)
	}
	res, err := j.Run(context.Background())
	if err != nil || res.State != Acknowledged || res.Sessions != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	want := []string{"Create-Session", "Fragment 0-5119/20000", "Fragment 5120-10239/20000", "Fragment 10240-15359/20000",
		"Ping", "Fragment 10240-15359/20000", "Fragment 15360-19999/20000", "Close-Session"}
	if d := cmp.Diff(want, f.packets()); d != "" {
		t.Errorf("packets (-want +got):\n%s", d)
	}
	if !bytes.Equal(f.data(1), data) {
		t.Error("data differs")
	}
}

// BG_E_LOCAL_FILE_CHANGED: the file is re-checked (path, size, mtime)
// before each Fragment.
func TestLocalFileChanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(path string) error
	}{
		{"append", func(p string) error {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("more"))
			return err
		}},
		{"touch", func(p string) error { return os.Chtimes(p, time.Now(), time.Now().Add(time.Hour)) }},
		{"replace", func(p string) error {
			b, _ := os.ReadFile(p)
			os.Remove(p)
			return os.WriteFile(p, b, 0o644)
		}},
		{"delete", os.Remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			path, _ := testFile(t, 20_000)
			f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
				if c.Packet == "Fragment" && c.N == 2 {
					if err := tc.change(path); err != nil {
						t.Error(err)
					}
				}
				return false
			}
			res, _ := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			if res.State != Error || !errors.Is(res.Err, ErrLocalFileChanged) {
				t.Fatalf("%+v", res)
			}
			var je *JobError
			if errors.As(res.Err, &je); je.Context != wire.ContextLocalFile || je.Class != wire.Fatal {
				t.Errorf("%+v", je)
			}
			if n := len(fragmentStarts(nil2(f))); n != 2 {
				t.Errorf("%d fragments sent", n)
			}
		})
	}
}

func nil2(f *fakeServer) *sim.History {
	h := sim.NewHistory()
	for _, r := range f.requests() {
		if r.Packet == "Fragment" {
			h.Record(sim.Event{Kind: sim.ClientRequest, Packet: "Fragment"})
		}
	}
	return h
}

// Custom headers go on every request, reply GETs included, and never
// replace protocol headers.
func TestCustomHeaders(t *testing.T) {
	f := newFake(t)
	f.reply = []byte("the reply")
	path, _ := testFile(t, 7000)
	hdr := http.Header{}
	hdr["X-Custom-Token"] = []string{"abc"}
	hdr.Set("BITS-Packet-Type", "Evil")
	hdr.Set("Content-Range", "bytes 0-0/1")
	res, h := run(t, Options{Header: hdr, UserAgent: "ua/1"}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged {
		dumpEvents(t, h)
		t.Fatal(res.Err)
	}
	var kinds []string
	for _, r := range f.requests() {
		kinds = append(kinds, r.Packet)
		if r.Header.Get("X-Custom-Token") != "abc" || r.Header.Get("User-Agent") != "ua/1" {
			t.Errorf("%s lacks custom headers: %v", r.Packet, r.Header)
		}
		if strings.EqualFold(r.Header.Get(wire.HdrPacketType), "Evil") {
			t.Errorf("custom header replaced BITS-Packet-Type")
		}
	}
	if d := cmp.Diff([]string{"Create-Session", "Fragment", "GET", "Close-Session"}, kinds); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// Request and response guards: a server that never answers makes the
// exchange fail with ERROR_WINHTTP_TIMEOUT (transient); the retry succeeds.
func TestResponseTimeout(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" && c.N == 1 {
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done() // hang until the client gives up
			return true
		}
		return false
	}
	path, data := testFile(t, 8000)
	clock := virtualClock(t)
	res, h := run(t, Options{Clock: clock}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged || res.Retries != 1 || !bytes.Equal(f.data(1), data) {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	var fired []string
	for _, e := range h.OfKind(sim.ClientTimerFired) {
		fired = append(fired, string(e.Timer))
	}
	if d := cmp.Diff([]string{"response-timeout", "retry"}, fired); d != "" {
		t.Errorf("timers fired (-want +got):\n%s", d)
	}
	errs := h.OfKind(sim.ClientError)
	if len(errs) != 1 || errs[0].Code != wire.WinHTTPTimeout.Hex() || errs[0].Context != "0x6" {
		t.Errorf("errors %v", errs)
	}
}

// NoProgressTimeout: retries every MinRetryDelay, then ERROR with
// BG_E_NO_PROGRESS when the time-out ends (not earlier: issue 12).
func TestNoProgressTimeout(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" {
			io.Copy(io.Discard, r.Body)
			wire.ErrDiskFull.Ack().Write(w) // 500: transient
			return true
		}
		return false
	}
	path, _ := testFile(t, 8000)
	clock := virtualClock(t)
	start := clock.Now()
	res, h := run(t, Options{Clock: clock, NoProgressTimeout: time.Hour}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Error || !errors.Is(res.Err, ErrNoProgress) || res.Code != wire.BGENoProgress.Hex() {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	// Errors at 0, 600, ..., 3000 s: 5 retries; the wait after the last one
	// reaches the time-out: ERROR at exactly one hour.
	if res.Retries != 5 {
		t.Errorf("retries %d", res.Retries)
	}
	if got := clock.Now().Sub(start); got != time.Hour {
		t.Errorf("ERROR after %s", got)
	}
	if !errors.Is(res.Err, wire.ErrDiskFull) {
		t.Errorf("cause lost: %v", res.Err)
	}
}

func TestNoRetries(t *testing.T) {
	f := newFake(t)
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" {
			io.Copy(io.Discard, r.Body)
			wire.ErrDiskFull.Ack().Write(w)
			return true
		}
		return false
	}
	path, _ := testFile(t, 8000)
	res, _ := run(t, Options{NoProgressTimeout: NoRetries}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Error || res.Retries != 0 || !errors.Is(res.Err, wire.ErrDiskFull) {
		t.Fatalf("%+v", res)
	}
}

// MinRetryDelay below 5 s is raised to 5 s unless AllowShortRetryDelay.
func TestRetryDelayFloor(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want time.Duration
	}{
		{Options{}, 600 * time.Second},
		{Options{MinRetryDelay: time.Second}, 5 * time.Second},
		{Options{MinRetryDelay: time.Second, AllowShortRetryDelay: true}, time.Second},
		{Options{MinRetryDelay: 30 * time.Second}, 30 * time.Second},
	} {
		if got := tc.opts.resolve().retryDelay; got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.opts, got, tc.want)
		}
	}
	c := Options{}.resolve()
	if c.noProgress != 14*24*time.Hour || c.reqTO != 2*time.Minute || c.respTO != 5*time.Minute || c.fixedFrag != 0 {
		t.Errorf("defaults %+v", c)
	}
	if c := (Options{FragmentSize: 1}).resolve(); c.fixedFrag != wire.MinFragment {
		t.Errorf("fixed fragment %d", c.fixedFrag)
	}
	if c := (Options{FragmentSize: 1 << 30}).resolve(); c.fixedFrag != wire.MaxFragment {
		t.Errorf("fixed fragment %d", c.fixedFrag)
	}
}

// The adaptive policy starts at 64 KiB and doubles while fragments are
// fast (always, on a virtual clock), up to 13 MB.
func TestAdaptiveFragments(t *testing.T) {
	f := newFake(t)
	path, data := testFile(t, 3<<20)
	res, h := run(t, Options{Clock: virtualClock(t)}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged || !bytes.Equal(f.data(1), data) {
		t.Fatal(res.Err)
	}
	var sizes []int64
	for _, e := range h.OfKind(sim.ClientRequest) {
		if e.Packet == "Fragment" {
			sizes = append(sizes, e.Bytes)
		}
	}
	want := []int64{64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 3<<20 - (64+128+256+512)<<10 - 1<<20}
	if d := cmp.Diff(want, sizes); d != "" {
		t.Errorf("sizes (-want +got):\n%s", d)
	}
}

func TestNewJobValidation(t *testing.T) {
	path, _ := testFile(t, 10)
	empty := path + ".empty"
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct {
		name string
		spec JobSpec
	}{
		{"no-file", JobSpec{RemoteURL: "http://h/x"}},
		{"missing-file", JobSpec{LocalFile: path + ".nope", RemoteURL: "http://h/x"}},
		{"empty-file", JobSpec{LocalFile: empty, RemoteURL: "http://h/x"}},
		{"ftp", JobSpec{LocalFile: path, RemoteURL: "ftp://h/x"}},
		{"relative-url", JobSpec{LocalFile: path, RemoteURL: "/x"}},
		{"reply-file-on-upload", JobSpec{LocalFile: path, RemoteURL: "http://h/x", ReplyFile: "r"}},
		{"bad-txn", JobSpec{LocalFile: path, RemoteURL: "http://h/x", Txn: "has space"}},
		{"bad-type", JobSpec{Type: 7, LocalFile: path, RemoteURL: "http://h/x"}},
	} {
		if _, err := NewJob(Options{}, tc.spec); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	j, err := NewJob(Options{}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: "http://h/x"})
	if err != nil || j.Spec().ReplyFile != path+".reply" || j.State() != Suspended || !strings.HasPrefix(j.ID(), "job-") {
		t.Fatal(err, j.Spec())
	}
	if err := j.Complete(); err == nil {
		t.Error("Complete on a SUSPENDED job")
	}
}

func TestManualComplete(t *testing.T) {
	f := newFake(t)
	path, _ := testFile(t, 6000)
	j, err := NewJob(Options{ManualComplete: true}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Run(context.Background())
	if err != nil || res.State != Transferred {
		t.Fatal(res, err)
	}
	if p := f.packets(); p[len(p)-1] != "Close-Session" {
		t.Fatal(p)
	}
	if err := j.Complete(); err != nil || j.State() != Acknowledged {
		t.Fatal(err, j.State())
	}
}

func TestStateNames(t *testing.T) {
	for s := Queued; s <= Cancelled; s++ {
		b, _ := s.MarshalText()
		var back JobState
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%s: %v", s, err)
		}
	}
	if Transferring.String() != "TRANSFERRING" || Upload.String() != "upload" || UploadReply.String() != "upload-reply" {
		t.Error("names")
	}
	for _, s := range []string{"restart", "no-resend"} {
		if k, err := knob.ParseCloseNotFound(s); err != nil || k.String() != s {
			t.Error(s, err)
		}
	}
	for _, s := range []string{"origin", "hostid"} {
		if k, err := knob.ParseReplyHost(s); err != nil || k.String() != s {
			t.Error(s, err)
		}
	}
	for _, s := range []string{"empty", "error"} {
		if k, err := knob.ParseMissingReply(s); err != nil || k.String() != s {
			t.Error(s, err)
		}
	}
	for _, s := range []string{"any-failure", "connect-failure"} {
		if k, err := knob.ParseFallback(s); err != nil || k.String() != s {
			t.Error(s, err)
		}
	}
	if _, err := knob.ParseFallback("x"); err == nil {
		t.Error("bad value parsed")
	}
}
