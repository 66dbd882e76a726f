package farm

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bitsim/bitsim/farm/proxy"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/sim"
)

// Injector applies a fault schedule to a farm during a run and records a
// sim.FaultFired event (Fault: the fault's name, Action, Trigger) for
// each firing. Install one with Farm.Inject; a farm has at most one. The
// actions themselves live in package faults and reach the farm only
// through its faults.Target (see target.go).
//
// How each trigger form is installed:
//
//   - AtPoint with an action that arms points (kill): the node's own crash
//     point is armed (Node.Arm), so the node dies exactly there, writing
//     nothing further. Without a node named, every node is armed and the
//     first to reach the point dies (the others are disarmed).
//   - AtPoint with another action, and OnEvent: the injector watches the
//     farm's events, synchronously, and acts in the emitting goroutine
//     before the emitter continues (a link goes down exactly between a
//     notification and its answer).
//   - After: a timer on the farm's clock, from Inject (at once if zero).
//   - OnBytes: a bits_watch toxic on the link.
type Injector struct {
	f     *Farm
	sched faults.Schedule
	clock sim.Clock
	armed [][]string // per fault: the nodes a point trigger concerns

	mu      sync.Mutex
	counts  []int // matching events seen, per fault
	fired   []int // firings, per fault
	stopped bool
	timers  []sim.Timer
	unwatch []func()
	queue   []deferred // due deferred actions, in order (later)
	running bool       // a goroutine runs the queue
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// armsPoint is implemented by actions that kill a node at a point trigger
// by arming the point on the node (faults.Kill).
type armsPoint interface{ ArmsPoint() }

// Inject validates s against the farm and installs it. It replaces any
// previous injector.
func (f *Farm) Inject(s faults.Schedule) (*Injector, error) {
	if err := s.Validate(target{f}); err != nil {
		return nil, err
	}
	if f.app == nil {
		for i, ft := range s {
			if ft.Action != nil && faults.NeedsMockApp(ft.Action) {
				return nil, fmt.Errorf("farm: fault %s: %s needs the mock app (the farm notifies an external app)", s.FaultName(i), ft.Action.Kind())
			}
		}
	}
	in := &Injector{f: f, sched: s, clock: f.cfg.Clock, counts: make([]int, len(s)), fired: make([]int, len(s))}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	for _, ft := range s {
		in.armed = append(in.armed, in.pointNodes(ft))
	}
	f.mu.Lock()
	old := f.inj
	f.inj = in
	f.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	for i := range s {
		if err := in.install(i); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// install sets up fault i's trigger.
func (in *Injector) install(i int) error {
	ft := in.sched[i]
	switch t := ft.Trigger.(type) {
	case faults.AtPoint:
		if _, ok := ft.Action.(armsPoint); ok {
			for _, name := range in.armed[i] {
				if err := in.f.Arm(name, t.Point, t.N()); err != nil {
					return err
				}
			}
		}
	case faults.OnEvent: // observed
	case faults.OnBytes:
		return in.watch(i, t)
	case faults.After:
		if t.D > 0 {
			in.mu.Lock()
			in.timers = append(in.timers, in.clock.AfterFunc(t.D, func() { in.fire(i, sim.Event{}) }))
			in.mu.Unlock()
			return nil
		}
		in.fire(i, sim.Event{})
	case nil: // a fault present from the start
		in.fire(i, sim.Event{})
	}
	return nil
}

// rearm arms, on node name's new instance (after a restart), the crash
// points of the point-kill faults that concern it and have not fired yet:
// arms live on a node instance.
func (in *Injector) rearm(name string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return
	}
	for i, ft := range in.sched {
		t, ok := ft.Trigger.(faults.AtPoint)
		if _, arms := ft.Action.(armsPoint); !ok || !arms || in.fired[i] > 0 || !slices.Contains(in.armed[i], name) {
			continue
		}
		_ = in.f.Arm(name, t.Point, t.N())
	}
}

// watch fires fault i once t.Bytes bytes crossed t.Link, through a
// bits_watch toxic.
func (in *Injector) watch(i int, t faults.OnBytes) error {
	l, err := in.f.Link(t.Link)
	if err != nil {
		return err
	}
	id, unreg := proxy.Watch(func() { in.fire(i, sim.Event{}) })
	stream := t.Stream
	if stream == "" {
		stream = sim.Upstream
	}
	tox := sim.Toxic{Name: "watch-" + in.sched.FaultName(i), Type: "bits_watch", Stream: stream,
		Attributes: map[string]any{"id": id, "bytes": t.Bytes}}
	if err := l.AddToxic(tox); err != nil {
		unreg()
		return err
	}
	in.mu.Lock()
	in.unwatch = append(in.unwatch, unreg, func() { _ = l.RemoveToxic(tox.Name) })
	in.mu.Unlock()
	return nil
}

// pointNodes are the nodes a point trigger concerns: the trigger's node,
// else the action's, else all.
func (in *Injector) pointNodes(ft faults.Fault) []string {
	t, ok := ft.Trigger.(faults.AtPoint)
	switch {
	case !ok:
		return nil
	case t.Node != "":
		return []string{t.Node}
	case ft.Node() != "":
		return []string{ft.Node()}
	}
	return in.f.NodeNames()
}

// Stop removes the injector's timers and watches and waits for actions it
// started in the background (delayed restarts).
func (in *Injector) Stop() {
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		return
	}
	in.stopped = true
	timers, unwatch := in.timers, in.unwatch
	in.mu.Unlock()
	in.cancel()
	for _, t := range timers {
		t.Stop()
	}
	for _, u := range unwatch {
		u()
	}
	in.wg.Wait()
}

// Fired returns how many times each fault fired, by name.
func (in *Injector) Fired() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int{}
	for i := range in.sched {
		out[in.sched.FaultName(i)] = in.fired[i]
	}
	return out
}

// observe matches one farm event against the schedule.
func (in *Injector) observe(e sim.Event) {
	if e.Kind == sim.FaultFired {
		return
	}
	for i, ft := range in.sched {
		switch t := ft.Trigger.(type) {
		case faults.AtPoint:
			if !slices.Contains(in.armed[i], e.Node) {
				continue
			}
			if _, ok := ft.Action.(armsPoint); ok {
				// The node killed itself at an armed point: record the firing.
				if e.Kind == sim.NodeCrashed && e.Point == t.Point.String() {
					in.fire(i, e)
				}
			} else if t.Matches(e) && in.count(i, t.N()) {
				in.fire(i, e)
			}
		case faults.OnEvent:
			if t.Matches(e) && in.count(i, t.N()) {
				in.fire(i, e)
			}
		}
	}
}

// count counts a matching event for fault i and reports whether this is
// the one that fires it (the nth).
func (in *Injector) count(i, nth int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return false
	}
	in.counts[i]++
	return in.counts[i] == nth
}

// fire applies fault i's action and records the firing. cause is the
// event that triggered it, if any.
func (in *Injector) fire(i int, cause sim.Event) {
	in.mu.Lock()
	if in.stopped {
		in.mu.Unlock()
		return
	}
	in.fired[i]++
	first := in.fired[i] == 1
	in.mu.Unlock()
	ft := in.sched[i]
	name := in.sched.FaultName(i)
	fr := &faults.Firing{Target: target{in.f}, Fault: name, Trig: ft.Trigger, Node: ft.Node(), Cause: cause,
		First: first, Armed: in.armed[i], Later: func(d time.Duration, act func(context.Context) error) { in.later(name, d, act) }}
	if fr.Node == "" {
		fr.Node = cause.Node
	}
	ev := sim.Event{At: in.clock.Now(), Kind: sim.FaultFired, Source: "faults", Node: fr.Node, Fault: name,
		Action: ft.What(), Trigger: ft.When(), Session: cause.Session, Detail: "fault " + name + ": " + ft.What()}
	if t, ok := ft.Trigger.(faults.AtPoint); ok {
		ev.Point = t.Point.String()
	}
	if err := ft.Action.Apply(fr); err != nil {
		ev.Err = err.Error()
	}
	in.f.cfg.Events.Record(ev)
}

// later runs an action of fault name in the background after d of
// protocol time (a node restart must not run inside the dying node's
// handler). A failure is recorded as a fault.fired event with Err set.
//
// Deferred actions run one at a time, in the order they fell due, and
// those due together in the order they were asked for. Each waits on a
// timer of the clock, even at d = 0: on the exact tier a timer's expiry is
// a step of the network's scheduler, taken only once the goroutine that
// fired the fault is done (the other faults the same event fires
// included). Started in goroutines of their own, two restarts of a node
// fired by one event raced each other (the loser failing with "address
// already in use") and the kills of other faults of that event, and
// which won was the Go scheduler's choice.
func (in *Injector) later(name string, d time.Duration, act func(context.Context) error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return
	}
	in.timers = append(in.timers, in.clock.AfterFunc(d, func() { in.enqueue(deferred{name, act}) }))
}

// deferred is an action of a fault waiting for its turn (later).
type deferred struct {
	name string
	act  func(context.Context) error
}

// enqueue queues a due deferred action and starts the goroutine running
// the queue if none runs.
func (in *Injector) enqueue(a deferred) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return
	}
	in.queue = append(in.queue, a)
	if !in.running {
		in.running = true
		in.wg.Add(1)
		go in.runDeferred()
	}
}

// runDeferred runs the queued deferred actions in order until the queue
// is empty.
func (in *Injector) runDeferred() {
	defer in.wg.Done()
	for {
		in.mu.Lock()
		if len(in.queue) == 0 || in.stopped {
			in.running, in.queue = false, nil
			in.mu.Unlock()
			return
		}
		a := in.queue[0]
		in.queue = in.queue[1:]
		in.mu.Unlock()
		if err := a.act(in.ctx); err != nil && in.ctx.Err() == nil {
			in.f.cfg.Events.Record(sim.Event{At: in.clock.Now(), Kind: sim.FaultFired, Source: "faults",
				Fault: a.name, Action: "deferred action failed", Err: err.Error(), Detail: "fault " + a.name + ": deferred action failed"})
		}
	}
}
