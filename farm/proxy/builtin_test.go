package proxy

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// Each built-in toxic, added through Link.AddToxic in each direction, has
// its documented effect. Durations are lower bounds only.

var directions = []sim.Direction{sim.Upstream, sim.Downstream}

func addToxic(t *testing.T, l *Link, typ string, dir sim.Direction, attrs map[string]any) {
	t.Helper()
	if err := l.AddToxic(sim.Toxic{Type: typ, Stream: dir, Attributes: attrs}); err != nil {
		t.Fatal(err)
	}
}

func TestBuiltinLatency(t *testing.T) {
	const latency = 30 * time.Millisecond
	for _, dir := range directions {
		t.Run(string(dir), func(t *testing.T) {
			up := newUpstream(t)
			_, l := newLink(t, up.addr)
			c := newClient(t)
			addToxic(t, l, "latency", dir, map[string]any{"latency": latency.Milliseconds()})
			start := time.Now()
			if _, err := get(c, l.Addr(), 10); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < latency {
				t.Errorf("request took %v, want >= %v", d, latency)
			}
		})
	}
}

func TestBuiltinBandwidth(t *testing.T) {
	const size, rate = 40_000, 500 // bytes, KB/s: >= 80 ms
	const want = size * time.Millisecond / rate
	for _, dir := range directions {
		t.Run(string(dir), func(t *testing.T) {
			up := newUpstream(t)
			_, l := newLink(t, up.addr)
			c := newClient(t)
			addToxic(t, l, "bandwidth", dir, map[string]any{"rate": rate})
			start := time.Now()
			var err error
			if dir == sim.Upstream {
				_, err = post(c, l.Addr(), "", "", make([]byte, size))
			} else {
				_, err = get(c, l.Addr(), size)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < want*9/10 {
				t.Errorf("%d bytes at %d KB/s took %v, want >= %v", size, rate, d, want)
			}
		})
	}
}

func TestBuiltinSlicer(t *testing.T) {
	// 4000 bytes in slices of at most 500 with 5 ms after each: >= 40 ms.
	const size = 4000
	const want = 40 * time.Millisecond
	attrs := map[string]any{"average_size": 500, "size_variation": 0, "delay": 5000}
	for _, dir := range directions {
		t.Run(string(dir), func(t *testing.T) {
			up := newUpstream(t)
			_, l := newLink(t, up.addr)
			c := newClient(t)
			addToxic(t, l, "slicer", dir, attrs)
			start := time.Now()
			if dir == sim.Upstream {
				if _, err := post(c, l.Addr(), "", "", make([]byte, size)); err != nil {
					t.Fatal(err)
				}
				if h := up.nextHit(t); h.n != size || h.err != nil {
					t.Errorf("upstream read %d bytes, err %v; want %d", h.n, h.err, size)
				}
			} else {
				n, err := get(c, l.Addr(), size)
				if err != nil || n != size {
					t.Fatalf("got %d bytes, err %v; want %d", n, err, size)
				}
			}
			if d := time.Since(start); d < want {
				t.Errorf("sliced transfer took %v, want >= %v", d, want)
			}
		})
	}
}

func TestBuiltinResetPeer(t *testing.T) {
	t.Run("upstream", func(t *testing.T) {
		up := newUpstream(t)
		_, l := newLink(t, up.addr)
		c := newClient(t)
		addToxic(t, l, "reset_peer", sim.Upstream, map[string]any{"timeout": 0})
		_, err := post(c, l.Addr(), "", "", []byte("hello"))
		if !isReset(err) {
			t.Fatalf("err = %v, want ECONNRESET", err)
		}
		up.noHit(t)
	})
	t.Run("downstream", func(t *testing.T) {
		up := newUpstream(t)
		_, l := newLink(t, up.addr)
		c := newClient(t)
		addToxic(t, l, "reset_peer", sim.Downstream, map[string]any{"timeout": 0})
		_, err := post(c, l.Addr(), "", "", []byte("hello"))
		if !isReset(err) {
			t.Fatalf("err = %v, want ECONNRESET", err)
		}
		if h := up.nextHit(t); h.err != nil || h.n != 5 {
			t.Errorf("server did not process the request: %+v", h)
		}
	})
}

func TestBuiltinTimeout(t *testing.T) {
	const timeout = 60 * time.Millisecond
	for _, dir := range directions {
		t.Run(string(dir), func(t *testing.T) {
			up := newUpstream(t)
			_, l := newLink(t, up.addr)
			c := newClient(t)
			addToxic(t, l, "timeout", dir, map[string]any{"timeout": timeout.Milliseconds()})
			start := time.Now()
			_, err := post(c, l.Addr(), "", "", []byte("hello"))
			if err == nil {
				t.Fatal("request succeeded through a timeout toxic")
			}
			if d := time.Since(start); d < timeout {
				t.Errorf("failed after %v, want >= %v", d, timeout)
			}
			if dir == sim.Downstream {
				if h := up.nextHit(t); h.err != nil {
					t.Errorf("server did not process the request: %+v", h)
				}
			} else {
				up.noHit(t)
			}
		})
	}
}

func TestBuiltinLimitData(t *testing.T) {
	testLimit(t, "limit_data")
}

// testLimit checks that a limit_data-like toxic lets exactly 1000 bytes
// through in each direction, then closes.
func testLimit(t *testing.T, typ string) {
	const limit, size = 1000, 10_000
	t.Run("upstream", func(t *testing.T) {
		addr, conns := newRawUpstream(t, 0)
		_, l := newLink(t, addr)
		addToxic(t, l, typ, sim.Upstream, map[string]any{"bytes": limit})
		c := dial(t, l.Addr())
		done := writeAll(c, size)
		if r := nextRaw(t, conns); r.n != limit {
			t.Errorf("upstream got %d bytes, want %d", r.n, limit)
		}
		c.Close()
		<-done
	})
	t.Run("downstream", func(t *testing.T) {
		addr, _ := newRawUpstream(t, size)
		_, l := newLink(t, addr)
		addToxic(t, l, typ, sim.Downstream, map[string]any{"bytes": limit})
		c := dial(t, l.Addr())
		n, _ := io.Copy(io.Discard, c)
		if n != limit {
			t.Errorf("client got %d bytes, want %d", n, limit)
		}
	})
}

func TestBuiltinSlowClose(t *testing.T) {
	const delay = 50 * time.Millisecond
	attrs := map[string]any{"delay": delay.Milliseconds()}
	t.Run("upstream", func(t *testing.T) {
		// The client's close reaches the server late.
		addr, conns := newRawUpstream(t, 0)
		_, l := newLink(t, addr)
		addToxic(t, l, "slow_close", sim.Upstream, attrs)
		c := dial(t, l.Addr())
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		closed := time.Now()
		c.Close()
		r := nextRaw(t, conns)
		if r.n != 1 {
			t.Errorf("upstream got %d bytes, want 1", r.n)
		}
		if d := r.eof.Sub(closed); d < delay {
			t.Errorf("close reached upstream after %v, want >= %v", d, delay)
		}
	})
	t.Run("downstream", func(t *testing.T) {
		// The server's close reaches the client late.
		addr, conns := newRawUpstream(t, 5)
		_, l := newLink(t, addr)
		addToxic(t, l, "slow_close", sim.Downstream, attrs)
		c := dial(t, l.Addr())
		b, _ := io.ReadAll(c)
		eof := time.Now()
		if !bytes.Equal(b, []byte("rrrrr")) {
			t.Errorf("client got %q", b)
		}
		if d := eof.Sub(nextRaw(t, conns).closed); d < delay {
			t.Errorf("close reached client after %v, want >= %v", d, delay)
		}
	})
}
