package sim

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Poster delivers wake-up messages in a canonical order (memnet.Scheduler).
type Poster interface {
	Post(name string, seq uint64, fn func())
}

// Bubble is the clock of the exact tier: it runs inside a testing/synctest
// bubble, whose fake time only moves when every goroutine of the bubble is
// durably blocked, shifted so that it starts at Epoch. Every timer's
// expiry is a message through the Poster (the network's scheduler), so
// that timers falling due at the same instant wake their goroutines one at
// a time, in the order the timers were created, never concurrently; a
// timer's callback runs before time can move again.
//
// Create it inside the bubble.
type Bubble struct {
	post   Poster
	start  time.Time // bubble time at creation
	epoch  time.Time
	timers atomic.Uint64
}

var _ Clock = (*Bubble)(nil)

// NewBubble returns a clock starting at epoch (Epoch if zero) whose timer
// wake-ups p delivers (nil: they wake at once, concurrently).
func NewBubble(p Poster, epoch time.Time) *Bubble {
	if epoch.IsZero() {
		epoch = Epoch
	}
	return &Bubble{post: p, start: time.Now(), epoch: epoch}
}

// Now implements Clock.
func (b *Bubble) Now() time.Time { return b.epoch.Add(time.Since(b.start)) }

// wake runs fn as a scheduler message named after the timer's creation
// order, or at once without a poster.
func (b *Bubble) wake(seq uint64, fn func()) {
	if b.post == nil {
		fn()
		return
	}
	b.post.Post("~timer", seq, fn)
}

// Sleep implements Clock.
func (b *Bubble) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := b.NewTimer(d)
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

type bubbleTimer struct {
	mu    sync.Mutex
	t     *time.Timer
	state int // 0 pending, 1 posted, 2 delivered or stopped
	c     chan time.Time
}

func (t *bubbleTimer) C() <-chan time.Time { return t.c }

func (t *bubbleTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case 0:
		t.state = 2
		t.t.Stop()
		return true
	case 1:
		t.state = 2
		return true
	}
	return false
}

func (b *Bubble) newTimer(d time.Duration, c chan time.Time, fn func()) *bubbleTimer {
	seq := b.timers.Add(1)
	bt := &bubbleTimer{c: c}
	bt.mu.Lock()
	defer bt.mu.Unlock()
	bt.t = time.AfterFunc(max(d, 0), func() {
		bt.mu.Lock()
		if bt.state != 0 {
			bt.mu.Unlock()
			return
		}
		bt.state = 1
		bt.mu.Unlock()
		b.wake(seq, func() {
			bt.mu.Lock()
			if bt.state != 1 {
				bt.mu.Unlock()
				return
			}
			bt.state = 2
			bt.mu.Unlock()
			if c != nil {
				select {
				case c <- b.Now():
				default:
				}
			}
			if fn != nil {
				go fn()
			}
		})
	})
	return bt
}

// NewTimer implements Clock.
func (b *Bubble) NewTimer(d time.Duration) Timer {
	return b.newTimer(d, make(chan time.Time, 1), nil)
}

// AfterFunc implements Clock.
func (b *Bubble) AfterFunc(d time.Duration, f func()) Timer { return b.newTimer(d, nil, f) }

// WithTimeout implements Clock.
func (b *Bubble) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	g := &guardCtx{Context: parent, done: make(chan struct{})}
	stopParent := context.AfterFunc(parent, func() { g.finish(parent.Err()) })
	t := b.newTimer(d, nil, func() { g.finish(context.DeadlineExceeded) })
	return g, func() {
		stopParent()
		t.Stop()
		g.finish(context.Canceled)
	}
}
