package conform

import (
	"net/http"
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// packetProbes: packet types, bodies and mandatory headers (§2, §4).
func packetProbes() []Probe {
	g := GroupPackets
	// typed uploads a 3-fragment file with the given packet-type spellings.
	typed := func(create, frag, close string) func(*T) {
		return func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			resp := t.Send(t.pkt(name, create, "", Header{wire.HdrSupportedProtocols, guid}))
			t.wantOK(resp, "Create-Session as "+create)
			sid := t.sessionOf(resp)
			for off := int64(0); off < 3000; off += 1000 {
				r := t.fragReq(name, sid, data, off, off+999)
				r.Headers[0].Value = frag
				t.wantReceived(t.Send(r), "Fragment as "+frag, 200, off+1000)
			}
			t.wantOK(t.Send(t.pkt(name, close, sid)), "Close-Session as "+close)
			t.expectStored(name, data)
		}
	}
	rejected := func(typ string) func(*T) {
		return func(t *T) { t.wantBadRequest(t.Send(t.pkt(t.Name(), typ, "")), "packet type "+quote(typ)) }
	}
	withBody := func(typ string, needSession bool) func(*T) {
		return func(t *T) {
			name, sid := t.Name(), ""
			if needSession {
				sid = t.create(name)
			}
			r := t.pkt(name, typ, sid)
			if typ == tCreate {
				r = t.createReq(name)
			}
			r.Body = []byte("unexpected body")
			t.wantBadRequest(t.Send(r), typ+" with a 15-byte body")
		}
	}
	noLength := func(typ string) func(*T) {
		return func(t *T) {
			r := t.pkt(t.Name(), typ, "")
			if typ == tCreate {
				r = t.createReq(t.Name())
			}
			r.NoLength = true
			t.wantError(t.Send(r), typ+" without Content-Length", invalidArg, http.StatusBadRequest, http.StatusLengthRequired)
		}
	}
	return []Probe{
		probe(g, "ping", "§4.1", "Ping gets 200 without a session", func(t *T) {
			t.wantOK(t.Send(t.pkt(t.Name(), tPing, "")), "Ping")
		}),
		probe(g, "ping-unknown-session", "§4.1", "Ping with an unknown session id still gets 200", func(t *T) {
			t.wantOK(t.Send(t.pkt(t.Name(), tPing, randomGUID(t))), "Ping with an unknown session")
		}),
		probe(g, "ping-in-session", "§4.1", "a Ping between fragments leaves the session usable", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.create(name)
			t.sendRange(name, sid, data, 0, 1000, 1000)
			t.wantOK(t.Send(t.pkt(name, tPing, sid)), "Ping")
			t.wantReceived(t.frag(name, sid, data, 1000, 1999), "Fragment 1000-1999 after Ping", 200, 2000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "types-upper-case", "§2", "packet types in [S]'s upper case (CREATE-SESSION, FRAGMENT, CLOSE-SESSION) work",
			typed(strings.ToUpper(tCreate), strings.ToUpper(tFrag), strings.ToUpper(tClose))),
		probe(g, "types-lower-case", "§2", "packet types in lower case work",
			typed(strings.ToLower(tCreate), strings.ToLower(tFrag), strings.ToLower(tClose))),
		probe(g, "ping-mixed-case", "§2", "Ping spelled pInG gets 200", func(t *T) {
			t.wantOK(t.Send(t.pkt(t.Name(), "pInG", "")), "Ping as pInG")
		}),
		probe(g, "unknown-type", "§2", "an unknown packet type gets a 400 Ack with 0x80070057", rejected("Frobnicate")),
		probe(g, "missing-type", "§2", "a BITS_POST without BITS-Packet-Type gets a 400 Ack with 0x80070057", rejected("")),
		probe(g, "ack-from-client", "§2", "a client packet of type Ack gets 400 with 0x80070057", rejected("Ack")),
		probe(g, "body-on-ping", "§4.1", "Ping with a body gets 400 with 0x80070057", withBody(tPing, false)),
		probe(g, "body-on-create", "§4.2", "Create-Session with a body gets 400 with 0x80070057", withBody(tCreate, false)),
		probe(g, "body-on-close", "§4.4", "Close-Session with a body gets 400 with 0x80070057", withBody(tClose, true)),
		probe(g, "body-on-cancel", "§4.5", "Cancel-Session with a body gets 400 with 0x80070057", withBody(tCancel, true)),
		probe(g, "missing-length-ping", "§2", "Ping without Content-Length gets 400 (Windows) or 411 with 0x80070057", noLength(tPing)),
		probe(g, "missing-length-create", "§2", "Create-Session without Content-Length gets 400 or 411 with 0x80070057", noLength(tCreate)),
		probe(g, "chunked-fragment", "§4.3", "a chunked Fragment (no Content-Length) gets 400 or 411 with 0x80070057", func(t *T) {
			name, data := t.Name(), t.Payload(1000)
			sid := t.create(name)
			r := t.fragReq(name, sid, data, 0, 999)
			r.Chunked = true
			t.wantError(t.Send(r), "chunked Fragment", invalidArg, http.StatusBadRequest, http.StatusLengthRequired)
		}),
		probe(g, "header-names-lower-case", "§2", "header names are matched case-insensitively (all in lower case)", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			lower := func(r Request) Request {
				for i := range r.Headers {
					r.Headers[i].Name = strings.ToLower(r.Headers[i].Name)
				}
				return r
			}
			resp := t.Send(lower(t.createReq(name)))
			t.wantOK(resp, "Create-Session")
			sid := t.sessionOf(resp)
			t.wantReceived(t.Send(lower(t.fragReq(name, sid, data, 0, 999))), "Fragment 0-999", 200, 1000)
			t.wantReceived(t.Send(lower(t.fragReq(name, sid, data, 1000, 1999))), "Fragment 1000-1999", 200, 2000)
			t.wantOK(t.Send(lower(t.pkt(name, tClose, sid))), "Close-Session")
			t.expectStored(name, data)
		}),
		probe(g, "unknown-headers-ignored", "§2", "unknown headers on every packet are ignored", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			x := Header{"X-Conform-Probe", "unknown header"}
			resp := t.Send(t.createReq(name, x))
			t.wantOK(resp, "Create-Session")
			sid := t.sessionOf(resp)
			r := t.fragReq(name, sid, data, 0, 1999)
			r.Headers = append(r.Headers, x)
			t.wantReceived(t.Send(r), "Fragment 0-1999", 200, 2000)
			t.wantOK(t.Send(t.pkt(name, tClose, sid, x)), "Close-Session")
			t.expectStored(name, data)
		}),
		probe(g, "content-name-on-fragment", "§3.1", "Content-Name on Fragment and Close-Session is ignored", func(t *T) {
			name, data := t.Name(), t.Payload(1500)
			cn := Header{wire.HdrContentName, "report.dat"}
			sid := t.create(name)
			r := t.fragReq(name, sid, data, 0, 1499)
			r.Headers = append(r.Headers, cn)
			t.wantReceived(t.Send(r), "Fragment with Content-Name", 200, 1500)
			t.wantOK(t.Send(t.pkt(name, tClose, sid, cn)), "Close-Session with Content-Name")
			t.expectStored(name, data)
		}),
	}
}

func quote(s string) string { return `"` + s + `"` }

// randomGUID draws a braced upper-case GUID no server issued.
func randomGUID(t *T) string {
	id, _ := wire.NewSessionID(t.rand)
	return id
}
