package sim

import (
	"context"
	"time"
)

// Clock is the only source of protocol time in bitsim. Every protocol timer
// (client retry delay, no-progress timeout, host-id fallback, request and
// response timeouts, the server's session timeout, cleanup and notification
// timeout, the app's latency) is taken from a Clock, so a scenario can run on
// real time, on scaled time, or on virtual time that jumps over idle periods.
//
// Timers come in two flavours, and the distinction matters to the virtual
// clock's idle detector:
//
//   - waits (Sleep, NewTimer, AfterFunc): something is scheduled to happen
//     later; when every actor is waiting, the virtual clock may jump straight
//     to the earliest wait.
//   - guards (WithTimeout): a deadline on work that is in flight (an HTTP
//     request, a notification POST). A guard only fires by a jump after the
//     whole harness has been quiet for a long real-time period, because the
//     guarded work may still be moving bytes.
//
// All methods are safe for concurrent use.
type Clock interface {
	// Now returns the current protocol time.
	Now() time.Time
	// Sleep waits d of protocol time. It returns ctx.Err() if ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
	// NewTimer returns a one-shot timer that fires after d of protocol time.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d of protocol time.
	AfterFunc(d time.Duration, f func()) Timer
	// WithTimeout returns a context that is cancelled after d of protocol time
	// (a guard on in-flight work), or when parent ends, or when cancel is called.
	WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// Timer is a one-shot timer created by a Clock.
type Timer interface {
	// C delivers the protocol time at which the timer fired. It is nil for
	// timers made by AfterFunc.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it stopped it.
	Stop() bool
}

// Since is a convenience for c.Now().Sub(t).
func Since(c Clock, t time.Time) time.Duration { return c.Now().Sub(t) }

// Real is the wall clock: protocol time is wall time.
type Real struct{}

var _ Clock = Real{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (Real) Sleep(ctx context.Context, d time.Duration) error { return sleepReal(ctx, d) }

// NewTimer implements Clock.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// AfterFunc implements Clock.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

// WithTimeout implements Clock.
func (Real) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d)
}

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

func sleepReal(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Scaled is a clock whose protocol time runs Factor times faster than wall
// time, starting at Epoch. Every timer, guards included, is compressed by the
// same factor, so keep the factor low enough that compressed request timeouts
// still exceed real loopback latencies (a factor of 1000 turns the client's
// 2-minute request timeout into 120 ms).
type Scaled struct {
	factor    float64
	epoch     time.Time
	realStart time.Time
}

var _ Clock = (*Scaled)(nil)

// NewScaled returns a clock starting at epoch (now, if zero) that runs factor
// times faster than wall time. A factor below 1 is treated as 1.
func NewScaled(factor float64, epoch time.Time) *Scaled {
	if factor < 1 {
		factor = 1
	}
	now := time.Now()
	if epoch.IsZero() {
		epoch = now
	}
	return &Scaled{factor: factor, epoch: epoch, realStart: now}
}

// Factor returns the compression factor.
func (s *Scaled) Factor() float64 { return s.factor }

// Now implements Clock.
func (s *Scaled) Now() time.Time {
	return s.epoch.Add(time.Duration(float64(time.Since(s.realStart)) * s.factor))
}

func (s *Scaled) real(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	r := time.Duration(float64(d) / s.factor)
	if r <= 0 {
		r = 1
	}
	return r
}

// Sleep implements Clock.
func (s *Scaled) Sleep(ctx context.Context, d time.Duration) error { return sleepReal(ctx, s.real(d)) }

// NewTimer implements Clock.
func (s *Scaled) NewTimer(d time.Duration) Timer {
	st := &scaledTimer{c: make(chan time.Time, 1)}
	st.t = time.AfterFunc(s.real(d), func() {
		select {
		case st.c <- s.Now():
		default:
		}
	})
	return st
}

// AfterFunc implements Clock.
func (s *Scaled) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(s.real(d), f)}
}

// WithTimeout implements Clock.
func (s *Scaled) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, s.real(d))
}

type scaledTimer struct {
	t *time.Timer
	c chan time.Time
}

func (s *scaledTimer) C() <-chan time.Time { return s.c }
func (s *scaledTimer) Stop() bool          { return s.t.Stop() }
