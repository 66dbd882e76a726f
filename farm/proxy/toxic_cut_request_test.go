package proxy

import (
	"errors"
	"io"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

func TestCutRequestForwardsExactlyNBytes(t *testing.T) {
	checkNoLeaks(t)
	const n = 1234
	addr, conns := newRawUpstream(t, 0)
	_, l := newLink(t, addr)
	addToxic(t, l, "bits_cut_request", sim.Upstream, map[string]any{"bytes": n})
	c := dial(t, l.Addr())
	done := writeAll(c, 100_000)
	if r := nextRaw(t, conns); r.n != n {
		t.Errorf("server got %d bytes then EOF, want %d", r.n, n)
	}
	// The client sees the close too.
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Logf("client read: %v", err)
	}
	c.Close()
	<-done
}

func TestCutRequestCutsMatchingFragmentBody(t *testing.T) {
	checkNoLeaks(t)
	const n = 100
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	addToxic(t, l, "bits_cut_request", sim.Upstream, map[string]any{
		"pattern": "bits-packet-type: fragment", "body": true, "bytes": n, "times": 1,
	})

	// Same connection: a Create-Session passes, the Fragment is cut after
	// n body bytes.
	if _, err := post(c, l.Addr(), "Create-Session", "", make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	if h := up.nextHit(t); h.packet != "Create-Session" || h.n != 50 || h.err != nil {
		t.Errorf("create-session: server saw %+v", h)
	}
	if _, err := post(c, l.Addr(), "Fragment", "", make([]byte, 1000)); err == nil {
		t.Error("cut fragment: request succeeded")
	}
	h := up.nextHit(t)
	if h.packet != "Fragment" || h.n != n || !errors.Is(h.err, io.ErrUnexpectedEOF) {
		t.Errorf("cut fragment: server saw %+v, want %d body bytes then unexpected EOF", h, n)
	}

	// times is spent: the retry goes through.
	if _, err := post(c, l.Addr(), "Fragment", "", make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if h := up.nextHit(t); h.n != 1000 || h.err != nil {
		t.Errorf("retry: server saw %+v", h)
	}
}

func TestCutRequestWithoutMatchPassesThrough(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	addToxic(t, l, "bits_cut_request", sim.Upstream, map[string]any{"pattern": "Fragment", "bytes": 0})
	if _, err := post(c, l.Addr(), "Ping", "", make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if h := up.nextHit(t); h.n != 10 || h.err != nil {
		t.Errorf("server saw %+v", h)
	}
}
