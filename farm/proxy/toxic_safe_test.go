package proxy

import (
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

func TestLimitDataSafe(t *testing.T) {
	checkNoLeaks(t)
	testLimit(t, "bits_limit_data_safe")
}

func TestResetSafe(t *testing.T) {
	const timeout = 20 * time.Millisecond
	for _, dir := range directions {
		t.Run(string(dir), func(t *testing.T) {
			checkNoLeaks(t)
			up := newUpstream(t)
			_, l := newLink(t, up.addr, WithRST())
			c := newClient(t)
			addToxic(t, l, "bits_reset_safe", dir, map[string]any{"timeout": timeout.Milliseconds()})
			start := time.Now()
			_, err := post(c, l.Addr(), "", "", make([]byte, 100))
			if !isReset(err) {
				t.Errorf("err = %v, want ECONNRESET", err)
			}
			if d := time.Since(start); d < timeout {
				t.Errorf("reset after %v, want >= %v", d, timeout)
			}
			if dir == sim.Downstream {
				if h := up.nextHit(t); h.err != nil || h.n != 100 {
					t.Errorf("server did not process the request: %+v", h)
				}
			} else {
				up.noHit(t)
			}
		})
	}
}

func TestResetSafeWithoutRSTCloses(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	addToxic(t, l, "bits_reset_safe", sim.Downstream, nil)
	_, err := post(c, l.Addr(), "", "", nil)
	if err == nil || isReset(err) {
		t.Errorf("err = %v, want a plain close (EOF)", err)
	}
	up.nextHit(t)
}
