package proxy

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// sendRanges posts one 1000-byte request per range end over c, in order,
// and returns the error of each.
func sendRanges(c *http.Client, addr string, ends ...string) []error {
	errs := make([]error, len(ends))
	for i, end := range ends {
		_, errs[i] = post(c, addr, "Fragment", end, make([]byte, 1000))
	}
	return errs
}

// wantErrs checks which requests failed.
func wantErrs(t *testing.T, errs []error, fail ...bool) {
	t.Helper()
	for i, err := range errs {
		if (err != nil) != fail[i] {
			t.Errorf("request %d: err = %v, want failure %v", i+1, err, fail[i])
		}
	}
}

// wantProcessed checks that the upstream processed n complete requests.
func wantProcessed(t *testing.T, up *upstream, n int) {
	t.Helper()
	for i := range n {
		if h := up.nextHit(t); h.err != nil || h.n != 1000 {
			t.Errorf("request %d: server saw %+v", i+1, h)
		}
	}
	up.noHit(t)
}

func TestDropAckDropsMatchingAckAfterProcessing(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	var conns connCounter
	c.Transport.(*http.Transport).DialContext = conns.dial
	// The wire says "BITS-Received-Content-Range: 3000": case differs.
	if err := l.AddToxic(sim.Toxic{Type: "bits_drop_ack", Attributes: map[string]any{
		"pattern": "bits-received-content-range: 3000", "times": 1,
	}}); err != nil {
		t.Fatal(err)
	}

	errs := sendRanges(c, l.Addr(), "1000", "2000", "3000")
	wantErrs(t, errs, false, false, true)
	wantProcessed(t, up, 3) // the third was processed, its Ack lost
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for three keep-alive requests, want 1", n)
	}

	// The client's retry goes through on a new connection: times is spent.
	wantErrs(t, sendRanges(c, l.Addr(), "3000"), false)
	wantProcessed(t, up, 1)
	if n := conns.n.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestDropAckSkipAndTimes(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	if err := l.AddToxic(sim.Toxic{Type: "bits_drop_ack", Attributes: map[string]any{
		"pattern": "BITS-Received-Content-Range: 3000", "skip": 1, "times": 1,
	}}); err != nil {
		t.Fatal(err)
	}
	// First match skipped, second dropped, third over the limit.
	errs := sendRanges(c, l.Addr(), "3000", "1000", "3000", "3000", "2000")
	wantErrs(t, errs, false, false, true, false, false)
	wantProcessed(t, up, 5)
}

func TestDropAckDefaultPatternDropsEveryAck(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	if err := l.AddToxic(sim.Toxic{Type: "bits_drop_ack"}); err != nil {
		t.Fatal(err)
	}
	wantErrs(t, sendRanges(c, l.Addr(), "1", "2"), true, true)
	wantProcessed(t, up, 2)
}

func TestDropAckPatternSplitAcrossChunks(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	// The slicer, first in the chain, cuts responses into 3-byte chunks, so
	// the 33-byte pattern always spans many of them.
	addToxic(t, l, "slicer", sim.Downstream, map[string]any{"average_size": 3, "size_variation": 0, "delay": 0})
	addToxic(t, l, "bits_drop_ack", sim.Downstream, map[string]any{"pattern": "BITS-Received-Content-Range: 3000"})

	errs := sendRanges(c, l.Addr(), "1000", "2000", "3000")
	wantErrs(t, errs, false, false, true)
	wantProcessed(t, up, 3)
}

func TestDropAckWithRSTResets(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr, WithRST())
	c := newClient(t)
	addToxic(t, l, "bits_drop_ack", sim.Downstream, map[string]any{"pattern": "BITS-Packet-Type: Ack"})
	_, err := post(c, l.Addr(), "Fragment", "1000", make([]byte, 1000))
	if !isReset(err) {
		t.Errorf("err = %v, want ECONNRESET", err)
	}
	wantProcessed(t, up, 1)
	if got := l.Toxics(); len(got) != 1 || got[0].Type != "bits_drop_ack" {
		t.Errorf("Toxics() = %+v, want only bits_drop_ack (the RST toxic is hidden)", got)
	}
}

// A toxic added, updated and removed while keep-alive connections are open
// does not corrupt or stall them.
func TestDropAckLifecycleOnLiveConnection(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	wantErrs(t, sendRanges(c, l.Addr(), "1000"), false)
	addToxic(t, l, "bits_drop_ack", sim.Downstream, map[string]any{"pattern": "no such bytes"})
	wantErrs(t, sendRanges(c, l.Addr(), "2000"), false)
	if err := l.UpdateToxic(sim.Toxic{Type: "bits_drop_ack", Attributes: map[string]any{"pattern": "nothing either"}}); err != nil {
		t.Fatal(err)
	}
	wantErrs(t, sendRanges(c, l.Addr(), "3000"), false)
	if err := l.RemoveToxic("bits_drop_ack_downstream"); err != nil {
		t.Fatal(err)
	}
	wantErrs(t, sendRanges(c, l.Addr(), "4000"), false)
	wantProcessed(t, up, 4)
	if got := l.Toxics(); len(got) != 0 {
		t.Errorf("Toxics() = %+v, want none", got)
	}
	if !strings.Contains(l.Name(), "web") {
		t.Errorf("Name() = %q", l.Name())
	}
}

// TestDropAckHoldKeepsTheConnectionOpen: in hold mode the matching
// response is swallowed but the connection stays open, so the client's
// own deadline ends the request (an app slower than the notification
// time-out), not an EOF; the next request passes.
func TestDropAckHoldKeepsTheConnectionOpen(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	if err := l.AddToxic(sim.Toxic{Type: "bits_drop_ack", Attributes: map[string]any{
		"pattern": "HTTP/1.1 ", "times": 1, "hold": true,
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+l.Addr()+"/sink", bytes.NewReader(make([]byte, 1000)))
	if resp, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("held answer: err = %v, want the client's deadline (the connection stays open)", err)
	}
	wantErrs(t, sendRanges(c, l.Addr(), "1000"), false)
	wantProcessed(t, up, 2) // the held request was processed, then the next one
}
