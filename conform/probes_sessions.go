package conform

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/bitsim/bitsim/wire"
)

// sessionProbes: session lifetime, independence from TCP connections, and
// the unknown-session answer (§4.4, §4.5, §6.3, §8).
func sessionProbes() []Probe {
	g := GroupSessions
	unknown := func(typ string) func(*T) {
		return func(t *T) {
			r := t.pkt(t.Name(), typ, randomGUID(t))
			if typ == tFrag {
				r = t.fragReq(t.Name(), randomGUID(t), t.Payload(100), 0, 99)
			}
			t.wantNotFound(t.Send(r), typ+" for an unknown session")
		}
	}
	// gone ends a session with end (Close-Session or Cancel-Session) after a
	// partial or complete upload, then sends typ for it: 0x8020001F.
	gone := func(end string, complete bool, typ string) func(*T) {
		return func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.create(name)
			n := int64(1000)
			if complete {
				n = 2000
			}
			t.sendRange(name, sid, data, 0, n, 1000)
			t.wantOK(t.Send(t.pkt(name, end, sid)), end)
			r := t.pkt(name, typ, sid)
			if typ == tFrag {
				r = t.fragReq(name, sid, data, n-1000, n-1)
			}
			t.wantNotFound(t.Send(r), typ+" after "+end)
		}
	}
	badID := func(sid string) func(*T) {
		return func(t *T) {
			name := t.Name()
			r := t.fragReq(name, sid, t.Payload(100), 0, 99)
			if sid == "" {
				r = t.pkt(name, tFrag, "", Header{wire.HdrContentRange, "bytes 0-99/100"})
				r.Body = t.Payload(100)
			}
			resp := t.Send(r)
			if c, _ := errorCode(resp); !(resp.Status == 500 && c == wire.BGESessionNotFound) && !(resp.Status == 400 && c == wire.EInvalidArg) {
				t.Failf("Fragment with session id %q: want 500 with 0x8020001F or 400 with 0x80070057, got %s", sid, statusOf(resp))
			}
		}
	}
	return []Probe{
		probe(g, "new-connection", "§14", "a session survives its TCP connection: Fragments and Close-Session on new connections", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			c1 := t.conn()
			sid := t.create(name)
			_ = c1.Close()
			t.Dial()
			t.wantSessionHere(t.frag(name, sid, data, 0, 1499), "Fragment 0-1499 on a new connection", 1500)
			_ = t.conn().Close()
			t.Dial()
			t.wantSessionHere(t.frag(name, sid, data, 1500, 2999), "Fragment 1500-2999 on a third connection", 3000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "parallel-connection", "§14", "a session can be used from a second connection while the first stays open", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			c1 := t.conn()
			sid := t.create(name)
			c2 := t.Dial()
			t.wantSessionHere(t.SendOn(c2, t.fragReq(name, sid, data, 0, 999)), "Fragment 0-999 on connection 2", 1000)
			if c1.Closed() {
				c1 = t.Dial()
			}
			t.wantSessionHere(t.SendOn(c1, t.fragReq(name, sid, data, 1000, 1999)), "Fragment 1000-1999 back on connection 1", 2000)
			t.wantReceived(t.SendOn(t.conn(), t.fragReq(name, sid, data, 2000, 2999)), "Fragment 2000-2999", 200, 3000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "connection-per-packet", "§14", "every packet on its own connection works end to end", func(t *T) {
			name, data := t.Name(), t.Payload(4000)
			fresh := func() { _ = t.conn().Close(); t.Dial() }
			sid := t.create(name)
			for off := int64(0); off < 4000; off += 1000 {
				fresh()
				t.wantSessionHere(t.frag(name, sid, data, off, off+999), fmt.Sprintf("Fragment %d-%d on connection %d", off, off+999, len(t.conns)), off+1000)
			}
			fresh()
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "interleaved", "§8.1", "two sessions interleaved on one connection stay separate", func(t *T) {
			na, nb := t.Name(), t.Name()
			da, db := t.Payload(3000), t.Payload(3000)
			sa, sb := t.create(na), t.create(nb)
			for off := int64(0); off < 3000; off += 1000 {
				t.wantReceived(t.frag(na, sa, da, off, off+999), "session A Fragment", 200, off+1000)
				t.wantReceived(t.frag(nb, sb, db, off, off+999), "session B Fragment", 200, off+1000)
			}
			t.closeOK(na, sa)
			t.closeOK(nb, sb)
			t.expectStored(na, da)
			t.expectStored(nb, db)
		}),
		probe(g, "id-case", "§3.1", "a GUID session id is matched case-insensitively", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.create(name)
			if _, ok := wire.CanonicalSessionID(sid); !ok {
				t.NA("the server's session id %q is not a GUID ([W] allows opaque ids, compared exactly)", sid)
			}
			flipped := flipCase(sid)
			if flipped == sid {
				t.NA("session id %q has no letters", sid)
			}
			t.wantReceived(t.frag(name, flipped, data, 0, 999), "Fragment with the id as "+flipped, 200, 1000)
			t.wantReceived(t.frag(name, sid, data, 1000, 1999), "Fragment with the id as issued", 200, 2000)
			t.wantOK(t.Send(t.pkt(name, tClose, flipped)), "Close-Session with the id as "+flipped)
			t.expectStored(name, data)
		}),
		probe(g, "unknown-fragment", "§6.3", "a Fragment for an unknown session gets 500 with 0x8020001F", unknown(tFrag)),
		probe(g, "unknown-close", "§6.3", "Close-Session for an unknown session gets 500 with 0x8020001F", unknown(tClose)),
		probe(g, "unknown-cancel", "§6.3", "Cancel-Session for an unknown session gets 500 with 0x8020001F", unknown(tCancel)),
		probe(g, "missing-id", "§4.3", "a Fragment without BITS-Session-Id gets 500 with 0x8020001F or 400", badID("")),
		probe(g, "malformed-id", "§3.1", "a Fragment with a session id no server issued (not a GUID) gets 500 with 0x8020001F or 400", badID("no-such-session")),
		probe(g, "fragment-after-cancel", "§4.5", "a Fragment after Cancel-Session gets 500 with 0x8020001F", gone(tCancel, false, tFrag)),
		probe(g, "close-after-cancel", "§4.5", "Close-Session after Cancel-Session gets 500 with 0x8020001F", gone(tCancel, false, tClose)),
		probe(g, "fragment-after-close", "§4.4", "a Fragment after Close-Session gets 500 with 0x8020001F", gone(tClose, true, tFrag)),
		probe(g, "close-twice", "§4.4", "a second Close-Session gets 500 with 0x8020001F", gone(tClose, true, tClose)),
		probe(g, "cancel-discards", "§4.5", "Cancel-Session of a partial upload stores and notifies nothing", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.create(name)
			t.sendRange(name, sid, data, 0, 1000, 1000)
			t.wantOK(t.Send(t.pkt(name, tCancel, sid)), "Cancel-Session")
			t.expectNothingStored(name)
		}),
		probe(g, "early-close", "§4.4", "Close-Session before the last byte is acknowledged, commits nothing and ends the session", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.create(name)
			t.sendRange(name, sid, data, 0, 1000, 1000)
			t.closeOK(name, sid)
			t.expectNothingStored(name)
			t.wantNotFound(t.frag(name, sid, data, 1000, 1999), "Fragment after the early Close-Session")
		}),
	}
}

// wantSessionHere is wantReceived for a packet sent on another connection
// than the one that created the session; an unknown-session answer gets a
// hint, since that is what a farm of local-storage nodes without BITSHostId
// answers when the connection lands on another node.
func (t *T) wantSessionHere(r *Response, what string, off int64) {
	if c, _ := errorCode(r); r.Status == 500 && c == wire.BGESessionNotFound {
		t.Failf("%s: the session is unknown here (500 0x8020001F): the server ties sessions to TCP connections, "+
			"or it is a farm whose nodes keep sessions on local disks without BITSHostId or shared storage (§1, §12.4)", what)
	}
	t.wantReceived(r, what, 200, off)
}

// flipCase swaps the case of every letter (a GUID's hex digits).
func flipCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}
