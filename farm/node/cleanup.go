package node

import (
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"sort"

	"github.com/bitsim/bitsim/sim"
)

// scheduleCleanup arms the next cleanup run on the clock (a wait, so a
// virtual clock may jump to it).
func (n *Node) scheduleCleanup() {
	if n.cfg.CleanupInterval < 0 {
		return
	}
	n.cleanupMu.Lock()
	defer n.cleanupMu.Unlock()
	if !n.Alive() {
		return
	}
	n.cleanupTimer = n.clock.AfterFunc(n.cfg.CleanupInterval, func() {
		if !n.enter() {
			return
		}
		defer n.wg.Done()
		n.RunCleanup()
		n.scheduleCleanup()
	})
}

func (n *Node) stopCleanup() {
	n.cleanupMu.Lock()
	defer n.cleanupMu.Unlock()
	if n.cleanupTimer != nil {
		n.cleanupTimer.Stop()
		n.cleanupTimer = nil
	}
}

// RunCleanup runs the cleanup task now (§8.3) and returns how many
// sessions it removed:
//
//  1. every session idle for longer than SessionTimeout (no packet since
//     LastActivity) is deleted with its files (sim.SessionExpired, Reason
//     "timeout");
//  2. unless SessionLimitDisabled, each client holding more than
//     SessionLimit sessions loses its most recent ones (by creation time)
//     until it holds SessionLimit (Reason "session limit").
//
// A session busy with a packet right now is skipped (it is active). Ends
// with sim.CleanupRan (Bytes = sessions removed).
func (n *Node) RunCleanup() int {
	// One cleanup at a time: a timer-driven run and an explicit one must not
	// skip each other's sessions (TryLock below is for packets in flight),
	// so when RunCleanup returns every expired session is gone.
	n.cleanupRun.Lock()
	defer n.cleanupRun.Unlock()
	if n.cfg.SharedStorage {
		n.syncShared()
	}
	now := n.clock.Now()
	removed := 0
	var alive []*session
	for _, s := range n.snapshot() {
		if !s.mu.TryLock() {
			continue
		}
		switch {
		case s.gone:
		case now.Sub(s.rec.LastActivity) > n.cfg.SessionTimeout && !mutant.On("node-cleanup-never-expires"):
			n.expire(s, string(sim.ReasonTimeout))
			removed++
		default:
			alive = append(alive, s)
		}
		n.release(s)
	}
	if !n.cfg.SessionLimitDisabled {
		byClient := map[string][]*session{}
		for _, s := range alive {
			byClient[s.rec.Client] = append(byClient[s.rec.Client], s)
		}
		for _, ss := range byClient {
			if len(ss) <= n.cfg.SessionLimit {
				continue
			}
			sort.Slice(ss, func(i, j int) bool { // most recent first
				if !ss[i].rec.Created.Equal(ss[j].rec.Created) {
					return ss[i].rec.Created.After(ss[j].rec.Created)
				}
				return ss[i].id > ss[j].id
			})
			for _, s := range ss[:len(ss)-n.cfg.SessionLimit] {
				if !s.mu.TryLock() {
					continue
				}
				if !s.gone {
					n.expire(s, string(sim.ReasonSessionLimit))
					removed++
				}
				n.release(s)
			}
		}
	}
	n.emit(sim.Event{Kind: sim.CleanupRan, Bytes: int64(removed), Detail: fmt.Sprintf("removed %d sessions", removed)})
	return removed
}

func (n *Node) expire(s *session, why string) {
	if mutant.On("node-expiry-keeps-files") {
		n.forget(s)
	} else {
		n.discard(s)
	}
	n.emit(sim.Event{Kind: sim.SessionExpired, Session: s.id, Offset: s.received, Total: s.rec.Total, Reason: sim.Reason(why), Detail: why})
}

// DropSessions removes every session at once, as a server may under
// resource pressure ([S] 3.2.7, docs/protocol.md §8.3), with the same
// effect as a time-out: files deleted, later packets answered 0x8020001F
// (sim.SessionExpired, Reason why). It returns how many sessions it
// removed at once.
//
// It never waits for a session. A session a packet holds right now (a
// Fragment being written, a final fragment whose app notification is in
// flight, a Close committing) is doomed instead (sim.SessionDoomed, Reason
// why) and dropped when that packet is done, by whoever releases it
// (release): the packet completes and is answered as it would have been,
// then the session goes, as if the pressure came just after it. A doomed
// session the packet closed or cancelled itself, or whose node died
// meanwhile, is not dropped again (a dead node writes nothing). Waiting
// instead deadlocked: the holder may be waiting for the app (a slow app,
// a fault, the notification time-out on a clock that cannot move while
// the caller blocks), and an event trigger runs DropSessions in the very
// goroutine that holds the session (notify.answered, session.completed).
func (n *Node) DropSessions(why string) int {
	removed := 0
	for _, s := range n.snapshot() {
		if !s.mu.TryLock() {
			if mutant.On("node-drop-skips-busy") {
				continue
			}
			// Recorded before the doom is set, so the session.expired of
			// the holder's release always follows it.
			n.emit(sim.Event{Kind: sim.SessionDoomed, Session: s.id, Reason: sim.Reason(why),
				Detail: why + ": busy with a packet, dropped when it is done"})
			s.doom.Store(&why)
			if !s.mu.TryLock() {
				continue // the holder drops it on release
			}
		} else {
			s.doom.Store(&why)
		}
		if n.release(s) {
			removed++
		}
	}
	return removed
}

// release unlocks s.mu, first dropping the session if DropSessions doomed
// it while it was held (unless it is gone already or the node is dead).
// Every holder of s.mu unlocks through release, so a doom set while the
// lock is held is always acted on: after unlocking, release takes the lock
// back if a doom arrived meanwhile and no one else holds it (the one who
// does will see it). It reports whether it dropped the session.
func (n *Node) release(s *session) bool {
	dropped := false
	for {
		if why := s.doom.Swap(nil); why != nil && !s.gone && !n.Dead() {
			n.expire(s, *why)
			dropped = true
		}
		s.mu.Unlock()
		if s.doom.Load() == nil || !s.mu.TryLock() {
			return dropped
		}
	}
}
