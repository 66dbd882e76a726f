package node

import (
	"context"
	"sync"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// slowDisk holds SlowDisk's setting: how much protocol time each session
// write takes extra, and for how many more writes.
type slowDisk struct {
	mu    sync.Mutex
	delay time.Duration
	left  int // writes still slowed; -1: all
}

// SlowDisk makes the node's next times Fragment writes (0: every one) take
// d of extra protocol time each: the handler waits d on the node's clock
// after reading the headers and before writing the body, as a saturated
// disk would make it. d = 0 restores normal writes. The setting belongs to
// this Node instance: a restarted node writes normally.
func (n *Node) SlowDisk(d time.Duration, times int) {
	n.disk.mu.Lock()
	defer n.disk.mu.Unlock()
	n.disk.delay, n.disk.left = d, times
	if times <= 0 {
		n.disk.left = -1
	}
}

// wait takes one write's extra time, if any. It returns early when ctx
// (the node's lifetime) ends.
func (s *slowDisk) wait(ctx context.Context, clock sim.Clock) {
	s.mu.Lock()
	d := s.delay
	if d > 0 && s.left > 0 {
		s.left--
		if s.left == 0 {
			s.delay = 0
		}
	}
	s.mu.Unlock()
	if d > 0 {
		_ = clock.Sleep(ctx, d)
	}
}
