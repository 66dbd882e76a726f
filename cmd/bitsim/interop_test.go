package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// rawPacket sends one BITS_POST exactly as written, the way a third-party
// client that builds its own requests does: the given headers, in order,
// and no Content-Length unless one is among them.
func rawPacket(t *testing.T, uploadURL string, headers [][2]string, body string) *http.Response {
	t.Helper()
	u, err := url.Parse(uploadURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "BITS_POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", u.RequestURI(), u.Host)
	for _, h := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// pythonStyleUpload uploads data the way a deployed Python client does:
// Create-Session and Close-Session without Content-Length. It returns the
// status of each packet's Ack.
func pythonStyleUpload(t *testing.T, uploadURL, data string) []int {
	t.Helper()
	var statuses []int
	resp := rawPacket(t, uploadURL, [][2]string{{"BITS-Packet-Type", "Create-Session"}, {"BITS-Supported-Protocols", wire.ProtocolGUID}}, "")
	statuses = append(statuses, resp.StatusCode)
	sid := resp.Header.Get(wire.HdrSessionID)
	if resp.StatusCode != 200 {
		return statuses
	}
	resp = rawPacket(t, uploadURL, [][2]string{{"BITS-Packet-Type", "Fragment"}, {"BITS-Session-Id", sid},
		{"Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(data)-1, len(data))}, {"Content-Length", fmt.Sprint(len(data))}}, data)
	statuses = append(statuses, resp.StatusCode)
	resp = rawPacket(t, uploadURL, [][2]string{{"BITS-Packet-Type", "Close-Session"}, {"BITS-Session-Id", sid}}, "")
	return append(statuses, resp.StatusCode)
}

// Issue 12 defect 1 (and 5): a client omitting Content-Length on empty
// packets is rejected by default, with the reason logged on stderr; with
// --missing-content-length accept it uploads.
func TestServeMissingContentLength(t *testing.T) {
	t.Run("default rejects with a logged reason", func(t *testing.T) {
		sr := startServeRun(t, "--nodes", "1", "--toxiproxy-api", "")
		got := pythonStyleUpload(t, sr.info.UploadURL+"py.bin", "hello, bits")
		if len(got) != 1 || got[0] != 400 {
			t.Fatalf("statuses %v, want [400]", got)
		}
		log := sr.stderr.String()
		if !strings.Contains(log, "missing Content-Length; IIS rejects this too; --missing-content-length accept tolerates it") ||
			!strings.Contains(log, "req=node1-") || strings.Count(strings.TrimSpace(log), "\n") != 0 {
			t.Errorf("stderr %q", log)
		}
	})
	t.Run("accept uploads; --history writes the history", func(t *testing.T) {
		hist := filepath.Join(t.TempDir(), "history.json")
		sr := startServeRun(t, "--nodes", "1", "--toxiproxy-api", "", "--missing-content-length", "accept", "--history", hist)
		got := pythonStyleUpload(t, sr.info.UploadURL+"py.bin", "hello, bits")
		if fmt.Sprint(got) != "[200 200 200]" {
			t.Fatalf("statuses %v (stderr %s)", got, sr.stderr)
		}
		if sr.stderr.String() != "" {
			t.Errorf("stderr %q", sr.stderr)
		}
		if err := sr.stop(); err != nil {
			t.Fatal(err)
		}
		h, err := sim.LoadHistory(hist)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.OfKind(sim.SessionClosed)) != 1 || len(h.OfKind(sim.AppDelivery)) != 1 {
			t.Errorf("history: %d closes, %d deliveries", len(h.OfKind(sim.SessionClosed)), len(h.OfKind(sim.AppDelivery)))
		}
		// The judge reports such a client as one IIS would reject.
		out, _, err := runCLI(t, "judge", hist)
		if exitStatus(err) != 1 || !strings.Contains(verdictLine(out, "client-content-length"), "fail") ||
			strings.Count(out, "would be rejected by IIS") != 3 {
			t.Errorf("judge: %v\n%s", err, out)
		}
	})
}
