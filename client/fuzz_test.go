package client

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/wire"
)

// FuzzParseAckClient feeds the client's Ack handling (wire.ParseAck, then
// judgeFragment / judgeCreate / ackError, host-id rewriting and reply URL
// resolution) with any status and headers in any case and format: it must
// never panic, never accept an offset outside [0, size], never shrink
// below 5 KB, and classify every error Ack.
func FuzzParseAckClient(f *testing.F) {
	f.Add(200, "BITS-Packet-Type: Ack\nBITS-Received-Content-Range: 65536", int64(0), int64(65536), int64(200000))
	f.Add(416, "bits-packet-type: ack\nbits-received-content-range: 100000\nBITS-Error-Code: 0\nBITS-Error-Context: 5", int64(131072), int64(65536), int64(200000))
	f.Add(413, "BITS-Packet-Type: Ack", int64(0), int64(5120), int64(10000))
	f.Add(500, "BITS-Packet-Type: Ack\nBITS-Error: 8020001f\nBITS-Error-Context: 0x5", int64(0), int64(100), int64(100))
	f.Add(201, "BITS-Session-Id: 12345\nBITS-Host-Id: [::1]:8080\nBITS-Host-Id-Fallback-Timeout: 86400", int64(0), int64(1), int64(1))
	f.Add(200, "BITS-Received-Content-Range: 200001\nBITS-Reply-URL: BITS-Sessions\\Replies\\{X}\\responsefile.bin", int64(131072), int64(68928), int64(200000))
	f.Add(200, "BITS-Received-Content-Range: 200000\nBITS-Reply-URL: http://[::1/x", int64(131072), int64(68928), int64(200000))
	f.Add(302, "Location: /x", int64(0), int64(1), int64(2))
	f.Fuzz(func(t *testing.T, status int, lines string, first, n, total int64) {
		// Only ranges the client itself could send.
		if total < 1 || first < 0 || n < 1 || first >= total || n > total-first {
			return
		}
		r := wire.Range{First: first, Last: first + n - 1, Total: total}
		h := http.Header{}
		for _, l := range strings.Split(lines, "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && k != "" {
				h[k] = append(h[k], strings.TrimSpace(v))
			}
		}
		ack, err := wire.ParseAck(status, h)
		if err != nil {
			return // the client reports a protocol error
		}
		out, jerr := judgeFragment(ack, r, RangeMissing(first%3))
		switch {
		case jerr != nil:
			if jerr.Class != wire.Fatal && jerr.Class != wire.Transient {
				t.Fatalf("unclassified %v", jerr)
			}
			if jerr.Code == 0 && !ack.HasError && status != 200 {
				t.Fatalf("error without code: %v", jerr)
			}
		case out.kind == fragRestart:
			if status != 416 || ack.HasReceived {
				t.Fatalf("restart on %d with offset %v", status, ack.HasReceived)
			}
		case out.kind == fragShrink:
			if status != 413 || out.size < wire.MinFragment || out.size >= r.Len() {
				t.Fatalf("shrink %d -> %d on status %d", r.Len(), out.size, status)
			}
		default:
			if out.offset < 0 || out.offset > total {
				t.Fatalf("offset %d accepted for size %d", out.offset, total)
			}
			if !ack.OK() && status != 416 {
				t.Fatalf("status %d moved the offset", status)
			}
		}
		if err := judgeCreate(ack); err == nil {
			if ack.SessionID == "" || !ack.OK() {
				t.Fatalf("create accepted %+v", ack)
			}
			if ack.HostID != "" {
				origin, _ := url.Parse("http://shared.test:8080/upload/a.bin")
				u, err := hostURL(origin, ack.HostID)
				if err != nil || u.Path != origin.Path || u.Host == "" {
					t.Fatalf("host id %q: %v %v", ack.HostID, u, err)
				}
			}
		}
		if ack.ReplyURL != "" {
			base, _ := url.Parse("http://shared.test/inbox/report.dat")
			if u, err := ResolveReplyURL(base, ack.ReplyURL); err == nil && (u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
				t.Fatalf("reply URL %q resolved to %v", ack.ReplyURL, u)
			}
		}
		for _, p := range []wire.PacketType{wire.Ping, wire.CreateSession, wire.Fragment, wire.CloseSession, wire.CancelSession} {
			if !ack.OK() {
				_ = ackError(p, ack)
			}
		}
	})
}
