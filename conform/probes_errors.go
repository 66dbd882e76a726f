package conform

import (
	"fmt"

	"github.com/bitsim/bitsim/wire"
)

// errorAck is one way of provoking an error Ack.
type errorAck struct {
	what    string
	status  int // the status a conforming server answers
	provoke func(t *T) *Response
}

// errorAcks provokes the server's common error Acks: 400 (unknown packet
// type, bad Content-Range), 500 with 0x8020001F, and 416 (with code 0).
func errorAcks() []errorAck {
	return []errorAck{
		{"400 for an unknown packet type", 400, func(t *T) *Response { return t.Send(t.pkt(t.Name(), "Frobnicate", "")) }},
		{"400 for a bad Content-Range", 400, func(t *T) *Response {
			name := t.Name()
			sid := t.create(name)
			r := t.pkt(name, tFrag, sid, Header{wire.HdrContentRange, "bytes 9-0/10"})
			r.Body = make([]byte, 10)
			return t.Send(r)
		}},
		{"500 for an unknown session", 500, func(t *T) *Response { return t.Send(t.pkt(t.Name(), tClose, randomGUID(t))) }},
		{"416 for a gap", 416, func(t *T) *Response {
			name, data := t.Name(), t.Payload(300)
			sid := t.create(name)
			return t.frag(name, sid, data, 200, 299)
		}},
		{"400 for a Create-Session with no common protocol", 400, func(t *T) *Response {
			return t.Send(t.pkt(t.Name(), tCreate, "", Header{wire.HdrSupportedProtocols, otherGUID}))
		}},
	}
}

// eachErrorAck provokes every error Ack whose status is in only (all for
// none) and applies check to it. A packet the server does not reject as
// expected is skipped (the protocol probes report that); if none is
// rejected, the probe is not applicable.
func eachErrorAck(check func(t *T, e errorAck, r *Response) string, only ...int) func(*T) {
	return func(t *T) {
		seen := 0
		for _, e := range errorAcks() {
			if len(only) > 0 && !contains(only, e.status) {
				continue
			}
			r := e.provoke(t)
			if r.Status != e.status {
				t.Notef("skipped: wanted %s, got %s", e.what, statusOf(r))
				continue
			}
			seen++
			t.must(e.what, check(t, e, r))
		}
		if seen == 0 {
			t.NA("the server produced none of these error Acks")
		}
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// errorProbes: the form of every Ack (§2 rule 4, §5, §6).
func errorProbes() []Probe {
	g := GroupErrors
	return []Probe{
		probe(g, "content-length", "§5.1", "every error Ack (400, 416, 500) has Content-Length: 0 and no body",
			eachErrorAck(func(_ *T, _ errorAck, r *Response) string { return checkLength(r) })),
		probe(g, "packet-type", "§5.1", "every error Ack has BITS-Packet-Type: Ack",
			eachErrorAck(func(_ *T, _ errorAck, r *Response) string { return checkPacketType(r) })),
		probe(g, "code-and-context", "§6.1", "400 and 500 Acks carry BITS-Error-Code and BITS-Error-Context in hex, the context 0x5 or 0x7",
			eachErrorAck(func(_ *T, _ errorAck, r *Response) string { return checkErrorPair(r) }, 400, 500)),
		probe(g, "server-context", "§6.2", "errors the server itself produces carry context 0x5 (REMOTE_FILE)",
			eachErrorAck(func(_ *T, _ errorAck, r *Response) string {
				v, _ := wire.Header(r.Header, wire.HdrErrorContext)
				if c, ok := strictHex(v); !ok || c != uint32(wire.ContextRemoteFile) {
					return fmt.Sprintf("%s is %q, want 0x5", wire.HdrErrorContext, v)
				}
				return ""
			}, 400, 500)),
		probe(g, "416-code", "§7.2", "a 416 carries BITS-Received-Content-Range and error code 0 (or none), context 0x5 if any",
			eachErrorAck(func(_ *T, _ errorAck, r *Response) string {
				if _, ok := received(r); !ok {
					return "no valid " + wire.HdrReceivedContentRange
				}
				if c, ok := errorCode(r); ok && c != wire.OK {
					return fmt.Sprintf("error code %s, want 0 or none", c.Hex())
				}
				if v, ok := wire.Header(r.Header, wire.HdrErrorContext); ok {
					if c, ok := strictHex(v); !ok || c != uint32(wire.ContextRemoteFile) {
						return fmt.Sprintf("%s is %q, want 0x5", wire.HdrErrorContext, v)
					}
				}
				return ""
			}, 416)),
		probe(g, "failed-create-no-session", "§5.2", "a failed Create-Session carries neither BITS-Protocol nor BITS-Session-Id",
			func(t *T) {
				r := t.Send(t.pkt(t.Name(), tCreate, "", Header{wire.HdrSupportedProtocols, otherGUID}))
				if okStatus(r.Status) {
					t.NA("the server accepted a Create-Session with no common protocol")
				}
				for _, h := range []string{wire.HdrProtocol, wire.HdrSessionID} {
					if v, ok := wire.Header(r.Header, h); ok {
						t.Failf("failed Create-Session (%s) carries %s: %q", statusOf(r), h, v)
					}
				}
			}),
		probe(g, "success-acks", "§5.1", "successful Acks (Ping, Create-Session, Fragment, Close-Session, Cancel-Session) are Acks with Content-Length: 0 and no error headers", func(t *T) {
			name, data := t.Name(), t.Payload(1000)
			check := func(what string, r *Response) {
				t.wantOK(r, what)
				t.must(what, checkPacketType(r))
				t.must(what, checkLength(r))
				t.must(what, checkNoErrorHeaders(r))
			}
			check("Ping", t.Send(t.pkt(name, tPing, "")))
			resp := t.Send(t.createReq(name))
			check("Create-Session", resp)
			sid := t.sessionOf(resp)
			check("Fragment", t.frag(name, sid, data, 0, 999))
			check("Close-Session", t.Send(t.pkt(name, tClose, sid)))
			other := t.Name()
			sid2 := t.create(other)
			check("Cancel-Session", t.Send(t.pkt(other, tCancel, sid2)))
		}),
		probe(g, "received-is-offset", "§3.1", "BITS-Received-Content-Range is one decimal number, the next offset (not a range)", func(t *T) {
			name, data := t.Name(), t.Payload(1000)
			sid := t.create(name)
			r := t.frag(name, sid, data, 0, 499)
			v, ok := wire.Header(r.Header, wire.HdrReceivedContentRange)
			if !ok {
				t.Failf("Fragment Ack has no %s", wire.HdrReceivedContentRange)
			}
			if n, err := wire.ParseOffset(v); err != nil || n != 500 {
				t.Failf("%s is %q, want 500", wire.HdrReceivedContentRange, v)
			}
		}),
	}
}
