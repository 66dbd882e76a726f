package wire

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Ack is a server's answer to a BITS packet. Optional fields are empty or
// carry a Has flag when absent.
type Ack struct {
	// Status is the HTTP status (200, 201, 400, 416, 500, ...).
	Status int
	// PacketType is the BITS-Packet-Type value of a parsed Ack ("" if absent:
	// some intermediaries answer with plain HTTP errors). Write always sends "Ack".
	PacketType string
	SessionID  string
	Protocol   string
	HostID     string
	// FallbackTimeout is BITS-Host-Id-Fallback-Timeout in seconds, if HasFallback.
	FallbackTimeout int64
	HasFallback     bool
	// Received is BITS-Received-Content-Range, if HasReceived.
	Received    int64
	HasReceived bool
	ReplyURL    string
	// AcceptEncoding is only set on Create-Session Acks ("identity").
	AcceptEncoding string
	// Code and Context are BITS-Error-Code (or BITS-Error) and
	// BITS-Error-Context, if HasError.
	Code     HRESULT
	Context  Context
	HasError bool
	// Warning, if not empty, says what ParseAck tolerated although the spec
	// does not allow it: error headers on a 2xx Ack (ignored; a malformed
	// pair does not fail the parse) or an empty BITS-Error-Context (taken
	// as absent). The client records it as a warning event.
	Warning string
	// NearMissName and NearMissValue are a header whose name is a near miss
	// of BITS-Received-Content-Range (e.g. "Bits-Recieved-Content-Range"),
	// set only when the real header is absent, so that the client can name
	// it and, if told to, use it.
	NearMissName  string
	NearMissValue string
}

// OK reports whether the status is 200 or 201 (201 is allowed for
// Create-Session).
func (a Ack) OK() bool { return a.Status == http.StatusOK || a.Status == http.StatusCreated }

// Err returns the Ack's error as an *Error, or nil for a successful Ack.
func (a Ack) Err() error {
	if a.OK() {
		return nil
	}
	return &Error{Status: a.Status, Code: a.Code, Context: a.Context, HasCode: a.HasError}
}

// SetExact sets a header keeping the exact spelling of name on the wire
// (Header.Set would canonicalise "BITS-Packet-Type" to "Bits-Packet-Type").
func SetExact(h http.Header, name, value string) {
	if c := http.CanonicalHeaderKey(name); c != name {
		delete(h, c)
	}
	h[name] = []string{value}
}

// Write writes the Ack with IIS's header spelling, an explicit
// Content-Length: 0 and an empty body. Error headers are written only on
// non-2xx Acks; 416 always carries BITS-Received-Content-Range.
func (a Ack) Write(w http.ResponseWriter) {
	h := w.Header()
	SetExact(h, HdrPacketType, AckPacket.String())
	if a.SessionID != "" {
		SetExact(h, HdrSessionID, a.SessionID)
	}
	if a.Protocol != "" {
		SetExact(h, HdrProtocol, a.Protocol)
	}
	if a.HostID != "" {
		SetExact(h, HdrHostID, a.HostID)
		if a.HasFallback {
			SetExact(h, HdrHostIDFallbackTimeout, strconv.FormatInt(a.FallbackTimeout, 10))
		}
	}
	if a.AcceptEncoding != "" {
		SetExact(h, HdrAcceptEncoding, a.AcceptEncoding)
	}
	if a.HasReceived {
		SetExact(h, HdrReceivedContentRange, strconv.FormatInt(a.Received, 10))
	}
	if a.ReplyURL != "" {
		SetExact(h, HdrReplyURL, a.ReplyURL)
	}
	if !a.OK() && a.HasError {
		SetExact(h, HdrErrorCode, a.Code.Hex())
		SetExact(h, HdrErrorContext, a.Context.Hex())
	}
	SetExact(h, HdrContentLength, "0")
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

// Header returns the first value of name in h, matching the name
// case-insensitively even in header maps whose keys were not canonicalised.
func Header(h http.Header, name string) (string, bool) {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
		return v[0], true
	}
	if v, ok := h[name]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0], true
		}
	}
	return "", false
}

// ParseAck reads an Ack from a response status and headers, accepting what
// real IIS and third-party servers send: header names in any case, no
// BITS-Session-Id, 200 or 201, BITS-Error-Code or BITS-Error, hex with or
// without 0x. A header that is present but malformed is an error; the caller
// decides what is required (the client range-checks offsets against the
// upload size, see CheckOffset).
func ParseAck(status int, h http.Header) (Ack, error) {
	a := Ack{Status: status}
	if status < 100 || status > 999 {
		return a, fmt.Errorf("wire: bad status %d", status)
	}
	a.PacketType, _ = Header(h, HdrPacketType)
	a.PacketType = strings.TrimSpace(a.PacketType)
	if v, ok := Header(h, HdrSessionID); ok {
		a.SessionID = strings.TrimSpace(v)
	}
	if v, ok := Header(h, HdrProtocol); ok {
		a.Protocol = strings.TrimSpace(v)
	}
	if v, ok := Header(h, HdrHostID); ok {
		a.HostID = strings.TrimSpace(v)
	}
	if v, ok := Header(h, HdrHostIDFallbackTimeout); ok && a.HostID != "" {
		n, err := parseDecimal(strings.TrimSpace(v))
		if err != nil {
			return a, fmt.Errorf("wire: bad %s %q", HdrHostIDFallbackTimeout, v)
		}
		a.FallbackTimeout, a.HasFallback = n, true
	}
	if v, ok := Header(h, HdrAcceptEncoding); ok {
		a.AcceptEncoding = strings.TrimSpace(v)
	}
	if v, ok := Header(h, HdrReceivedContentRange); ok {
		n, err := ParseOffset(v)
		if err != nil {
			return a, err
		}
		a.Received, a.HasReceived = n, true
	}
	if v, ok := Header(h, HdrReplyURL); ok {
		a.ReplyURL = strings.TrimSpace(v)
	}
	if !a.HasReceived {
		a.NearMissName, a.NearMissValue, _ = NearMiss(h, HdrReceivedContentRange)
	}
	if err := a.parseError(h); err != nil {
		if !a.OK() {
			return a, err
		}
		// Liberal on success: a 2xx Ack's error headers are not an error.
		a.Code, a.Context, a.HasError = 0, 0, false
		a.Warning = fmt.Sprintf("2xx Ack with malformed error headers (ignored): %v", err)
	}
	return a, nil
}

// parseError reads BITS-Error-Code (or BITS-Error) and BITS-Error-Context.
// An empty context value is taken as absent, with a warning.
func (a *Ack) parseError(h http.Header) error {
	code, ok := Header(h, HdrErrorCode)
	name := HdrErrorCode
	if !ok {
		code, ok = Header(h, HdrError)
		name = HdrError
	}
	if !ok {
		return nil
	}
	c, err := ParseHRESULT(code)
	if err != nil {
		return err
	}
	a.Code, a.HasError = c, true
	v, ok := Header(h, HdrErrorContext)
	switch {
	case ok && strings.TrimSpace(v) == "":
		a.Warning = fmt.Sprintf("empty %s taken as absent", HdrErrorContext)
	case ok:
		ctx, err := ParseContext(v)
		if err != nil {
			return err
		}
		a.Context = ctx
	}
	if a.OK() {
		a.Warning = fmt.Sprintf("2xx Ack with %s %q and %s %q (ignored)", name, code, HdrErrorContext, v)
	}
	return nil
}

// NearMiss finds a header whose name is within edit distance 2 of name
// (case-insensitive, transpositions counting 1) without being name itself:
// a misspelling such as "Bits-Recieved-Content-Range". It returns the
// header's name as received and its first value.
func NearMiss(h http.Header, name string) (key, value string, ok bool) {
	want := strings.ToLower(name)
	for k, vs := range h {
		lk := strings.ToLower(k)
		if lk == want || len(vs) == 0 {
			continue
		}
		if d := lenDiff(lk, want); d <= 2 && editDistance(lk, want) <= 2 {
			if !ok || k < key { // deterministic when several match
				key, value, ok = k, vs[0], true
			}
		}
	}
	return key, value, ok
}

func lenDiff(a, b string) int {
	if len(a) > len(b) {
		return len(a) - len(b)
	}
	return len(b) - len(a)
}

// editDistance is the optimal-string-alignment distance (Levenshtein plus
// adjacent transpositions) between a and b, bytewise.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// CheckOffset rejects a BITS-Received-Content-Range outside [0, size].
func CheckOffset(off, size int64) error {
	if off < 0 || off > size {
		return fmt.Errorf("wire: server offset %d outside [0, %d]", off, size)
	}
	return nil
}
