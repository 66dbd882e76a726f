package node

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/bitsim/bitsim/wire"
)

const (
	fuzzTotal  = 1 << 20 // too big for the fuzzer to complete: nothing may be committed
	fuzzStored = 300     // prefix stored before each input
)

// FuzzNodeHandler feeds arbitrary packets to a node in process: packet
// type, session id (the real session's, garbage, or none), Content-Range,
// Content-Length handling, body, one extra header, and the URL path. For
// every input: no panic; a well-formed Ack (BITS-Packet-Type: Ack,
// Content-Length: 0, empty body, a valid status, error headers only on
// errors); the real session's stored prefix unchanged; nothing committed;
// no file created outside the session store.
func FuzzNodeHandler(f *testing.F) {
	// Seeds, each a protocol situation:
	f.Add("Fragment", uint8(0), "bytes 300-309/1048576", []byte("0123456789"), uint8(0), "", "", "file.bin")    // in order
	f.Add("Fragment", uint8(0), "bytes 0-9/1048576", []byte("XXXXXXXXXX"), uint8(0), "", "", "file.bin")        // duplicate with other bytes
	f.Add("Fragment", uint8(0), "bytes 250-349/1048576", bytes.Repeat([]byte{'Z'}, 100), uint8(0), "", "", "x") // overlap
	f.Add("Fragment", uint8(0), "bytes 400-409/1048576", []byte("0123456789"), uint8(0), "", "", "file.bin")    // gap
	f.Add("Fragment", uint8(0), "bytes 300-309/999", []byte("0123456789"), uint8(0), "", "", "file.bin")        // total changed
	f.Add("Fragment", uint8(0), "bytes 300-319/1048576", []byte("0123456789"), uint8(2), "", "", "file.bin")    // body shorter than declared
	f.Add("fragment", uint8(0), "Bytes 300-300/1048576", []byte("a"), uint8(1), "", "", "file.bin")             // no Content-Length
	f.Add("Fragment", uint8(0), "bytes -1-5/10", []byte("a"), uint8(0), "", "", "file.bin")                     // bad range
	f.Add("Fragment", uint8(1), "bytes 300-300/1048576", []byte("a"), uint8(0), "", "", "file.bin")             // garbage session id
	f.Add("Create-Session", uint8(2), "", []byte(nil), uint8(0), "BITS-Supported-Protocols", wire.ProtocolGUID, "../../etc/passwd")
	f.Add("Create-Session", uint8(2), "", []byte(nil), uint8(0), "BITS-Supported-Protocols", wire.ProtocolGUID, "BITS-Sessions/Requests/x")
	f.Add("Close-Session", uint8(0), "", []byte(nil), uint8(0), "", "", "file.bin") // early close
	f.Add("Cancel-Session", uint8(0), "", []byte(nil), uint8(0), "", "", "file.bin")
	f.Add("Ping", uint8(2), "", []byte(nil), uint8(0), "Content-Encoding", "gzip", "file.bin")
	f.Add("Ack", uint8(0), "", []byte(nil), uint8(0), "", "", "file.bin")
	f.Add("", uint8(0), "", []byte("body"), uint8(0), "", "", "")

	src := payload(fuzzTotal)
	dir := f.TempDir()
	n, err := New(Config{Dir: dir, CleanupInterval: -1, Name: "fuzz", NotificationType: NotifyNone})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { n.Close() })

	f.Fuzz(func(t *testing.T, pkt string, sidMode uint8, rng string, body []byte, clMode uint8, hname, hval, path string) {
		sid := fuzzSession(t, n, src)
		req := &http.Request{Method: wire.Method, URL: &url.URL{Path: "/upload/" + path}, Header: http.Header{},
			Host: "fuzz.test", RemoteAddr: "192.0.2.1:1234", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		switch clMode % 3 {
		case 1: // no Content-Length header
		case 2: // declares more than it sends
			req.ContentLength += 10
			req.Header["Content-Length"] = []string{strconv.FormatInt(req.ContentLength, 10)}
		default:
			req.Header["Content-Length"] = []string{strconv.Itoa(len(body))}
		}
		if pkt != "" {
			req.Header.Set(wire.HdrPacketType, pkt)
		}
		switch sidMode % 3 {
		case 0:
			req.Header.Set(wire.HdrSessionID, sid)
		case 1:
			req.Header.Set(wire.HdrSessionID, path)
		}
		if rng != "" {
			req.Header.Set(wire.HdrContentRange, rng)
		}
		if hname != "" && validHeaderName(hname) {
			req.Header.Set(hname, hval)
		}
		rec := httptest.NewRecorder()
		n.ServeHTTP(rec, req)

		res := rec.Result()
		checkAckShape(t, res.StatusCode, res.Header)
		if rec.Body.Len() != 0 {
			t.Errorf("Ack with a %d-byte body", rec.Body.Len())
		}
		if b, err := os.ReadFile(n.lay.requestFile(sid)); err == nil {
			if len(b) < fuzzStored || !bytes.Equal(b[:fuzzStored], src[:fuzzStored]) {
				t.Fatalf("stored prefix corrupted (len %d)", len(b))
			}
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != DefaultSessionDirectory {
				t.Fatalf("file %q appeared in the vdir", e.Name())
			}
		}
		for _, si := range n.Sessions() { // start the next input clean
			fuzzPacket(t, n, wire.CancelSession, si.ID, "", nil)
		}
	})
}

// fuzzSession creates a session holding the first fuzzStored bytes of src.
func fuzzSession(t *testing.T, n *Node, src []byte) string {
	rec := fuzzPacket(t, n, wire.CreateSession, "", "", nil)
	sid, _ := wire.Header(rec.Header(), wire.HdrSessionID)
	if rec.Code != 200 || sid == "" {
		t.Fatalf("Create-Session: %d", rec.Code)
	}
	r := wire.Range{First: 0, Last: fuzzStored - 1, Total: fuzzTotal}
	if rec := fuzzPacket(t, n, wire.Fragment, sid, r.String(), src[:fuzzStored]); rec.Code != 200 {
		t.Fatalf("first fragment: %d", rec.Code)
	}
	return sid
}

func fuzzPacket(t *testing.T, n *Node, p wire.PacketType, sid, rng string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(wire.Method, "/upload/file.bin", bytes.NewReader(body))
	req.Header["Content-Length"] = []string{strconv.Itoa(len(body))}
	req.ContentLength = int64(len(body))
	req.Header.Set(wire.HdrPacketType, p.String())
	req.Header.Set(wire.HdrSupportedProtocols, wire.ProtocolGUID)
	if sid != "" {
		req.Header.Set(wire.HdrSessionID, sid)
	}
	if rng != "" {
		req.Header.Set(wire.HdrContentRange, rng)
	}
	rec := httptest.NewRecorder()
	n.ServeHTTP(rec, req)
	return rec
}

// validHeaderName keeps the extra header to names net/http could carry.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}
