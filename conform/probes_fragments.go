package conform

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bitsim/bitsim/wire"
)

// fragmentProbes: the Fragment grammar and the server's offset rule (§7).
func fragmentProbes() []Probe {
	g := GroupFragments
	// badRange sends one Fragment with the given Content-Range and body
	// (after a good first fragment 0-99 of a 400-byte file), wants 400 with
	// 0x80070057, then checks that the session still expects offset 100.
	badRange := func(cr string, body []byte, length *string) func(*T) {
		return func(t *T) {
			name, data := t.Name(), t.Payload(400)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 99), "Fragment 0-99", 200, 100)
			r := t.pkt(name, tFrag, sid)
			if cr != "" {
				r.Headers = append(r.Headers, Header{wire.HdrContentRange, cr})
			}
			r.Body, r.Length = body, length
			t.wantBadRequest(t.Send(r), "Fragment with Content-Range "+quote(cr)+" and a "+itoa(int64(len(body)))+"-byte body")
			t.wantReceived(t.frag(name, sid, data, 100, 399), "Fragment 100-399 after the rejected one", 200, 400)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}
	}
	return []Probe{
		probe(g, "single", "§7.2", "a whole file in one Fragment is acknowledged with its size and stored", func(t *T) {
			name, data := t.Name(), t.Payload(10000)
			sid := t.upload(name, data, 10000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "contiguous", "§7.2", "contiguous fragments are each acknowledged with the next offset, and the file is stored", func(t *T) {
			name, data := t.Name(), t.Payload(70000)
			sid := t.upload(name, data, 16384)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "one-byte-file", "§7.1", "a one-byte file (bytes 0-0/1) is stored", func(t *T) {
			name, data := t.Name(), t.Payload(1)
			sid := t.upload(name, data, 1)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "overlap", "§7.2", "a retried fragment overlapping stored data is accepted (K1 lenient) or answered 416 (K1 strict), and the file is intact", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 999), "Fragment 0-999", 200, 1000)
			next := t.overlapAck(t.frag(name, sid, data, 500, 1999), "overlapping Fragment 500-1999", 2000, 1000)
			t.sendAll(name, sid, data, next, 1000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "overlap-keeps-stored-bytes", "§7.2", "an overlapping fragment whose overlap differs never overwrites stored bytes", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 999), "Fragment 0-999", 200, 1000)
			other := append([]byte(nil), data...)
			for i := 500; i < 1000; i++ {
				other[i] ^= 0xA5
			}
			next := t.overlapAck(t.frag(name, sid, other, 500, 1999), "overlapping Fragment 500-1999 (bytes 500-999 changed)", 2000, 1000)
			t.sendAll(name, sid, data, next, 1000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "duplicate", "§7.2", "a fragment wholly below the received offset leaves it unchanged (200 or 416 with it)", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			sid := t.create(name)
			t.sendRange(name, sid, data, 0, 2000, 1000)
			t.overlapAck(t.frag(name, sid, data, 0, 999), "duplicate Fragment 0-999", 2000, 2000)
			t.sendAll(name, sid, data, 2000, 1000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "gap", "§7.2", "a fragment starting beyond the received offset gets 416 with that offset", func(t *T) {
			name, data := t.Name(), t.Payload(4000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 999), "Fragment 0-999", 200, 1000)
			t.wantReceived(t.frag(name, sid, data, 2000, 2999), "Fragment 2000-2999 after a gap", 416, 1000)
		}),
		probe(g, "gap-then-resume", "§7.4", "after a 416 the upload resumes at the reported offset and the file is intact", func(t *T) {
			name, data := t.Name(), t.Payload(4000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 999), "Fragment 0-999", 200, 1000)
			resp := t.frag(name, sid, data, 2000, 2999)
			if resp.Status != http.StatusRequestedRangeNotSatisfiable {
				t.Failf("Fragment 2000-2999 after a gap: want 416, got %s", statusOf(resp))
			}
			t.sendAll(name, sid, data, 1000, 1000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "gap-final", "§7.3", "a final fragment after a gap does not complete the upload: 416, nothing stored or notified", func(t *T) {
			name, data := t.Name(), t.Payload(4000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 999), "Fragment 0-999", 200, 1000)
			t.wantReceived(t.frag(name, sid, data, 3000, 3999), "final Fragment 3000-3999 after a gap", 416, 1000)
			t.closeOK(name, sid) // early close: the partial file is discarded (§4.4)
			t.expectNothingStored(name)
		}),
		probe(g, "final-retry", "§7.3", "the final fragment sent again after completion gets 200 with the file size", func(t *T) {
			name, data := t.Name(), t.Payload(2000)
			sid := t.upload(name, data, 1000)
			t.wantReceived(t.frag(name, sid, data, 1000, 1999), "final Fragment 1000-1999 again", 200, 2000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "length-short", "§7.1", "Content-Length below the range length gets 400 and stores nothing",
			badRange("bytes 100-199/400", make([]byte, 50), nil)),
		probe(g, "length-long", "§7.1", "Content-Length above the range length gets 400 and stores nothing",
			badRange("bytes 100-199/400", make([]byte, 150), nil)),
		probe(g, "zero-length", "§7.1", "an empty Fragment (Content-Length: 0) gets 400",
			badRange("bytes 100-100/400", nil, nil)),
		probe(g, "beyond-total", "§7.1", "a range ending beyond the total (bytes 100-499/400) gets 400",
			badRange("bytes 100-499/400", make([]byte, 400), nil)),
		probe(g, "last-equals-total", "§7.1", "a range whose last byte equals the total (bytes 100-400/400) gets 400",
			badRange("bytes 100-400/400", make([]byte, 301), nil)),
		probe(g, "first-after-last", "§7.1", "a range with first > last (bytes 199-100/400) gets 400",
			badRange("bytes 199-100/400", make([]byte, 100), nil)),
		probe(g, "missing-range", "§4.3", "a Fragment without Content-Range gets 400",
			badRange("", make([]byte, 100), nil)),
		probe(g, "range-without-unit", "§7.1", "a Content-Range without the bytes unit gets 400",
			badRange("100-199/400", make([]byte, 100), nil)),
		probe(g, "range-unknown-total", "§7.1", "a Content-Range with total * gets 400",
			badRange("bytes 100-199/*", make([]byte, 100), nil)),
		probe(g, "total-changed", "§7.1", "a fragment whose total differs from the session's gets 400",
			badRange("bytes 100-199/500", make([]byte, 100), nil)),
		probe(g, "unit-case", "§7.1", "the range unit is matched case-insensitively (Bytes)", func(t *T) {
			name, data := t.Name(), t.Payload(400)
			sid := t.create(name)
			r := t.fragReq(name, sid, data, 0, 399)
			r.Headers[len(r.Headers)-1].Value = "Bytes 0-399/400"
			t.wantReceived(t.Send(r), "Fragment with Content-Range: Bytes 0-399/400", 200, 400)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "identity-encoding", "§3.1", "Content-Encoding: identity is accepted", func(t *T) {
			name, data := t.Name(), t.Payload(400)
			sid := t.create(name)
			r := t.fragReq(name, sid, data, 0, 399)
			r.Headers = append(r.Headers, Header{wire.HdrContentEncoding, "identity"})
			t.wantReceived(t.Send(r), "Fragment with Content-Encoding: identity", 200, 400)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
		probe(g, "unknown-encoding", "§2", "a Fragment with Content-Encoding: gzip is refused with a 4xx, nothing stored", func(t *T) {
			name, data := t.Name(), t.Payload(400)
			sid := t.create(name)
			r := t.fragReq(name, sid, data, 0, 399)
			r.Headers = append(r.Headers, Header{wire.HdrContentEncoding, "gzip"})
			resp := t.Send(r)
			if resp.Status < 400 || resp.Status > 499 {
				t.Failf("Fragment with Content-Encoding: gzip: want a 4xx, got %s", statusOf(resp))
			}
			t.wantReceived(t.frag(name, sid, data, 0, 399), "Fragment 0-399 without encoding", 200, 400)
		}),
		probe(g, "cut-body", "§7.2", "a fragment cut mid-body keeps at most the bytes that arrived; the upload resumes and the file is intact", func(t *T) {
			name, data := t.Name(), t.Payload(20000)
			sid := t.create(name)
			t.wantReceived(t.frag(name, sid, data, 0, 4999), "Fragment 0-4999", 200, 5000)
			t.cut(t.fragReq(name, sid, data, 5000, 14999), 5000)
			t.Dial()
			resp := t.frag(name, sid, data, 19999, 19999) // a gap: the 416 reports the offset
			if resp.Status != http.StatusRequestedRangeNotSatisfiable {
				t.Failf("Fragment 19999-19999 after the cut: want 416 with the received offset, got %s", statusOf(resp))
			}
			r, ok := received(resp)
			if !ok || r < 5000 || r > 10000 {
				t.Failf("after the cut the server reports offset %d (valid %v), want 5000..10000", r, ok)
			}
			t.Notef("server kept %d of the 5000 bytes that arrived", r-5000)
			t.sendAll(name, sid, data, r, 8000)
			t.closeOK(name, sid)
			t.expectStored(name, data)
		}),
	}
}

// overlapAck accepts the two K1 answers to a fragment that starts below the
// received offset: 200 with lenient (the offset after the fragment), or 416
// with strict (the unchanged offset). It returns the offset to go on from.
func (t *T) overlapAck(r *Response, what string, lenient, strict int64) int64 {
	got, ok := received(r)
	switch {
	case r.Status == http.StatusOK && ok && got == lenient:
		t.Notef("K1 lenient: %s answered 200 with %d", what, got)
		return got
	case r.Status == http.StatusRequestedRangeNotSatisfiable && ok && got == strict:
		t.Notef("K1 strict: %s answered 416 with %d", what, got)
		return got
	}
	t.Failf("%s: want 200 with %s %d (K1 lenient) or 416 with %d (K1 strict), got %s (offset %d, valid %v)",
		what, wire.HdrReceivedContentRange, lenient, strict, statusOf(r), got, ok)
	return 0
}

// cut sends req with only the first n bytes of its body, then half-closes
// the connection and waits until the server has answered or closed it, so
// that the server is done with the cut request before the probe goes on.
func (t *T) cut(req Request, n int) {
	c := t.conn()
	w := req.wire(c.t.host)
	part := w[:len(w)-len(req.Body)+n]
	e := Exchange{Conn: c.ID, Request: abbreviate(part)}
	if _, err := c.nc.Write(part); err != nil {
		t.Failf("writing the cut fragment: %v", err)
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.nc.SetDeadline(time.Now().Add(t.s.cfg.Timeout))
	c.rec.reset()
	_, err := io.Copy(io.Discard, c.br) // the server's answer, if any, up to its close
	e.Response = abbreviate(c.rec.bytes())
	e.Err = fmt.Sprintf("conform sent %d of %d body bytes, then closed its side", n, len(req.Body))
	if err != nil {
		e.Err += "; " + err.Error()
	}
	t.ex = append(t.ex, e)
	_ = c.Close()
}
