package conform

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// Packet type spellings: the Windows client's (§2 rule 8).
var (
	tPing   = wire.Ping.String()
	tCreate = wire.CreateSession.String()
	tFrag   = wire.Fragment.String()
	tClose  = wire.CloseSession.String()
	tCancel = wire.CancelSession.String()
)

// guid is the BITS 1.5 upload protocol, as the Windows client sends it.
const guid = wire.ProtocolGUID

// otherGUID is a protocol no server knows.
const otherGUID = "{00000000-1111-2222-3333-444444444444}"

// pkt builds a BITS_POST packet of type typ ("" for no BITS-Packet-Type)
// for file name, with a session id when sid is not empty.
func (t *T) pkt(name, typ, sid string, extra ...Header) Request {
	r := Request{Target: t.targetOf(name)}
	if typ != "" {
		r.Headers = append(r.Headers, Header{wire.HdrPacketType, typ})
	}
	if sid != "" {
		r.Headers = append(r.Headers, Header{wire.HdrSessionID, sid})
	}
	r.Headers = append(r.Headers, extra...)
	return r
}

// createReq is a well-formed Create-Session.
func (t *T) createReq(name string, extra ...Header) Request {
	return t.pkt(name, tCreate, "", append([]Header{{wire.HdrSupportedProtocols, guid}}, extra...)...)
}

// fragReq is a well-formed Fragment carrying data[first:last+1] of a file
// of len(data) bytes.
func (t *T) fragReq(name, sid string, data []byte, first, last int64) Request {
	r := t.pkt(name, tFrag, sid, Header{wire.HdrContentRange, wire.Range{First: first, Last: last, Total: int64(len(data))}.String()})
	r.Body = data[first : last+1]
	return r
}

// create opens a session for name; anything but a successful Create-Session
// Ack with a session id fails the probe.
func (t *T) create(name string) string {
	resp := t.Send(t.createReq(name))
	if !okStatus(resp.Status) {
		t.Failf("set-up: Create-Session answered %s", statusOf(resp))
	}
	sid, ok := wire.Header(resp.Header, wire.HdrSessionID)
	if !ok || strings.TrimSpace(sid) == "" {
		t.Failf("set-up: Create-Session Ack has no %s", wire.HdrSessionID)
	}
	sid = strings.TrimSpace(sid)
	t.followHostID(sid, resp)
	return sid
}

// sessionOf returns the session id of a Create-Session Ack (following its
// BITS-Host-Id), "" if it has none.
func (t *T) sessionOf(resp *Response) string {
	sid, _ := wire.Header(resp.Header, wire.HdrSessionID)
	sid = strings.TrimSpace(sid)
	if sid != "" {
		t.followHostID(sid, resp)
	}
	return sid
}

// followHostID sends the session's later packets to the host a
// Create-Session Ack names in BITS-Host-Id (§12.4), as clients do.
func (t *T) followHostID(sid string, resp *Response) {
	h, ok := wire.Header(resp.Header, wire.HdrHostID)
	if h = strings.TrimSpace(h); !ok || h == "" {
		return
	}
	if t.hostIDs == nil {
		t.hostIDs = map[string]string{}
	}
	t.hostIDs[strings.ToUpper(sid)] = h
	t.host = h
}

// frag sends data[first:last+1] and returns the Ack.
func (t *T) frag(name, sid string, data []byte, first, last int64) *Response {
	return t.Send(t.fragReq(name, sid, data, first, last))
}

// sendAll sends data[from:] in fragments of at most size bytes, each of
// which must be acknowledged with 200 and the next offset.
func (t *T) sendAll(name, sid string, data []byte, from int64, size int) {
	t.sendRange(name, sid, data, from, int64(len(data)), size)
}

// sendRange sends data[from:to] of the len(data)-byte file likewise.
func (t *T) sendRange(name, sid string, data []byte, from, to int64, size int) {
	for off := from; off < to; {
		last := min(off+int64(size), to) - 1
		resp := t.frag(name, sid, data, off, last)
		t.wantReceived(resp, fmt.Sprintf("Fragment %d-%d", off, last), 200, last+1)
		off = last + 1
	}
}

// upload creates a session and sends the whole file in fragments of size
// bytes, all acknowledged in order; it returns the session id.
func (t *T) upload(name string, data []byte, size int) string {
	sid := t.create(name)
	t.sendAll(name, sid, data, 0, size)
	return sid
}

// closeOK sends Close-Session, which must succeed.
func (t *T) closeOK(name, sid string) {
	t.wantOK(t.Send(t.pkt(name, tClose, sid)), "Close-Session")
}

func okStatus(s int) bool { return s == http.StatusOK || s == http.StatusCreated }

func statusOf(r *Response) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if c, ok := errorCode(r); ok {
		s += ", " + wire.HRESULT(c).Hex()
	}
	return s
}

// errorCode reads BITS-Error-Code (or BITS-Error) leniently.
func errorCode(r *Response) (wire.HRESULT, bool) {
	v, ok := wire.Header(r.Header, wire.HdrErrorCode)
	if !ok {
		v, ok = wire.Header(r.Header, wire.HdrError)
	}
	if !ok {
		return 0, false
	}
	c, err := wire.ParseHRESULT(v)
	return c, err == nil
}

// received reads BITS-Received-Content-Range.
func received(r *Response) (int64, bool) {
	v, ok := wire.Header(r.Header, wire.HdrReceivedContentRange)
	if !ok {
		return 0, false
	}
	n, err := wire.ParseOffset(v)
	return n, err == nil
}

// wantOK requires a 200 (or 201) Ack.
func (t *T) wantOK(r *Response, what string) {
	if !okStatus(r.Status) {
		t.Failf("%s: want 200, got %s", what, statusOf(r))
	}
}

// wantReceived requires status and BITS-Received-Content-Range == off.
func (t *T) wantReceived(r *Response, what string, status int, off int64) {
	if r.Status != status {
		t.Failf("%s: want %d with %s %d, got %s", what, status, wire.HdrReceivedContentRange, off, statusOf(r))
	}
	got, ok := received(r)
	if !ok {
		t.Failf("%s: %d without a valid %s (want %d)", what, r.Status, wire.HdrReceivedContentRange, off)
	}
	if got != off {
		t.Failf("%s: %s is %d, want %d", what, wire.HdrReceivedContentRange, got, off)
	}
}

// wantError requires one of the statuses and, when code is not nil, that
// BITS-Error-Code.
func (t *T) wantError(r *Response, what string, code *wire.HRESULT, statuses ...int) {
	okS := false
	for _, s := range statuses {
		okS = okS || r.Status == s
	}
	want := fmt.Sprint(statuses)
	if code != nil {
		want += " with " + code.Hex()
	}
	if !okS {
		t.Failf("%s: want %s, got %s", what, want, statusOf(r))
	}
	if code != nil {
		if c, ok := errorCode(r); !ok || c != *code {
			t.Failf("%s: want %s, got %s", what, want, statusOf(r))
		}
	}
}

func hr(h wire.HRESULT) *wire.HRESULT { return &h }

var (
	invalidArg      = hr(wire.EInvalidArg)
	sessionNotFound = hr(wire.BGESessionNotFound)
)

// wantBadRequest: 400 with 0x80070057 (§5.3).
func (t *T) wantBadRequest(r *Response, what string) {
	t.wantError(r, what, invalidArg, http.StatusBadRequest)
}

// wantNotFound: 500 with 0x8020001F, the unknown-session Ack (§6.3).
func (t *T) wantNotFound(r *Response, what string) {
	t.wantError(r, what, sessionNotFound, http.StatusInternalServerError)
}
