package node

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/knob"

	"github.com/bitsim/bitsim/wire"
)

// A body-less packet without Content-Length: rejected as IIS does, with a
// logged reason, unless MissingContentLength is ContentLengthAccept.
func TestMissingContentLength(t *testing.T) {
	const create = "Create-Session"
	t.Run("reject", func(t *testing.T) {
		var log testutil.Buffer
		n, _ := startNode(t, Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		x := newExchange(t, n)
		x.run(step{name: "create without Content-Length", pkt: create, noCL: true, status: 400, want: badRequest(),
			why: "§2.5: IIS answers 400"})
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("want one log line, got %q", log.String())
		}
		for _, want := range []string{"level=WARN", "req=node1-", "packet=Create-Session", "status=400", "code=0x80070057",
			"missing Content-Length; IIS rejects this too; --missing-content-length accept tolerates it"} {
			if !strings.Contains(lines[0], want) {
				t.Errorf("log line %q lacks %q", lines[0], want)
			}
		}
	})
	t.Run("accept", func(t *testing.T) {
		n, _ := startNode(t, Config{MissingContentLength: ContentLengthAccept})
		x := newExchange(t, n)
		x.run(
			step{name: "create without Content-Length", pkt: create, noCL: true, status: 200, want: map[string]string{wire.HdrSessionID: "*"},
				why: "accept: taken as 0"},
			step{name: "ping without Content-Length", pkt: "Ping", noCL: true, status: 200, why: "accept"},
			step{name: "fragment", pkt: "Fragment", sid: "$", rng: "bytes 0-4/5", body: "hello", status: 200,
				want: map[string]string{wire.HdrReceivedContentRange: "5"}, why: "a Fragment has its Content-Length"},
			step{name: "fragment chunked", pkt: "Fragment", sid: "$", rng: "bytes 0-4/5", body: "hello", chunked: true, status: 400,
				want: badRequest(), why: "a chunked body is still refused"},
			step{name: "close without Content-Length", pkt: "Close-Session", sid: "$", noCL: true, status: 200, why: "accept"},
		)
	})
	for _, s := range []string{"reject", "accept"} {
		if m, err := knob.ParseContentLength(s); err != nil || m.String() != s {
			t.Errorf("ParseContentLengthMode(%q) = %v, %v", s, m, err)
		}
	}
}

// Every error Ack is logged once with its reason and a request id that
// the Ack carries too; successful Acks are not logged.
func TestErrorAcksAreLogged(t *testing.T) {
	var log testutil.Buffer
	n, _ := startNode(t, Config{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	x := newExchange(t, n)
	resp := x.do(step{pkt: "Bogus"})
	id := resp.Header.Get(wire.HdrRequestID)
	x.run(
		step{name: "create", pkt: "Create-Session", status: 200, want: map[string]string{wire.HdrRequestID: ""}},
		step{name: "gap", pkt: "Fragment", sid: "$", rng: "bytes 5-9/10", body: "world", status: 416,
			want: map[string]string{wire.HdrRequestID: "*"}},
		step{name: "unknown session", pkt: "Fragment", sid: "{00000000-0000-4000-8000-000000000000}", rng: "bytes 0-4/10", body: "hello",
			status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}},
	)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 log lines, got %q", log.String())
	}
	if id == "" || !strings.Contains(lines[0], "req="+id) || !strings.Contains(lines[0], `reason="unknown or missing BITS-Packet-Type`) {
		t.Errorf("id %q, line %q", id, lines[0])
	}
	if !strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "status=416") || !strings.Contains(lines[1], "expects offset 0") {
		t.Errorf("416 line %q", lines[1])
	}
	if !strings.Contains(lines[2], "code=0x8020001F") || !strings.Contains(lines[2], "reason=") {
		t.Errorf("session-not-found line %q", lines[2])
	}
}
