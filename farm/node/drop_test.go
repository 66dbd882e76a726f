package node

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// dropBound is how long a test lets DropSessions take before calling it
// blocked: it never waits for a packet in progress, so it returns at once.
// The bound only turns a deadlock into a test failure (the blocked call
// ends when the packet is done).
const dropBound = 5 * time.Second

// dropOrReport calls n.DropSessions and reports, instead of hanging, when
// it does not return within dropBound; it then waits for it in the
// background and returns the channel that receives its result.
func dropOrReport(t *testing.T, n *Node, why string) <-chan int {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- n.DropSessions(why) }()
	select {
	case v := <-done:
		done <- v
	case <-time.After(dropBound):
		t.Errorf("DropSessions(%q) blocked for %s: it waits for a session that a packet in progress holds", why, dropBound)
	}
	return done
}

// TestDropSessionsWhileNotifying: resource pressure ([S] 3.2.7) while a
// session's final fragment waits for the app's answer. DropSessions does
// not wait for the app; the session goes once its notification is done:
// the client gets the final Ack, then 0x8020001F on Close-Session.
func TestDropSessionsWhileNotifying(t *testing.T) {
	a := newMockApp(t)
	a.set(func(a *mockApp) { a.block = make(chan struct{}) })
	n, h := notifyNode(t, a, Config{Clock: sim.NewVirtual(time.Time{}), CleanupInterval: -1})
	data := payload(300)
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
	si, _ := n.Session(x.sid)
	final := make(chan struct{})
	go func() {
		defer close(final)
		x.run(frag(data, 100, 299, 200, 300))
	}()
	waitKind(t, h, sim.NotifySent, 1)
	dropped := dropOrReport(t, n, "pressure")
	a.set(func(a *mockApp) { close(a.block); a.block = nil })
	<-final
	if got := <-dropped; got != 0 {
		t.Errorf("DropSessions removed %d sessions at once, want 0 (the session was busy)", got)
	}
	waitKind(t, h, sim.SessionExpired, 1)
	doomedThenExpired(t, h.Events(), "pressure")
	if exists(si.RequestFile) {
		t.Error("the dropped session's request file survives")
	}
	if d := a.deliveries(); len(d) != 1 {
		t.Errorf("%d deliveries, want 1", len(d))
	}
	x.run(step{pkt: "Close-Session", sid: "$", status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}})
}

// TestDropSessionsFromAnEmitter: DropSessions called synchronously by an
// event sink, in the goroutine that emits the event, for each event a node
// records while it holds the session (as the farm's injector does for an
// OnEvent trigger), returns at once and drops the session when the packet
// is done.
func TestDropSessionsFromAnEmitter(t *testing.T) {
	for _, kind := range []sim.Kind{sim.CrashPoint, sim.SessionCompleted, sim.NotifySent, sim.NotifyAnswered} {
		t.Run(string(kind), func(t *testing.T) {
			a := newMockApp(t)
			var n atomic.Pointer[Node]
			var once sync.Once
			fired := make(chan (<-chan int), 1)
			sink := sim.SinkFunc(func(e sim.Event) {
				if e.Kind != kind || (kind == sim.CrashPoint && e.Point != AfterWrite.String()) {
					return
				}
				once.Do(func() { fired <- dropOrReport(t, n.Load(), "pressure on "+string(kind)) })
			})
			hist := sim.NewHistory()
			nd, _ := notifyNode(t, a, Config{Clock: sim.NewVirtual(time.Time{}), CleanupInterval: -1, TraceCrashPoints: true, Events: sim.Tee(hist, sink)})
			n.Store(nd)
			data := payload(300)
			x := newExchange(t, nd)
			x.run(step{pkt: create, status: 200}, frag(data, 0, 299, 200, 300))
			select {
			case dropped := <-fired:
				<-dropped
			default:
				t.Fatalf("no %s event", kind)
			}
			waitKind(t, hist, sim.SessionExpired, 1)
			doomedThenExpired(t, hist.Events(), "pressure on "+string(kind))
			x.run(step{pkt: "Close-Session", sid: "$", status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}})
		})
	}
}

// doomedThenExpired asserts that events hold one session.doomed and then
// one session.expired, both with Reason why, for the same session.
func doomedThenExpired(t *testing.T, events []sim.Event, why string) {
	t.Helper()
	var got []sim.Event
	for _, e := range events {
		if e.Kind == sim.SessionDoomed || e.Kind == sim.SessionExpired {
			got = append(got, e)
		}
	}
	if len(got) != 2 || got[0].Kind != sim.SessionDoomed || got[1].Kind != sim.SessionExpired ||
		got[0].Session != got[1].Session || got[0].Reason != sim.Reason(why) || got[1].Reason != sim.Reason(why) {
		t.Errorf("want session.doomed then session.expired (reason %q), got %v", why, got)
	}
}

// TestDropSessionsDuringClose: a session doomed while its Close-Session
// is processed is closed by that packet and not dropped again: the
// client's Close succeeds, the history has session.closed and no expiry.
func TestDropSessionsDuringClose(t *testing.T) {
	var n atomic.Pointer[Node]
	var once sync.Once
	fired := make(chan (<-chan int), 1)
	sink := sim.SinkFunc(func(e sim.Event) {
		if e.Kind == sim.CrashPoint && e.Point == CloseBeforeCommit.String() {
			once.Do(func() { fired <- dropOrReport(t, n.Load(), "pressure") })
		}
	})
	hist := sim.NewHistory()
	nd, _ := startNode(t, Config{Clock: sim.NewVirtual(time.Time{}), CleanupInterval: -1, TraceCrashPoints: true, Events: sim.Tee(hist, sink)})
	n.Store(nd)
	data := payload(100)
	x := newExchange(t, nd)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100), step{pkt: "Close-Session", sid: "$", status: 200})
	select {
	case dropped := <-fired:
		<-dropped
	default:
		t.Fatal("Close-Session did not reach close-before-commit")
	}
	if countKind(hist, sim.SessionDoomed) != 1 || countKind(hist, sim.SessionExpired) != 0 || countKind(hist, sim.SessionClosed) != 1 {
		t.Errorf("doomed %d, expired %d, closed %d; want 1, 0, 1", countKind(hist, sim.SessionDoomed), countKind(hist, sim.SessionExpired),
			countKind(hist, sim.SessionClosed))
	}
}
