package client

import (
	"bytes"
	"errors"
	"github.com/bitsim/bitsim/knob"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// Interoperability with deployed third-party servers (issue 12).

// A 2xx Ack carrying BITS-Error-Code: 1 and an empty BITS-Error-Context
// (seen on Ping, Fragment and Close-Session Acks of deployed servers) is a
// success: the client records a warning and goes on, as Windows does.
func TestSuccessAckWithOddErrorHeaders(t *testing.T) {
	f := newFake(t)
	f.hostID = "127.0.0.1" // makes the client Ping
	odd := []string{"BITS-Packet-Type", "Ack", "BITS-Error-Code", "1", "BITS-Error-Context", ""}
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		switch c.Packet {
		case "Ping", "Close-Session":
			rawAck(w, 200, odd...)
			return true
		}
		return false
	}
	path, data := testFile(t, 6000)
	res, h := run(t, Options{}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
	if res.State != Acknowledged || res.Err != nil {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	if !bytes.Equal(f.data(1), data) {
		t.Error("server data differs")
	}
	warns := h.OfKind(sim.ClientWarning)
	if len(warns) != 2 {
		dumpEvents(t, h)
		t.Fatalf("want 2 warnings (Ping, Close-Session), got %v", warns)
	}
	for _, w := range warns {
		if !strings.Contains(w.Detail, "BITS-Error-Code") || w.Status != 200 {
			t.Errorf("warning %v does not name the header", w)
		}
	}
}

// misspelledRange answers the second Fragment with a 416 whose
// received-range header is misspelled, as a deployed server does.
func misspelledRange(f *fakeServer, offset string) {
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet != "Fragment" || c.N != 2 {
			return false
		}
		io.Copy(io.Discard, r.Body)
		rawAck(w, 416, "BITS-Packet-Type", "Ack", "Bits-Recieved-Content-Range", offset, "BITS-Error-Code", "0", "BITS-Error-Context", "5")
		return true
	}
}

// A 416 without BITS-Received-Content-Range but with a near-miss spelling:
// the default restarts the session; the near-miss knob uses its value; the
// error knob fails. Every message names the near-miss header.
func TestResyncWithoutReceivedRange(t *testing.T) {
	t.Run("default-restarts", func(t *testing.T) {
		f := newFake(t)
		misspelledRange(f, "5120")
		path, data := testFile(t, 12_000)
		res, h := run(t, Options{FragmentSize: 5120}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
		if res.State != Acknowledged || res.Restarts != 1 || res.Sessions != 2 {
			dumpEvents(t, h)
			t.Fatalf("%+v", res)
		}
		if !bytes.Equal(f.data(2), data) {
			t.Error("second session does not hold the file")
		}
		var named bool
		for _, e := range h.OfKind(sim.ClientSession) {
			named = named || strings.Contains(e.Detail, "Bits-Recieved-Content-Range")
		}
		if !named {
			dumpEvents(t, h)
			t.Error("restart reason does not name the near-miss header")
		}
	})
	t.Run("near-miss-uses-value", func(t *testing.T) {
		f := newFake(t)
		misspelledRange(f, "5120")
		path, data := testFile(t, 12_000)
		res, h := run(t, Options{FragmentSize: 5120, RangeMissing: RangeNearMiss}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
		if res.State != Acknowledged || res.Restarts != 0 || res.Resyncs != 1 {
			dumpEvents(t, h)
			t.Fatalf("%+v", res)
		}
		if !bytes.Equal(f.data(1), data) {
			t.Error("server data differs")
		}
	})
	t.Run("error-names-header", func(t *testing.T) {
		f := newFake(t)
		misspelledRange(f, "5120")
		path, _ := testFile(t, 12_000)
		res, _ := run(t, Options{FragmentSize: 5120, RangeMissing: RangeError}, JobSpec{LocalFile: path, RemoteURL: f.url("x")})
		if res.State != Error || !strings.Contains(res.Error, `near miss "Bits-Recieved-Content-Range"`) {
			t.Fatalf("%+v", res)
		}
	})
	for _, s := range []string{"restart", "near-miss", "error"} {
		k, err := knob.ParseRangeMissing(s)
		if err != nil || k.String() != s {
			t.Errorf("ParseRangeMissing(%q) = %v, %v", s, k, err)
		}
	}
}

// hangFragments makes every Fragment hang until the client gives up.
func hangFragments(f *fakeServer) {
	f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Fragment" {
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return true
		}
		return false
	}
}

// The no-progress time-out bounds a hung request: the job ends when it
// expires, not when the (longer) response guard fires, and the figure in
// the error is the time actually spent.
func TestNoProgressBoundsHungRequest(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noProgress time.Duration
		respTO     time.Duration
	}{
		{"shorter-than-default-guard", 60 * time.Second, 0},
		{"shorter-than-set-guard", 10 * time.Second, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			hangFragments(f)
			path, _ := testFile(t, 8000)
			clock := virtualClock(t)
			start := clock.Now()
			res, h := run(t, Options{Clock: clock, MinRetryDelay: 5 * time.Second, NoProgressTimeout: tc.noProgress, ResponseTimeout: tc.respTO},
				JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			took := clock.Now().Sub(start)
			if res.State != Error || !errors.Is(res.Err, ErrNoProgress) {
				dumpEvents(t, h)
				t.Fatalf("%+v", res)
			}
			if took != tc.noProgress {
				t.Errorf("ERROR after %s, want %s", took, tc.noProgress)
			}
			if want := "no progress for " + tc.noProgress.String(); !strings.Contains(res.Error, want) {
				t.Errorf("error %q does not say %q", res.Error, want)
			}
		})
	}
}

// Against a closed port with a 5 s retry delay and a 10 s time-out the job
// retries at 5 s and ends at 10 s, not one retry early at 5 s.
func TestNoProgressNotOneRetryEarly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	path, _ := testFile(t, 8000)
	clock := virtualClock(t)
	start := clock.Now()
	res, h := run(t, Options{Clock: clock, MinRetryDelay: 5 * time.Second, NoProgressTimeout: 10 * time.Second},
		JobSpec{LocalFile: path, RemoteURL: "http://" + addr + "/upload/x"})
	took := clock.Now().Sub(start)
	if res.State != Error || !errors.Is(res.Err, ErrNoProgress) || res.Retries != 1 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	if took != 10*time.Second || !strings.Contains(res.Error, "no progress for 10s") {
		t.Errorf("ERROR after %s: %s", took, res.Error)
	}
}

// TestMapHost: the host map sends a host's connections (any port) to its
// address; other hosts, and no map, dial what the URL says.
func TestMapHost(t *testing.T) {
	m := map[string]string{"127.0.0.11": "127.0.0.2:4000", "srv2": "127.0.0.3:4000", "::1": "127.0.0.4:4000"}
	for addr, want := range map[string]string{
		"127.0.0.11:80":   "127.0.0.2:4000",
		"127.0.0.11:5555": "127.0.0.2:4000",
		"srv2:443":        "127.0.0.3:4000",
		"[::1]:80":        "127.0.0.4:4000",
		"127.0.0.12:80":   "127.0.0.12:80",
		"srv2":            "127.0.0.3:4000",
	} {
		if got := mapHost(m, addr); got != want {
			t.Errorf("mapHost(%q) = %q, want %q", addr, got, want)
		}
	}
	if got := mapHost(nil, "127.0.0.11:80"); got != "127.0.0.11:80" {
		t.Errorf("no map: %q", got)
	}
}
