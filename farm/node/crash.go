package node

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/bitsim/bitsim/sim"
)

// CrashPoint names an instant in a node's packet processing where a fault
// can kill it (§17). Arm one with (*Node).Arm.
type CrashPoint int

// Crash points, in processing order.
const (
	NoCrash CrashPoint = iota
	// AfterCreate: the session is on disk, the Create-Session Ack not sent.
	AfterCreate
	// BeforeBody: a valid Fragment's headers were accepted, no body byte
	// read.
	BeforeBody
	// AfterBody: the whole body was read, nothing written (the bytes are
	// lost with the process).
	AfterBody
	// AfterWrite: the body is in the request file, the Ack not sent. On
	// the final fragment this is before the notification.
	AfterWrite
	// AfterNotifySent: the notification POST was written to the app, its
	// answer not received: the node dies while the app is processing.
	AfterNotifySent
	// AfterNotifyAnswer: the app answered (any status), the final Ack not
	// sent and nothing persisted about the answer.
	AfterNotifyAnswer
	// CloseBeforeCommit: a Close-Session for a complete upload, before the
	// commit step (reached whether or not a commit applies).
	CloseBeforeCommit
	// CloseAfterCommit: after the commit step, before the session's files
	// are deleted and the Ack is sent.
	CloseAfterCommit
)

var crashNames = []string{"", "after-create", "before-body", "after-body", "after-write",
	"after-notify-sent", "after-notify-answer", "close-before-commit", "close-after-commit"}

func (p CrashPoint) String() string {
	if p == NoCrash {
		return "none"
	}
	return enumString(crashNames, int(p), "CrashPoint")
}

// ParseCrashPoint parses the String form of a crash point ("after-write").
func ParseCrashPoint(s string) (CrashPoint, error) {
	for i, n := range crashNames {
		if n != "" && strings.EqualFold(strings.TrimSpace(s), n) {
			return CrashPoint(i), nil
		}
	}
	return NoCrash, fmt.Errorf("node: invalid crash point %q (want %s)", s, strings.Join(nonEmpty(crashNames), "|"))
}

// CrashPoints returns every crash point, in processing order.
func CrashPoints() []CrashPoint {
	out := make([]CrashPoint, 0, len(crashNames)-1)
	for i := AfterCreate; int(i) < len(crashNames); i++ {
		out = append(out, i)
	}
	return out
}

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
	if p <= NoCrash || int(p) >= len(crashNames) {
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
	if n.reached(p, session) {
		panic(http.ErrAbortHandler)
	}
}
