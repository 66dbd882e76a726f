package sim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestVirtualAdvanceFiresInDeadlineOrder(t *testing.T) {
	v := NewVirtual(time.Time{})
	var mu sync.Mutex
	var got []time.Duration
	done := make(chan struct{}, 3)
	for _, d := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		v.AfterFunc(d, func() {
			mu.Lock()
			got = append(got, v.Now().Sub(Epoch))
			mu.Unlock()
			done <- struct{}{}
		})
	}
	tm := v.NewTimer(90 * time.Minute)
	v.Advance(150 * time.Minute)
	if at := <-tm.C(); at.Sub(Epoch) != 90*time.Minute {
		t.Errorf("timer fired at %v, want 90m", at.Sub(Epoch))
	}
	<-done
	<-done
	if v.Pending() != 1 {
		t.Fatalf("pending = %d, want 1", v.Pending())
	}
	if now := v.Now().Sub(Epoch); now != 150*time.Minute {
		t.Errorf("now = %v, want 150m", now)
	}
	v.Advance(time.Hour)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("fired %d, want 3", len(got))
	}
}

func TestVirtualStopAndSleepCancel(t *testing.T) {
	v := NewVirtual(time.Time{})
	tm := v.NewTimer(time.Minute)
	if !tm.Stop() {
		t.Fatal("Stop on a pending timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- v.Sleep(ctx, time.Hour) }()
	if err := v.BlockUntil(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v, want Canceled", err)
	}
	if v.Pending() != 0 {
		t.Fatalf("cancelled sleep left %d timers", v.Pending())
	}
}

func TestVirtualGuardReportsDeadlineExceeded(t *testing.T) {
	v := NewVirtual(time.Time{})
	ctx, cancel := v.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a virtual guard must not expose a wall-clock deadline")
	}
	v.Advance(119 * time.Second)
	select {
	case <-ctx.Done():
		t.Fatal("guard fired early")
	default:
	}
	v.Advance(time.Second)
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want DeadlineExceeded", ctx.Err())
	}
}

func TestVirtualGuardFollowsParent(t *testing.T) {
	v := NewVirtual(time.Time{})
	parent, pcancel := context.WithCancel(context.Background())
	ctx, cancel := v.WithTimeout(parent, time.Hour)
	defer cancel()
	pcancel()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("Err = %v, want Canceled", ctx.Err())
	}
	cancel()
	if v.Pending() != 0 {
		t.Fatalf("cancelled guard left %d timers", v.Pending())
	}
}

// The idle detector jumps a day of retries in well under a second, and
// never jumps over a guard while the guarded work keeps the clock busy.
func TestVirtualAutoAdvanceJumpsIdleWaits(t *testing.T) {
	v := NewVirtual(time.Time{})
	v.AutoAdvance(0, time.Hour) // guards effectively never jump in this test
	defer v.StopAuto()
	start := time.Now()
	for i := 0; i < 144; i++ { // 144 retries of 600 s = 1 day
		if err := v.Sleep(context.Background(), 600*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.Now().Sub(Epoch); got != 24*time.Hour {
		t.Fatalf("protocol time = %v, want 24h", got)
	}
	wall := time.Since(start)
	t.Logf("1 day of protocol time in %v wall (x%.0f)", wall, float64(24*time.Hour)/float64(wall))
	if wall > 5*time.Second {
		t.Errorf("took %v", wall)
	}

	// A guard is the earliest timer and the clock stays busy: no jump to it.
	ctx, cancel := v.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	waitDone := make(chan error, 1)
	go func() { waitDone <- v.Sleep(context.Background(), 10*time.Minute) }()
	if err := v.BlockUntil(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	busyUntil := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(busyUntil) {
		v.Touch()
		select {
		case <-ctx.Done():
			t.Fatal("guard fired while its work was active")
		default:
		}
	}
	cancel() // the guarded work finished; now the wait may be jumped to
	if err := <-waitDone; err != nil {
		t.Fatal(err)
	}
}

func TestVirtualAutoAdvanceJumpsGuardAfterLongSilence(t *testing.T) {
	v := NewVirtual(time.Time{})
	v.AutoAdvance(time.Millisecond, 20*time.Millisecond)
	defer v.StopAuto()
	ctx, cancel := v.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	<-ctx.Done() // a hung request is eventually timed out
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v", ctx.Err())
	}
	if v.Now().Sub(Epoch) != 5*time.Minute {
		t.Fatalf("now = %v", v.Now().Sub(Epoch))
	}
}

func TestScaledCompressesTime(t *testing.T) {
	s := NewScaled(100000, time.Time{})
	t0 := s.Now()
	start := time.Now()
	if err := s.Sleep(context.Background(), time.Hour); err != nil { // 36 ms wall
		t.Fatal(err)
	}
	if got := s.Now().Sub(t0); got < time.Hour {
		t.Errorf("protocol time advanced %v, want >= 1h", got)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("slept %v wall", time.Since(start))
	}
	tm := s.NewTimer(time.Hour)
	<-tm.C()
	ctx, cancel := s.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	<-ctx.Done()
}

func TestRealClock(t *testing.T) {
	var c Clock = Real{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v", err)
	}
	tm := c.AfterFunc(time.Hour, func() {})
	if !tm.Stop() {
		t.Fatal("Stop = false")
	}
}

// TestVirtualHoldAndCallbacks: a held clock never jumps; a callback runs
// at its own deadline even when Advance passes later timers. It runs in a
// synctest bubble: the idle detector's real-time ticker and quiet periods
// run on the bubble's fake clock.
func TestVirtualHoldAndCallbacks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := NewVirtual(time.Time{})
		start := v.Now()
		release := v.Hold()
		v.AutoAdvance(time.Millisecond, 10*time.Millisecond)
		defer v.StopAuto()
		fired := make(chan time.Duration, 2)
		v.AfterFunc(12*time.Hour, func() { fired <- v.Now().Sub(start) })
		v.AfterFunc(12*time.Hour+10*time.Minute, func() { fired <- v.Now().Sub(start) })
		if err := v.BlockUntil(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		// Held: no jump however long it is quiet (the detector checks every
		// 250 µs; 20 ms is 80 chances). In the bubble the 20 ms pass on its
		// fake clock once every goroutine is blocked: the detector's 80 ticks
		// all happen, deterministically, before the check.
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if v.Jumps() != 0 {
			t.Fatalf("a held clock jumped %d times", v.Jumps())
		}
		release()
		release()
		if a, b := <-fired, <-fired; a != 12*time.Hour || b != 12*time.Hour+10*time.Minute {
			t.Fatalf("callbacks saw %s and %s", a, b)
		}
		v.StopAuto()
		w := NewVirtual(time.Time{})
		got := make(chan time.Duration, 1)
		w.AfterFunc(time.Hour, func() { got <- w.Now().Sub(start) })
		w.AfterFunc(2*time.Hour, func() {})
		w.Advance(3 * time.Hour)
		if d := <-got; d != time.Hour {
			t.Fatalf("the 1-hour callback ran at %s", d)
		}
	})
}
