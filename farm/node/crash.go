package node

import (
	"slices"

	"fmt"
	"github.com/bitsim/bitsim/faults"
	"net/http"
	"sync"

	"github.com/bitsim/bitsim/sim"
)

// CrashPoint names an instant in a node's packet processing where a fault
// can kill it (§17); the points and their names are package faults'. Arm
// one with (*Node).Arm.
type CrashPoint = faults.Point

// Crash points, in processing order.
const (
	NoCrash           = faults.NoPoint
	AfterCreate       = faults.AfterCreate
	BeforeBody        = faults.BeforeBody
	AfterBody         = faults.AfterBody
	AfterWrite        = faults.AfterWrite
	AfterNotifySent   = faults.AfterNotifySent
	AfterNotifyAnswer = faults.AfterNotifyAnswer
	CloseBeforeCommit = faults.CloseBeforeCommit
	CloseAfterCommit  = faults.CloseAfterCommit
)

// armTable holds the one-shot crash points armed on a node: point → how
// many more reaches until it fires.
type armTable struct {
	mu    sync.Mutex
	armed map[CrashPoint]int
}

func (a *armTable) arm(p CrashPoint, nth int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.armed == nil {
		a.armed = map[CrashPoint]int{}
	}
	a.armed[p] = max(nth, 1)
}

func (a *armTable) disarm() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.armed = nil
}

// hit counts one reach of p and reports whether it fires now.
func (a *armTable) hit(p CrashPoint) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	left, ok := a.armed[p]
	if !ok {
		return false
	}
	if left <= 1 {
		delete(a.armed, p)
		return true
	}
	a.armed[p] = left - 1
	return false
}

// Arm arms a one-shot crash at the nth time p is reached from now on
// (nth < 1 means 1, the next time). Arming p again replaces its count.
// When it fires the node records sim.CrashPoint and sim.NodeCrashed,
// writes no Ack, drops the connection, closes its listener, resets live
// connections and stops serving; Crashed() is closed and OnCrash called.
// Recover with New on the same configuration (after Kill, which waits
// for the dead node's handlers to end).
func (n *Node) Arm(p CrashPoint, nth int) {
	if !slices.Contains(faults.Points(), p) {
		panic(fmt.Sprintf("node: Arm: invalid crash point %d", int(p)))
	}
	n.arms.arm(p, nth)
}

// Disarm removes every armed crash point.
func (n *Node) Disarm() { n.arms.disarm() }

// reached counts a reach of p and reports whether the node must die here.
// When it fires, the node is already dead on return; the caller aborts
// (usually through crashHere) without writing anything further.
func (n *Node) reached(p CrashPoint, session string) bool {
	if n.Dead() {
		return true // killed from another trigger: it is as if p fired
	}
	fire := n.arms.hit(p)
	if fire || n.cfg.TraceCrashPoints {
		d := "reached"
		if fire {
			d = "fired"
		}
		n.emit(sim.Event{Kind: sim.CrashPoint, Session: session, Point: p.String(), Detail: d})
	}
	if !fire {
		return false
	}
	n.die(p, session)
	if n.cfg.OnCrash != nil {
		n.cfg.OnCrash(n, p)
	}
	return true
}

// crashHere is reached for handler goroutines: if p fires, the handler
// aborts its connection without an Ack.
func (n *Node) crashHere(p CrashPoint, session string) {
	n.abortIfDead() // killed meanwhile, from any other trigger
	if n.reached(p, session) {
		panic(http.ErrAbortHandler)
	}
}
