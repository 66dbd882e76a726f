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
	<-dropped
	waitKind(t, h, sim.SessionExpired, 1)
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
			x.run(step{pkt: "Close-Session", sid: "$", status: 500, want: map[string]string{wire.HdrErrorCode: "0x8020001F"}})
		})
	}
}
