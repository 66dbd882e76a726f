package conform

import (
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// negotiationProbes: Create-Session and the protocol GUID list (§2 rule 10,
// §3.1, §4.2, §5.2).
func negotiationProbes() []Probe {
	g := GroupNegotiation
	accepts := func(list string) func(*T) {
		return func(t *T) {
			resp := t.Send(t.pkt(t.Name(), tCreate, "", Header{wire.HdrSupportedProtocols, list}))
			t.wantOK(resp, "Create-Session")
			p, _ := wire.Header(resp.Header, wire.HdrProtocol)
			if !strings.EqualFold(strings.TrimSpace(p), guid) {
				t.Failf("Create-Session Ack: %s is %q, want %s", wire.HdrProtocol, p, guid)
			}
		}
	}
	rejects := func(hs ...Header) func(*T) {
		return func(t *T) {
			t.wantBadRequest(t.Send(t.pkt(t.Name(), tCreate, "", hs...)), "Create-Session")
		}
	}
	return []Probe{
		probe(g, "create-session", "§4.2", "Create-Session with the BITS 1.5 GUID gets 200 or 201 with BITS-Protocol and a BITS-Session-Id", func(t *T) {
			resp := t.Send(t.createReq(t.Name()))
			t.wantOK(resp, "Create-Session")
			if p, _ := wire.Header(resp.Header, wire.HdrProtocol); !strings.EqualFold(strings.TrimSpace(p), guid) {
				t.Failf("Create-Session Ack: %s is %q, want %s", wire.HdrProtocol, p, guid)
			}
			if sid, _ := wire.Header(resp.Header, wire.HdrSessionID); strings.TrimSpace(sid) == "" {
				t.Failf("Create-Session Ack has no %s", wire.HdrSessionID)
			}
		}),
		probe(g, "guid-upper-case", "§2", "the protocol GUID is matched case-insensitively (upper case accepted)",
			accepts(strings.ToUpper(guid))),
		probe(g, "guid-list-space", "§3.1", "a space-separated GUID list naming an unknown protocol first still selects BITS 1.5",
			accepts(otherGUID+" "+guid)),
		probe(g, "guid-list-comma", "§3.1", "a comma-separated GUID list is accepted",
			accepts(otherGUID+","+guid)),
		probe(g, "missing-protocols", "§4.2", "Create-Session without BITS-Supported-Protocols gets 400 with 0x80070057",
			rejects()),
		probe(g, "unknown-protocol", "§4.2", "Create-Session offering only unknown protocols gets 400 with 0x80070057",
			rejects(Header{wire.HdrSupportedProtocols, otherGUID})),
		probe(g, "empty-protocols", "§4.2", "Create-Session with an empty BITS-Supported-Protocols gets 400 with 0x80070057",
			rejects(Header{wire.HdrSupportedProtocols, ""})),
		probe(g, "accept-encoding", "§5.2", "the Create-Session Ack advertises Accept-Encoding: identity", func(t *T) {
			resp := t.Send(t.createReq(t.Name()))
			t.wantOK(resp, "Create-Session")
			if v, _ := wire.Header(resp.Header, wire.HdrAcceptEncoding); !strings.EqualFold(strings.TrimSpace(v), "identity") {
				t.Failf("Create-Session Ack: Accept-Encoding is %q, want identity", v)
			}
		}),
		probe(g, "session-ids-unique", "§3.1", "two Create-Sessions get different session ids", func(t *T) {
			a, b := t.create(t.Name()), t.create(t.Name())
			if strings.EqualFold(a, b) {
				t.Failf("both sessions got id %s", a)
			}
		}),
		probe(g, "content-name-ignored", "§3.1", "Content-Name on Create-Session is ignored", func(t *T) {
			t.wantOK(t.Send(t.createReq(t.Name(), Header{wire.HdrContentName, "report.dat"})), "Create-Session with Content-Name")
		}),
	}
}
