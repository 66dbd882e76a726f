package client

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/bitsim/bitsim/wire"
)

// Every row of §6.5: how an HTTP status is classified.
func TestClassifyTable(t *testing.T) {
	cases := []struct {
		status int
		want   wire.Class
		why    string
	}{
		{300, wire.Fatal, "3xx: 300-305 fatal"},
		{301, wire.Fatal, "3xx: 300-305 fatal"},
		{302, wire.Fatal, "3xx: 300-305 fatal"},
		{303, wire.Fatal, "3xx: 300-305 fatal"},
		{304, wire.Fatal, "3xx: 300-305 fatal"},
		{305, wire.Fatal, "3xx: 300-305 fatal"},
		{306, wire.Transient, "3xx: other 3xx transient"},
		{307, wire.Fatal, "3xx: 307 fatal"},
		{308, wire.Transient, "3xx: other 3xx transient"},
		{400, wire.Fatal, "4xx fatal"},
		{403, wire.Fatal, "4xx fatal (the only one that stops re-posting)"},
		{404, wire.Fatal, "4xx fatal"},
		{408, wire.Transient, "4xx: 408 transient"},
		{409, wire.Transient, "4xx: 409 transient"},
		{410, wire.Fatal, "4xx fatal"},
		{499, wire.Fatal, "4xx fatal"},
		{500, wire.Transient, "5xx transient"},
		{501, wire.Fatal, "5xx: 501 fatal"},
		{502, wire.Transient, "5xx transient"},
		{503, wire.Transient, "5xx transient"},
		{505, wire.Fatal, "5xx: 505 fatal"},
		{599, wire.Transient, "5xx transient"},
		{100, wire.Transient, "anything else non-200 transient"},
		{202, wire.Transient, "anything else non-200 transient"},
		{600, wire.Transient, "anything else non-200 transient"},
	}
	for _, tc := range cases {
		if got := wire.Classify(tc.status); got != tc.want {
			t.Errorf("Classify(%d) = %s, want %s (%s)", tc.status, got, tc.want, tc.why)
		}
		// The client applies the same table to error Acks of any context.
		for _, ctx := range []wire.Context{wire.ContextRemoteFile, wire.ContextRemoteApplication} {
			a := wire.Ack{Status: tc.status, Code: wire.HTTPError(tc.status), Context: ctx, HasError: true}
			if got := ackError(wire.Fragment, a).Class; got != tc.want {
				t.Errorf("Fragment Ack %d context %s: %s, want %s", tc.status, ctx, got, tc.want)
			}
		}
	}
}

// §6.3 client reactions, end to end against a scripted server: the first
// occurrence of a packet gets the given Ack (or a cut connection), and the
// job must restart, retry, shrink or fail as the catalogue says.
func TestErrorReactions(t *testing.T) {
	type ack struct {
		status int
		code   string // BITS-Error-Code, "" for none
		ctx    string
	}
	cases := []struct {
		name     string
		packet   string // packet whose first occurrence fails
		final    bool   // fail the final Fragment rather than the first
		ack      ack
		cut      bool // hijack and close instead of answering
		knob     CloseNotFound
		hostID   bool
		want     JobState
		restarts int
		retries  int
		sessions int
		wantCode wire.HRESULT
	}{
		{name: "session-not-found/fragment", packet: "Fragment", ack: ack{500, "0x8020001F", "0x5"}, want: Acknowledged, restarts: 1, sessions: 2},
		{name: "session-not-found/ping", packet: "Ping", hostID: true, ack: ack{500, "0x8020001F", "0x5"}, want: Acknowledged, restarts: 1, sessions: 2},
		{name: "session-not-found/create", packet: "Create-Session", ack: ack{500, "0x8020001F", "0x5"}, want: Acknowledged, restarts: 1, sessions: 1},
		{name: "session-not-found/close/K4-restart", packet: "Close-Session", ack: ack{500, "0x8020001F", "0x5"}, want: Acknowledged, restarts: 1, sessions: 2},
		{name: "session-not-found/close/K4-no-resend", packet: "Close-Session", knob: CloseNoResend, ack: ack{500, "0x8020001F", "0x5"}, want: Acknowledged, sessions: 1},
		{name: "uploads-disabled-501", packet: "Create-Session", ack: ack{501, "0x80070005", "0x5"}, want: Error, wantCode: wire.EAccessDenied},
		{name: "uploads-disabled-404-iis7", packet: "Create-Session", ack: ack{404, "", ""}, want: Error, wantCode: wire.HTTPError(404)},
		{name: "access-denied-403", packet: "Create-Session", ack: ack{403, "0x80070005", "0x5"}, want: Error, wantCode: wire.EAccessDenied},
		{name: "exists-409-K3", packet: "Create-Session", ack: ack{409, "0x80070005", "0x5"}, want: Error, wantCode: wire.EAccessDenied},
		{name: "bad-request-400", packet: "Fragment", ack: ack{400, "0x80070057", "0x5"}, want: Error, wantCode: wire.EInvalidArg},
		{name: "too-large-500", packet: "Fragment", ack: ack{500, "0x80200020", "0x5"}, want: Error, wantCode: wire.BGETooLarge},
		{name: "disk-full-500-transient", packet: "Fragment", ack: ack{500, "0x80070070", "0x5"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "server-503-transient", packet: "Fragment", ack: ack{503, "", ""}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "unauthorized-401", packet: "Create-Session", ack: ack{401, "", ""}, want: Error, wantCode: wire.HTTPError(401)},
		{name: "proxy-auth-407", packet: "Fragment", ack: ack{407, "", ""}, want: Error, wantCode: wire.HTTPError(407)},
		{name: "redirect-302-not-followed", packet: "Fragment", ack: ack{302, "", ""}, want: Error, wantCode: wire.HTTPError(302)},
		{name: "app-403-fatal", packet: "Fragment", final: true, ack: ack{403, "0x80190193", "0x7"}, want: Error, wantCode: wire.HTTPError(403)},
		{name: "app-404-fatal", packet: "Fragment", final: true, ack: ack{404, "0x80190194", "0x7"}, want: Error, wantCode: wire.HTTPError(404)},
		{name: "app-408-notify-timeout-transient", packet: "Fragment", final: true, ack: ack{408, "0x80070112", "0x7"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "app-409-transient", packet: "Fragment", final: true, ack: ack{409, "0x80190199", "0x7"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "app-500-transient", packet: "Fragment", final: true, ack: ack{500, "0x801901F4", "0x7"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "app-501-fatal", packet: "Fragment", final: true, ack: ack{501, "0x801901F5", "0x7"}, want: Error, wantCode: wire.HTTPError(501)},
		{name: "app-505-fatal", packet: "Fragment", final: true, ack: ack{505, "0x801901F9", "0x7"}, want: Error, wantCode: wire.HTTPError(505)},
		{name: "app-307-fatal", packet: "Fragment", final: true, ack: ack{307, "0x80190133", "0x7"}, want: Error, wantCode: wire.HTTPError(307)},
		{name: "app-308-transient", packet: "Fragment", final: true, ack: ack{308, "0x80190134", "0x7"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "close-5xx-resend", packet: "Close-Session", ack: ack{503, "0x801901F7", "0x5"}, want: Acknowledged, retries: 1, sessions: 1},
		{name: "close-4xx-no-retry", packet: "Close-Session", ack: ack{404, "", ""}, want: Error, wantCode: wire.HTTPError(404)},
		{name: "close-409-no-retry", packet: "Close-Session", ack: ack{409, "", ""}, want: Error, wantCode: wire.HTTPError(409)},
		{name: "transport-cut-fragment", packet: "Fragment", cut: true, want: Acknowledged, retries: 1, sessions: 1},
		{name: "transport-cut-create", packet: "Create-Session", cut: true, want: Acknowledged, retries: 1, sessions: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			if tc.hostID {
				f.hostID = "127.0.0.1"
			}
			path, data := testFile(t, 12_000)
			failed := false
			f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
				if failed || c.Packet != tc.packet {
					return false
				}
				if tc.final {
					rg, _ := wire.ParseContentRange(r.Header.Get(wire.HdrContentRange))
					if rg.Last != rg.Total-1 {
						return false
					}
				}
				failed = true
				io.Copy(io.Discard, r.Body)
				if tc.cut {
					conn, _, err := http.NewResponseController(w).Hijack()
					if err == nil {
						conn.Close()
					}
					return true
				}
				kv := []string{"BITS-Packet-Type", "Ack"}
				if tc.ack.code != "" {
					kv = append(kv, "BITS-Error-Code", tc.ack.code, "BITS-Error-Context", tc.ack.ctx)
				}
				if tc.ack.status >= 300 && tc.ack.status < 400 {
					kv = append(kv, "Location", "/elsewhere")
				}
				rawAck(w, tc.ack.status, kv...)
				return true
			}
			res, h := run(t, Options{Clock: virtualClock(t), FragmentSize: 6000, CloseNotFound: tc.knob},
				JobSpec{LocalFile: path, RemoteURL: f.url("x")})
			if !failed {
				t.Fatal("the script never fired")
			}
			if res.State != tc.want || res.Restarts != tc.restarts || res.Retries != tc.retries {
				dumpEvents(t, h)
				t.Fatalf("got %s restarts %d retries %d (%v); want %s restarts %d retries %d",
					res.State, res.Restarts, res.Retries, res.Err, tc.want, tc.restarts, tc.retries)
			}
			if tc.want == Acknowledged {
				if res.Sessions != tc.sessions {
					t.Errorf("sessions %d, want %d", res.Sessions, tc.sessions)
				}
				if got := f.data(res.Sessions); string(got) != string(data) {
					t.Errorf("server holds %d bytes", len(got))
				}
				return
			}
			var je *JobError
			if !errors.As(res.Err, &je) || je.Class != wire.Fatal || je.Code != tc.wantCode {
				t.Fatalf("error %v, want fatal %s", res.Err, tc.wantCode)
			}
			if res.Retries != 0 {
				t.Errorf("fatal error retried")
			}
		})
	}
}

// Cancel-Session is never resent after 0x8020001F or a 4xx, and resent
// once after a 5xx.
func TestCancelSessionErrors(t *testing.T) {
	for _, tc := range []struct {
		status  int
		code    string
		attempt int
	}{{500, "0x8020001F", 1}, {404, "", 1}, {503, "", 2}, {200, "", 1}} {
		f := newFake(t)
		var j *Job
		f.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
			switch c.Packet {
			case "Fragment":
				io.Copy(io.Discard, r.Body)
				j.Cancel()
				<-r.Context().Done()
				return true
			case "Cancel-Session":
				kv := []string{"BITS-Packet-Type", "Ack"}
				if tc.code != "" {
					kv = append(kv, "BITS-Error-Code", tc.code, "BITS-Error-Context", "0x5")
				}
				rawAck(w, tc.status, kv...)
				return true
			}
			return false
		}
		path, _ := testFile(t, 12_000)
		var err error
		if j, err = NewJob(Options{}, JobSpec{LocalFile: path, RemoteURL: f.url("x")}); err != nil {
			t.Fatal(err)
		}
		res, _ := j.Run(t.Context())
		n := 0
		for _, p := range f.packets() {
			if p == "Cancel-Session" {
				n++
			}
		}
		if res.State != Cancelled || n != tc.attempt {
			t.Errorf("%d %s: state %s, %d Cancel-Sessions, want %d", tc.status, tc.code, res.State, n, tc.attempt)
		}
	}
}
