package wire

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// refRange is a second, regexp-based implementation of ParseContentRange's
// grammar: optional white space around the whole value (strings.TrimSpace),
// the unit "bytes" in any ASCII case, at least one space or tab, then
// F-L/T split at the first '-' and the first '/', each number plain ASCII
// digits (at most 19) with white space around it, and 0 <= F <= L < T.
var (
	refRangeRE = regexp.MustCompile(`^[bB][yY][tT][eE][sS][ \t]+([^-/]*)-([^/]*)/(.*)$`)
	digitsRE   = regexp.MustCompile(`^[0-9]{1,19}$`)
	hexRE      = regexp.MustCompile(`^[0-9a-fA-F]{1,8}$`)
)

func refRange(s string) (Range, bool) {
	m := refRangeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Range{}, false
	}
	var v [3]int64
	for i := range v {
		d := strings.TrimSpace(m[i+1])
		if !digitsRE.MatchString(d) {
			return Range{}, false
		}
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return Range{}, false
		}
		v[i] = n
	}
	r := Range{First: v[0], Last: v[1], Total: v[2]}
	return r, v[0] <= v[1] && v[1] < v[2]
}

func FuzzContentRange(f *testing.F) {
	for _, s := range []string{
		"bytes 0-65535/200000", // the wire form [X]
		"Bytes 128-212/213",    // [W] spelling
		"  bytes\t0-0/1 ",      // white space tolerated
		"bytes 5-4/10",         // last < first
		"bytes 0-9/9",          // last >= total
		"bytes */100",          // unsatisfied-range form: not a fragment range
		"bytes 9223372036854775806-9223372036854775806/9223372036854775807",
		"bytes 1-2/99999999999999999999", // overflow
		"bits 0-1/2",
		"bytes -1-2/3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseContentRange(s)
		ref, ok := refRange(s)
		if (err == nil) != ok {
			t.Fatalf("ParseContentRange(%q) = %v, %v; reference ok=%v", s, r, err, ok)
		}
		if err != nil {
			return
		}
		if r != ref || !r.Valid() || r.Len() < 1 {
			t.Fatalf("ParseContentRange(%q) = %+v, reference %+v", s, r, ref)
		}
		// Round trip through String, and agreement with fmt.Sscanf.
		back, err := ParseContentRange(r.String())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %v %v", r.String(), back, err)
		}
		var sf, sl, st int64
		if n, err := fmt.Sscanf(r.String(), "bytes %d-%d/%d", &sf, &sl, &st); n != 3 || err != nil || (Range{sf, sl, st}) != r {
			t.Fatalf("Sscanf(%q) = %d %d %d, %v", r.String(), sf, sl, st, err)
		}
	})
}

// header builds a header map from "Name: value" lines, keeping the names'
// case exactly (as a server in the wild may send them).
func rawHeader(lines string) http.Header {
	h := http.Header{}
	for _, l := range strings.Split(lines, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" {
			continue
		}
		h[k] = append(h[k], strings.TrimLeft(v, " "))
	}
	return h
}

// single returns the only value of name in h under any case, and false if
// it is absent or present under several spellings (then ParseAck may pick
// any).
func single(h http.Header, name string) (string, bool, bool) {
	var vals []string
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			vals = append(vals, v[0])
		}
	}
	return strings.Join(vals, ""), len(vals) == 1, len(vals) > 1
}

func refHex(s string) (uint32, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	if !hexRE.MatchString(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	return uint32(v), err == nil
}

func FuzzParseAck(f *testing.F) {
	seeds := []struct {
		status int
		lines  string
	}{
		{200, "BITS-Packet-Type: Ack\nBITS-Received-Content-Range: 213\nContent-Length: 0"},
		{201, "bits-packet-type: ack\nbits-session-id: 12345\nBITS-Protocol: {7df0354d-249b-430f-820d-3d2a9bef4931}"},
		{500, "BITS-Packet-Type: Ack\nBITS-Error: 8020001f\nBITS-Error-Context: 5"},
		{500, "BITS-PACKET-TYPE: Ack\nBITS-ERROR-CODE: 0x8020001F\nbits-error-context: 0x5"},
		{416, "BITS-Packet-Type: Ack\nBITS-Received-Content-Range: 100000\nBITS-Error-Code: 0x0\nBITS-Error-Context: 0x5"},
		{200, "BITS-Packet-Type: Ack\nBITS-Session-Id: {A0FF5911-4144-45B3-BF27-27AFC8EC8A67}\nBITS-Host-Id: node2.farm.test\nBITS-Host-Id-Fallback-Timeout: 110"},
		{200, "BITS-Received-Content-Range: -1"},
		{200, "BITS-Received-Content-Range: 1-2"},
		{200, "BITS-Error-Code: 0x123456789"},
		{200, "BITS-Host-Id-Fallback-Timeout: 5"},                      // without a host id: ignored
		{200, "BITS-Error-Code: 1\nBITS-Error-Context: "},              // deployed servers: warning only
		{416, "Bits-Recieved-Content-Range: 5120\nBITS-Error-Code: 0"}, // misspelled offset header: near miss
		{99, ""},
	}
	for _, s := range seeds {
		f.Add(s.status, s.lines)
	}
	f.Fuzz(func(t *testing.T, status int, lines string) {
		h := rawHeader(lines)
		a, err := ParseAck(status, h)
		if status < 100 || status > 999 {
			if err == nil {
				t.Fatalf("status %d accepted", status)
			}
			return
		}
		// Agreement with a second parse of the fields that matter.
		rcr, one, dup := single(h, HdrReceivedContentRange)
		if one {
			d := strings.TrimSpace(rcr)
			n, perr := strconv.ParseInt(d, 10, 64)
			refOK := perr == nil && digitsRE.MatchString(d)
			if refOK && err == nil && (!a.HasReceived || a.Received != n) {
				t.Fatalf("offset %q parsed as %d/%v, want %d", rcr, a.Received, a.HasReceived, n)
			}
			if !refOK && err == nil {
				t.Fatalf("bad offset %q accepted as %d", rcr, a.Received)
			}
		}
		code, oneCode, dupCode := single(h, HdrErrorCode)
		if !oneCode && !dupCode {
			code, oneCode, dupCode = single(h, HdrError)
		}
		if oneCode && !dup && err == nil {
			v, ok := refHex(code)
			if !ok && a.OK() {
				// A 2xx Ack's malformed error headers are a warning, not an error.
				if a.HasError || a.Warning == "" {
					t.Fatalf("malformed code %q on %d: %+v", code, status, a)
				}
			} else if !ok || !a.HasError || uint32(a.Code) != v {
				t.Fatalf("error code %q parsed as %v/%v (reference %x %v)", code, a.Code, a.HasError, v, ok)
			}
		}
		_ = dupCode
		if err != nil {
			return
		}
		if a.HasReceived && a.Received < 0 {
			t.Fatalf("negative offset %d", a.Received)
		}
		// Round trip: what Write sends, ParseAck reads back the same.
		if a.HostID != "" && strings.ContainsAny(a.HostID+a.SessionID+a.Protocol+a.ReplyURL+a.AcceptEncoding, "\r\n\x00") {
			return
		}
		rec := httptest.NewRecorder()
		a.Write(rec)
		b, err := ParseAck(rec.Code, rec.Header())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", a, err)
		}
		want := a
		want.PacketType = "Ack"
		want.Warning, want.NearMissName, want.NearMissValue = "", "", ""
		if want.Status == 0 {
			want.Status = 200
		}
		if want.OK() {
			want.Code, want.Context, want.HasError = 0, 0, false
		}
		if want.HostID == "" {
			want.FallbackTimeout, want.HasFallback = 0, false
		}
		if b != want {
			t.Fatalf("round trip:\n got %+v\nwant %+v", b, want)
		}
	})
}
