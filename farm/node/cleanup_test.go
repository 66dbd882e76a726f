package node

import (
	"context"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// waitKind waits until h holds at least n events of kind k.
func waitKind(t *testing.T, h *sim.History, k sim.Kind, n int) {
	t.Helper()
	c, stop := h.Notify()
	defer stop()
	timeout := time.After(5 * time.Second)
	for countKind(h, k) < n {
		select {
		case <-c:
		case <-timeout:
			t.Fatalf("timed out waiting for %d %s events (have %d)", n, k, countKind(h, k))
		}
	}
}

// TestSessionTimeoutCleanup runs the cleanup task on a virtual clock: a
// session idle longer than SessionTimeout is removed at the next cleanup,
// not before (§8.3), and its client then gets 0x8020001F.
func TestSessionTimeoutCleanup(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	n, h := startNode(t, Config{Clock: clock, SessionTimeout: 2 * time.Hour, CleanupInterval: time.Hour})
	data := payload(100)
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 49, 200, 50))
	si, _ := n.Session(x.sid)

	clock.Advance(time.Hour) // cleanup 1: idle 1h
	waitKind(t, h, sim.CleanupRan, 1)
	clock.BlockUntil(context.Background(), 1)
	clock.Advance(time.Hour) // cleanup 2: idle exactly 2h, not over
	waitKind(t, h, sim.CleanupRan, 2)
	if _, ok := n.Session(x.sid); !ok {
		t.Fatal("session expired at exactly SessionTimeout")
	}
	clock.BlockUntil(context.Background(), 1)
	clock.Advance(time.Hour) // cleanup 3: idle 3h
	waitKind(t, h, sim.SessionExpired, 1)
	if exists(si.RequestFile) {
		t.Error("expired session's request file survives")
	}
	gone := frag(data, 50, 99, 500, 0)
	gone.want = map[string]string{wire.HdrErrorCode: "0x8020001F"}
	x.run(gone)
}

// TestSessionActivityResetsTimeout: progress restarts the idle timer.
func TestSessionActivityResetsTimeout(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	n, _ := startNode(t, Config{Clock: clock, SessionTimeout: 2 * time.Hour, CleanupInterval: -1})
	data := payload(100)
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200})
	clock.Advance(90 * time.Minute)
	x.run(frag(data, 0, 49, 200, 50))
	clock.Advance(90 * time.Minute)
	if n.RunCleanup() != 0 {
		t.Fatal("an active session expired")
	}
	clock.Advance(31 * time.Minute)
	if n.RunCleanup() != 1 {
		t.Fatal("an idle session survived")
	}
}

// TestSessionLimit: a client over SessionLimit loses its most recent
// sessions at cleanup; other clients are untouched (§8.3).
func TestSessionLimit(t *testing.T) {
	clock := sim.NewVirtual(time.Time{})
	n, h := startNode(t, Config{Clock: clock, SessionLimit: 2, CleanupInterval: -1})
	x := newExchange(t, n)
	var ids []string
	for i := 0; i < 4; i++ {
		clock.Advance(time.Minute)
		x.run(step{pkt: create, status: 200, hdr: map[string]string{wire.HdrClientID: "alice"}})
		ids = append(ids, x.sid)
	}
	x.run(step{pkt: create, status: 200, hdr: map[string]string{wire.HdrClientID: "bob"}})
	if got := n.RunCleanup(); got != 2 {
		t.Fatalf("removed %d, want 2", got)
	}
	for i, id := range ids {
		_, ok := n.Session(id)
		if ok != (i < 2) {
			t.Errorf("session %d (created %d min) alive=%v", i, i+1, ok)
		}
	}
	if _, ok := n.Session(x.sid); !ok {
		t.Error("bob's session was removed")
	}
	if countKind(h, sim.SessionExpired) != 2 {
		t.Error("want 2 session.expired events")
	}
	n2, _ := startNode(t, Config{Clock: clock, SessionLimit: 1, SessionLimitDisabled: true, CleanupInterval: -1})
	x2 := newExchange(t, n2)
	x2.run(step{pkt: create, status: 200}, step{pkt: create, status: 200})
	if n2.RunCleanup() != 0 {
		t.Error("disabled session limit enforced")
	}
}

// TestRestoreSessions: New reloads sessions (sim.SessionRestored) and
// removes the residue of a crash inside Create-Session.
func TestRestoreSessions(t *testing.T) {
	data := payload(100)
	dir := t.TempDir()
	n, _ := startNode(t, Config{Dir: dir})
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 59, 200, 60))
	n.Kill()
	h := sim.NewHistory()
	n2, err := New(Config{Dir: dir, Events: h, NotificationType: NotifyNone})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	si, ok := n2.Session(x.sid)
	if !ok || si.Received != 60 || si.Total != 100 || countKind(h, sim.SessionRestored) != 1 {
		t.Fatalf("restored %+v ok=%v", si, ok)
	}
}
