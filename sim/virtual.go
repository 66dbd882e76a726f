package sim

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Epoch is the protocol time at which virtual clocks start by default.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Virtual is a clock whose time only moves when told to: by Advance and
// AdvanceTo from a test, or by the idle detector started with AutoAdvance.
//
// The idle detector ("everything is waiting") watches the clock's own
// activity: every call on the clock, and every Touch, counts as activity.
// When nothing has touched the clock for Quiet of real time and the earliest
// pending timer is a wait (Sleep, NewTimer, AfterFunc), time jumps to it.
// When the earliest pending timer is a guard (WithTimeout, i.e. a deadline on
// in-flight work), the jump only happens after GuardQuiet of real silence,
// so a slow but live transfer is not timed out by a jump.
type Virtual struct {
	mu       sync.Mutex
	now      time.Time
	timers   timerHeap
	seq      uint64
	changed  chan struct{} // closed and replaced whenever the timer set changes
	activity atomic.Uint64

	autoMu   sync.Mutex
	autoStop chan struct{}
	autoDone chan struct{}
	jumps    atomic.Uint64

	// running counts fired callbacks that have not returned; idle is
	// closed and replaced when it drops to zero.
	running atomic.Int64
	idleMu  sync.Mutex
	idle    chan struct{}
	// holds forbid every jump; inFlight makes waits need guardQuiet too.
	holds    atomic.Int64
	inFlight atomic.Int64
}

var _ Clock = (*Virtual)(nil)

// NewVirtual returns a virtual clock starting at start (Epoch if zero).
func NewVirtual(start time.Time) *Virtual {
	if start.IsZero() {
		start = Epoch
	}
	return &Virtual{now: start, changed: make(chan struct{})}
}

type timerKind uint8

const (
	kindWait timerKind = iota
	kindGuard
)

type vtimer struct {
	clock    *Virtual
	deadline time.Time
	seq      uint64
	kind     timerKind
	index    int // heap index, -1 when not pending
	c        chan time.Time
	fn       func()
}

func (t *vtimer) C() <-chan time.Time { return t.c }

func (t *vtimer) Stop() bool {
	v := t.clock
	v.touch()
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&v.timers, t.index)
	v.signalLocked()
	return true
}

type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].deadline.Equal(h[j].deadline) {
		return h[i].deadline.Before(h[j].deadline)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}

func (v *Virtual) touch() { v.activity.Add(1) }

// Touch records activity without touching time: components call it (through
// the package-level Touch) while they move bytes, so the idle detector does
// not mistake a long transfer for silence.
func (v *Virtual) Touch() { v.touch() }

func (v *Virtual) signalLocked() {
	close(v.changed)
	v.changed = make(chan struct{})
}

// Now implements Clock.
func (v *Virtual) Now() time.Time {
	v.touch()
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

func (v *Virtual) add(d time.Duration, kind timerKind, c chan time.Time, fn func()) *vtimer {
	v.touch()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	t := &vtimer{clock: v, deadline: v.now.Add(max(d, 0)), seq: v.seq, kind: kind, index: -1, c: c, fn: fn}
	if d <= 0 {
		// Fire at once, without going through the heap.
		v.fireLocked(t)
		return t
	}
	heap.Push(&v.timers, t)
	v.signalLocked()
	return t
}

// fireLocked delivers a timer. Callbacks run in their own goroutines so that
// no user code runs under the clock's lock.
func (v *Virtual) fireLocked(t *vtimer) {
	if t.c != nil {
		select {
		case t.c <- v.now:
		default:
		}
	}
	if t.fn != nil {
		v.running.Add(1)
		go func() {
			defer v.callbackDone()
			t.fn()
		}()
	}
}

func (v *Virtual) callbackDone() {
	if v.running.Add(-1) == 0 {
		v.idleMu.Lock()
		if v.idle != nil {
			close(v.idle)
			v.idle = nil
		}
		v.idleMu.Unlock()
	}
}

// CallbackWait bounds how long (real time) AdvanceTo waits for a fired
// callback to return before firing the next due timer.
const CallbackWait = 100 * time.Millisecond

// waitCallbacks waits until no fired callback runs, for at most
// CallbackWait: a callback blocked on something that needs time to move
// would otherwise stop the clock.
func (v *Virtual) waitCallbacks() {
	v.idleMu.Lock()
	if v.running.Load() == 0 {
		v.idleMu.Unlock()
		return
	}
	if v.idle == nil {
		v.idle = make(chan struct{})
	}
	ch := v.idle
	v.idleMu.Unlock()
	t := time.NewTimer(CallbackWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// Hold forbids every jump of the idle detector until the returned release
// is called (releasing twice is harmless). The wire tier holds the clock
// before the first request and after the last job.
func (v *Virtual) Hold() (release func()) {
	v.holds.Add(1)
	var once sync.Once
	return func() { once.Do(func() { v.holds.Add(-1) }) }
}

// InFlight adds delta to the number of requests in flight on bitsim's
// connections: while any is, the idle detector jumps to a wait only after
// guardQuiet of silence, as it does for guards.
func (v *Virtual) InFlight(delta int) { v.inFlight.Add(int64(delta)) }

// NewTimer implements Clock.
func (v *Virtual) NewTimer(d time.Duration) Timer {
	return v.add(d, kindWait, make(chan time.Time, 1), nil)
}

// AfterFunc implements Clock.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	return v.add(d, kindWait, nil, f)
}

// Sleep implements Clock.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := v.add(d, kindWait, make(chan time.Time, 1), nil)
	select {
	case <-t.c:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// WithTimeout implements Clock. The returned context reports
// context.DeadlineExceeded when the guard fires. Its Deadline method returns
// the parent's (wall-clock) deadline only, because a virtual deadline means
// nothing to the network stack.
func (v *Virtual) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	g := &guardCtx{Context: parent, done: make(chan struct{})}
	stopParent := context.AfterFunc(parent, func() { g.finish(parent.Err()) })
	t := v.add(d, kindGuard, nil, func() { g.finish(context.DeadlineExceeded) })
	return g, func() {
		stopParent()
		t.Stop()
		g.finish(context.Canceled)
	}
}

type guardCtx struct {
	context.Context
	done chan struct{}
	mu   sync.Mutex
	err  error
}

func (g *guardCtx) Done() <-chan struct{} { return g.done }

func (g *guardCtx) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *guardCtx) finish(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return
	}
	g.err = err
	close(g.done)
}

// Advance moves time forward by d, firing every timer that falls due, in
// deadline order, each at its own deadline.
func (v *Virtual) Advance(d time.Duration) {
	v.mu.Lock()
	target := v.now.Add(d)
	v.mu.Unlock()
	v.AdvanceTo(target)
}

// AdvanceTo moves time forward to t (never backwards), firing due timers
// one at a time at their own deadlines. A timer's callback gets to run
// (up to CallbackWait of real time) before time moves past its deadline,
// so a later timer never overtakes it.
func (v *Virtual) AdvanceTo(t time.Time) {
	v.touch()
	for {
		v.mu.Lock()
		if len(v.timers) == 0 || v.timers[0].deadline.After(t) {
			if t.After(v.now) {
				v.now = t
			}
			v.signalLocked()
			v.mu.Unlock()
			return
		}
		next := heap.Pop(&v.timers).(*vtimer)
		if next.deadline.After(v.now) {
			v.now = next.deadline
		}
		v.fireLocked(next)
		v.signalLocked()
		v.mu.Unlock()
		if next.fn != nil {
			v.waitCallbacks()
		}
	}
}

// Pending returns the number of timers waiting to fire.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

// Next returns the deadline of the earliest pending timer.
func (v *Virtual) Next() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.timers) == 0 {
		return time.Time{}, false
	}
	return v.timers[0].deadline, true
}

// BlockUntil waits until at least n timers are pending, or ctx ends. Tests
// use it to know that the code under test has reached its next wait before
// they advance time.
func (v *Virtual) BlockUntil(ctx context.Context, n int) error {
	for {
		v.mu.Lock()
		ok := len(v.timers) >= n
		ch := v.changed
		v.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Jumps returns how many times the idle detector moved time.
func (v *Virtual) Jumps() uint64 { return v.jumps.Load() }

// AutoAdvance starts the idle detector (see Virtual). Quiet is the real-time
// silence after which time jumps to the earliest wait (default 1 ms; after a
// jump, the next one also waits for the woken goroutines to touch the clock,
// or for 20 × quiet of silence);
// guardQuiet the silence after which it jumps to a guard (default 250 ms).
// Stop it with StopAuto; calling AutoAdvance again restarts it.
func (v *Virtual) AutoAdvance(quiet, guardQuiet time.Duration) {
	if quiet <= 0 {
		quiet = time.Millisecond
	}
	if guardQuiet <= 0 {
		guardQuiet = 250 * time.Millisecond
	}
	v.StopAuto()
	v.autoMu.Lock()
	defer v.autoMu.Unlock()
	stop, done := make(chan struct{}), make(chan struct{})
	v.autoStop, v.autoDone = stop, done
	go v.autoLoop(quiet, guardQuiet, stop, done)
}

// StopAuto stops the idle detector and waits for it to exit.
func (v *Virtual) StopAuto() {
	v.autoMu.Lock()
	stop, done := v.autoStop, v.autoDone
	v.autoStop, v.autoDone = nil, nil
	v.autoMu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (v *Virtual) autoLoop(quiet, guardQuiet time.Duration, stop, done chan struct{}) {
	defer close(done)
	tick := max(quiet/4, 100*time.Microsecond)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	last := v.activity.Load()
	lastChange := time.Now()
	// After a jump the woken goroutines must get to run: the next jump
	// waits for activity, or for settle of silence if the fired timer woke
	// nothing that touches the clock.
	settle := 20 * quiet
	jumped := false
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		cur := v.activity.Load()
		if cur != last {
			last, lastChange, jumped = cur, time.Now(), false
			continue
		}
		silent := time.Since(lastChange)
		if silent < quiet || jumped && silent < settle {
			continue
		}
		if v.holds.Load() > 0 {
			continue
		}
		v.mu.Lock()
		if len(v.timers) == 0 {
			v.mu.Unlock()
			continue
		}
		first := v.timers[0]
		need := quiet
		// A guard, a request in flight or a fired callback still running
		// (it would see a time later than its deadline) need guardQuiet.
		if first.kind == kindGuard || v.inFlight.Load() > 0 || v.running.Load() > 0 {
			need = guardQuiet
		}
		if silent < need {
			v.mu.Unlock()
			continue
		}
		deadline := first.deadline
		v.mu.Unlock()
		v.jumps.Add(1)
		v.AdvanceTo(deadline)
		last, lastChange, jumped = v.activity.Load(), time.Now(), true
	}
}

// Touch records activity on c if it is a clock with an idle detector; it is
// a no-op for other clocks. Call it from loops that move bytes.
func Touch(c Clock) {
	if t, ok := c.(interface{ Touch() }); ok {
		t.Touch()
	}
}
