package conform

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/wire"
)

// FuzzParseHeader: whatever ParseHeader accepts is a token name and a
// value without line breaks, survives a round trip through its
// "Name: value" form, and reads back through net/http's own parser.
func FuzzParseHeader(f *testing.F) {
	f.Add("Authorization: Basic dXNlcjpwdw==") // the common use
	f.Add("X-Empty:")                          // empty value
	f.Add("  X-Pad  :  v  ")                   // blanks around both parts
	f.Add("Bad Name: v")                       // space in the name: refused
	f.Add("X: a\r\nInjected: 1")               // header splitting: refused
	f.Add("no colon")                          // refused
	f.Add("X:a:b")                             // colon in the value
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		if err != nil {
			return
		}
		if h.Name == "" || strings.ContainsAny(h.Value, "\r\n") {
			t.Fatalf("ParseHeader(%q) = %+v", s, h)
		}
		for i := 0; i < len(h.Name); i++ {
			if !isToken(h.Name[i]) {
				t.Fatalf("ParseHeader(%q): name %q has %q", s, h.Name, h.Name[i])
			}
		}
		again, err := ParseHeader(h.Name + ": " + h.Value)
		if err != nil || again != h {
			t.Fatalf("round trip of %+v: %+v, %v", h, again, err)
		}
		// A second implementation: the request line and this header go
		// through net/http's request parser unchanged.
		req := Request{Target: "/", Headers: []Header{h}}
		r, err := http.ReadRequest(bufioReader(req.wire("h")))
		if err != nil {
			t.Fatalf("net/http cannot read a request with %+v: %v", h, err)
		}
		if got := r.Header.Get(h.Name); got != strings.Trim(h.Value, " \t") {
			t.Fatalf("net/http reads %q as %q", h.Value, got)
		}
	})
}

// FuzzStrictHex: strictHex agrees with a second implementation
// (strconv.ParseUint after the same trimming) and accepts nothing that
// wire.ParseHRESULT, the lenient client-side parser, refuses.
func FuzzStrictHex(f *testing.F) {
	f.Add("0x80070057")  // as bitsim sends it
	f.Add("0X8020001f")  // mixed case
	f.Add("80070057")    // no prefix
	f.Add(" 0x5 ")       // context with blanks
	f.Add("0x")          // prefix only: refused
	f.Add("0x100000000") // over 32 bits: refused
	f.Add("2147942487")  // decimal: 10 digits, refused
	f.Add("+5")          // sign: refused
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := strictHex(s)
		digits := strings.Trim(s, " \t")
		if len(digits) >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') {
			digits = digits[2:]
		}
		plain := len(digits) > 0 && len(digits) <= 8 && !strings.ContainsAny(digits, "+-_")
		want, err := strconv.ParseUint(digits, 16, 32)
		if ok != (plain && err == nil) || ok && uint64(v) != want {
			t.Fatalf("strictHex(%q) = %#x, %v; strconv says %#x, %v", s, v, ok, want, err)
		}
		if ok {
			h, err := wire.ParseHRESULT(s)
			if err != nil || uint32(h) != v {
				t.Fatalf("strictHex(%q) = %#x but wire.ParseHRESULT = %v, %v", s, v, h, err)
			}
		}
	})
}

// FuzzCheckErrorPair: the strict Ack check never panics, and an error pair
// it passes is one the lenient wire.ParseAck reads with the same values.
func FuzzCheckErrorPair(f *testing.F) {
	f.Add("0x80070057", "0x5")
	f.Add("0x8020001F", "0x7")
	f.Add("1", "")
	f.Add("0x80070057", "REMOTE_FILE")
	f.Add("", "0x5")
	f.Fuzz(func(t *testing.T, code, ctx string) {
		h := http.Header{}
		wire.SetExact(h, wire.HdrErrorCode, code)
		wire.SetExact(h, wire.HdrErrorContext, ctx)
		r := &Response{Status: 400, Header: h}
		if checkErrorPair(r) != "" {
			return
		}
		a, err := wire.ParseAck(400, h)
		if err != nil || !a.HasError {
			t.Fatalf("checkErrorPair passes %q/%q, wire.ParseAck: %+v, %v", code, ctx, a, err)
		}
		if c, _ := strictHex(code); uint32(a.Code) != c {
			t.Fatalf("code %q: strict %#x, lenient %v", code, c, a.Code)
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
