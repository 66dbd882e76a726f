package faults

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// An Action is what a fault does when its trigger fires. Each action is a
// struct in its own file whose exported fields are its parameters (their
// json/yaml names are the schedule's syntax), registered by kind in init.
// See the package doc for the rules.
type Action interface {
	// Kind is the registered name, e.g. "kill".
	Kind() string
	// Validate checks the parameters; with a non-nil Topology it also
	// checks the nodes and links they name exist. t is the fault's trigger
	// (nil: at once), for actions whose needs depend on it.
	Validate(top Topology, t Trigger) error
	// Apply does it. It runs in the goroutine that fired the trigger (for
	// event and point triggers, the emitter's, which waits): it must not
	// block; use Firing.Later for anything that waits for protocol time or
	// for the farm. The returned error is recorded on the fault.fired event.
	Apply(f *Firing) error
	// String describes the action for events and reports: the kind, then
	// its set parameters as key=value.
	String() string
}

// NodeAction is implemented by actions aimed at one node: a fault whose
// trigger names no node (and, for a point trigger, the injector) takes the
// node from here.
type NodeAction interface {
	Action
	TargetNode() string
}

// Topology is the farm's shape, for validation.
type Topology interface {
	HasNode(name string) bool
	HasLink(name string) bool // proxy links: "shared", "nodeK", "app-from-nodeK"
}

// Target is what actions act on: the farm, as the injector offers it. The
// farm package implements it; actions never see the farm itself.
type Target interface {
	Topology
	// KillNode kills node at once, abruptly, from any goroutine (also one
	// of its own handlers: it does not wait for them). session names the
	// session being served, for the event; loseTail > 0 also cuts that
	// many unflushed bytes from its sessions' files before it restarts.
	KillNode(node, session string, loseTail int64)
	// Disarm removes the crash points armed on node.
	Disarm(node string)
	// RestartNode brings a dead node back on its storage (blocking: call
	// it from Firing.Later).
	RestartNode(ctx context.Context, node string) error
	// SetDown takes a node's link or a proxy link down or up.
	SetDown(link string, down bool) error
	// Link returns a proxy link, to change its toxics.
	Link(name string) (Link, error)
	// DropSessions makes node forget every session, as a time-out would.
	DropSessions(node, reason string)
	// SlowDisk makes node's next times session writes (0: all) take d of
	// extra protocol time each; d = 0 restores normal writes.
	SlowDisk(node string, d time.Duration, times int)
	// AnswerStatus makes node answer status (with header) to the nth packet
	// of type packet it receives from now on, instead of processing it.
	AnswerStatus(node, packet string, nth, status int, header map[string]string)
	// App returns the mock application.
	App() App
}

// Link is a proxy link's toxic control.
type Link interface {
	AddToxic(sim.Toxic) error
	RemoveToxic(name string) error
}

// App is the mock application's fault control.
type App interface {
	SetLatency(time.Duration)
	SetReplyDelay(time.Duration)
	SetStatus(status, times int)
	SetCrash(p AppPoint, times int)
	Restart()
}

// Firing is one firing of a fault, as the action sees it.
type Firing struct {
	Target Target
	Fault  string  // the fault's name
	Trig   Trigger // its trigger (nil: at once)
	// Node is the node the firing concerns: the action's (TargetNode), else
	// the trigger's, else the triggering event's.
	Node string
	// Cause is the event that fired the trigger (zero for time and byte
	// triggers).
	Cause sim.Event
	// First is true on the fault's first firing.
	First bool
	// Armed, for a point trigger, lists the nodes the point was armed on.
	Armed []string
	// Later runs act in the background after d of protocol time; the
	// injector waits for it when it stops, and records its error.
	Later func(d time.Duration, act func(ctx context.Context) error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]func() Action{}
)

// Register makes an action kind known to schedules. Call it from the
// action's init; new returns a zero action, into which the schedule's
// parameters are decoded. Registering a kind twice panics.
func Register(kind string, new func() Action) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[kind]; dup {
		panic("faults: action " + kind + " registered twice")
	}
	if k := new().Kind(); k != kind {
		panic(fmt.Sprintf("faults: action registered as %q says it is %q", kind, k))
	}
	registry[kind] = new
}

// New returns a zero action of the given kind.
func New(kind string) (Action, error) {
	registryMu.RLock()
	mk, ok := registry[kind]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("faults: unknown action %q (known: %v)", kind, Kinds())
	}
	return mk(), nil
}

// Kinds lists the registered action kinds, sorted.
func Kinds() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
