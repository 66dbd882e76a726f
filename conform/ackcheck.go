package conform

import (
	"fmt"
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// The strict Ack checks of §5 and §6.1, each returning what is wrong ("" if
// nothing). The protocol probes read Acks leniently, as clients do; the
// errors probes apply these.

// checkLength: Content-Length present and 0, body empty (§2 rule 4, §5.1).
func checkLength(r *Response) string {
	v, ok := wire.Header(r.Header, wire.HdrContentLength)
	switch {
	case !ok:
		return "no Content-Length header"
	case strings.TrimSpace(v) != "0":
		return fmt.Sprintf("Content-Length is %q, want 0", v)
	case len(r.Body) > 0:
		return fmt.Sprintf("%d bytes of body, want none", len(r.Body))
	}
	return ""
}

// checkPacketType: BITS-Packet-Type: Ack, any case (§2 rule 4).
func checkPacketType(r *Response) string {
	v, ok := wire.Header(r.Header, wire.HdrPacketType)
	if !ok {
		return "no " + wire.HdrPacketType + " header"
	}
	if !strings.EqualFold(strings.TrimSpace(v), "Ack") {
		return fmt.Sprintf("%s is %q, want Ack", wire.HdrPacketType, v)
	}
	return ""
}

// checkNoErrorHeaders: a successful Ack carries no error pair (§5.1).
func checkNoErrorHeaders(r *Response) string {
	for _, h := range []string{wire.HdrErrorCode, wire.HdrError, wire.HdrErrorContext} {
		if v, ok := wire.Header(r.Header, h); ok {
			return fmt.Sprintf("success Ack carries %s: %q", h, v)
		}
	}
	return ""
}

// checkErrorPair: an error Ack carries BITS-Error-Code (or BITS-Error) and
// BITS-Error-Context, both hexadecimal 32-bit numbers with an optional 0x
// (§6.1), the context being 0x5 or 0x7 (§6.2).
func checkErrorPair(r *Response) string {
	code, ok := wire.Header(r.Header, wire.HdrErrorCode)
	if !ok {
		code, ok = wire.Header(r.Header, wire.HdrError)
	}
	if !ok {
		return "no " + wire.HdrErrorCode + " header"
	}
	if _, ok := strictHex(code); !ok {
		return fmt.Sprintf("%s %q is not a hexadecimal HRESULT", wire.HdrErrorCode, code)
	}
	ctx, ok := wire.Header(r.Header, wire.HdrErrorContext)
	if !ok {
		return "no " + wire.HdrErrorContext + " header"
	}
	v, ok := strictHex(ctx)
	if !ok {
		return fmt.Sprintf("%s %q is not a hexadecimal number", wire.HdrErrorContext, ctx)
	}
	if v != uint32(wire.ContextRemoteFile) && v != uint32(wire.ContextRemoteApplication) {
		return fmt.Sprintf("%s is %s, want 0x5 (server) or 0x7 (application)", wire.HdrErrorContext, ctx)
	}
	return ""
}

// strictHex parses 1 to 8 hexadecimal digits with an optional 0x or 0X
// prefix, surrounded by optional blanks: the forms §6.1 allows.
func strictHex(s string) (uint32, bool) {
	s = strings.Trim(s, " \t")
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if len(s) == 0 || len(s) > 8 {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// must fails the probe with what's problem, if any.
func (t *T) must(what, problem string) {
	if problem != "" {
		t.Failf("%s: %s", what, problem)
	}
}
