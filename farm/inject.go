package farm

import (
	"context"
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/farm/proxy"
	"github.com/bitsim/bitsim/sim"
)

// Injector applies a fault schedule to a farm during a run and records a
// sim.FaultFired event (Fault: the fault's name, Action, Trigger) for
// each firing. Install one with Farm.Inject; a farm has at most one.
//
// How each trigger form is applied:
//
//   - Point with a Kill action: the node's own crash point is armed
//     (Node.Arm), so the node dies exactly there, writing nothing further.
//     Without a node named, every node is armed and the first to reach the
//     point dies (the others are disarmed).
//   - Point with another action, and Event: the injector watches the
//     farm's events, synchronously, and acts in the emitting goroutine
//     before the emitter continues (a link goes down exactly between a
//     notification and its answer).
//   - At: a timer on the farm's clock, from Inject.
//   - Bytes: a bits_watch toxic on the link.
type Injector struct {
	f     *Farm
	sched sim.Schedule
	clock sim.Clock

	mu      sync.Mutex
	counts  []int // matching events seen, per fault
	fired   []int // firings, per fault
	stopped bool
	timers  []sim.Timer
	unwatch []func()
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// Inject validates s and installs it. It replaces any previous injector.
func (f *Farm) Inject(s sim.Schedule) (*Injector, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	for i, ft := range s {
		if ft.Trigger.Point != "" {
			if _, err := faults.ParsePoint(ft.Trigger.Point); err != nil {
				return nil, fmt.Errorf("farm: fault %s: %w", s.FaultName(i), err)
			}
		}
		for _, n := range []string{ft.Trigger.Node, ft.Action.Node} {
			if n != "" && f.slot(n) == nil {
				return nil, fmt.Errorf("farm: fault %s: no node %q", s.FaultName(i), n)
			}
		}
		if l := ft.Action.Link; l != "" {
			if _, err := f.Link(l); err != nil {
				return nil, fmt.Errorf("farm: fault %s: %w", s.FaultName(i), err)
			}
		}
		if ft.Action.Kind == sim.ActAppCrash {
			if _, err := faults.ParseAppPoint(ft.Action.Point); err != nil {
				return nil, fmt.Errorf("farm: fault %s: %w", s.FaultName(i), err)
			}
		}
	}
	in := &Injector{f: f, sched: s, clock: f.cfg.Clock, counts: make([]int, len(s)), fired: make([]int, len(s))}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	f.mu.Lock()
	old := f.inj
	f.inj = in
	f.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	for i, ft := range s {
		i, ft := i, ft
		t := ft.Trigger
		switch {
		case t.Point != "" && ft.Action.Kind == sim.ActKill:
			p, _ := faults.ParsePoint(t.Point)
			for _, name := range in.pointNodes(ft) {
				if err := f.Arm(name, p, t.N()); err != nil {
					return nil, err
				}
			}
		case t.At > 0:
			in.mu.Lock()
			in.timers = append(in.timers, in.clock.AfterFunc(t.At, func() { in.fire(i, sim.Event{}) }))
			in.mu.Unlock()
		case t.Bytes > 0:
			l, err := f.Link(t.Link)
			if err != nil {
				return nil, err
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
				return nil, err
			}
			in.mu.Lock()
			in.unwatch = append(in.unwatch, unreg, func() { _ = l.RemoveToxic(tox.Name) })
			in.mu.Unlock()
		case t.Point == "" && t.Event == "":
			// No trigger: fire at once (a fault present from the start).
			in.fire(i, sim.Event{})
		}
	}
	return in, nil
}

// pointNodes are the nodes a point trigger concerns.
func (in *Injector) pointNodes(ft sim.Fault) []string {
	switch {
	case ft.Trigger.Node != "":
		return []string{ft.Trigger.Node}
	case ft.Action.Node != "":
		return []string{ft.Action.Node}
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
		t := ft.Trigger
		switch {
		case t.Point != "" && ft.Action.Kind == sim.ActKill:
			// The node killed itself at an armed point: record the firing.
			if e.Kind == sim.NodeCrashed && strings.EqualFold(e.Point, t.Point) && in.concerns(ft, e.Node) {
				in.fire(i, e)
			}
		case t.Point != "":
			if e.Kind == sim.CrashPoint && strings.EqualFold(e.Point, t.Point) && in.concerns(ft, e.Node) && in.count(i) {
				in.fire(i, e)
			}
		case t.Event != "":
			if e.Kind == t.Event && (t.Node == "" || t.Node == e.Node) &&
				(t.Packet == "" || strings.EqualFold(t.Packet, e.Packet)) &&
				(t.Status == 0 || t.Status == e.Status) && in.count(i) {
				in.fire(i, e)
			}
		}
	}
}

func (in *Injector) concerns(ft sim.Fault, node string) bool {
	for _, n := range in.pointNodes(ft) {
		if n == node {
			return true
		}
	}
	return false
}

// count counts a matching event for fault i and reports whether this is
// the one that fires it (the Nth).
func (in *Injector) count(i int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return false
	}
	in.counts[i]++
	return in.counts[i] == in.sched[i].Trigger.N()
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
	a := ft.Action
	name := in.sched.FaultName(i)
	target := a.Node
	if target == "" {
		target = ft.Trigger.Node
	}
	if target == "" {
		target = cause.Node
	}
	ev := sim.Event{At: in.clock.Now(), Kind: sim.FaultFired, Source: "faults", Node: target, Fault: name,
		Action: a.String(), Trigger: ft.Trigger.String(), Point: ft.Trigger.Point, Session: cause.Session,
		Detail: "fault " + name + ": " + a.String()}
	var err error
	switch a.Kind {
	case sim.ActKill:
		if ft.Trigger.Point != "" {
			// The node died at its armed point; disarm the others.
			if first {
				for _, n := range in.pointNodes(ft) {
					if n != target {
						if nd := in.f.Node(n); nd != nil {
							nd.Disarm()
						}
					}
				}
			}
		} else if s := in.f.slot(target); s != nil {
			// Synchronously dead (the emitter may be one of its handlers,
			// so do not wait for them here).
			in.f.killNow(s, cause.Session)
		}
		if a.RestartAfter > 0 {
			in.later(name, a.RestartAfter, func(ctx context.Context) error { return in.f.Restart(ctx, target) })
		}
	case sim.ActRestart:
		in.later(name, 0, func(ctx context.Context) error { return in.f.Restart(ctx, target) })
	case sim.ActLoseTail:
		// Dead now, exactly at the trigger; the tail is cut when its
		// handlers have ended, before the node restarts (Farm.Restart).
		if s := in.f.slot(target); s != nil {
			in.f.mu.Lock()
			s.tail = &node.KillOptions{LoseTail: a.Bytes, Session: cause.Session}
			in.f.mu.Unlock()
			in.f.killNow(s, cause.Session)
		}
	case sim.ActLinkDown, sim.ActLinkUp:
		if in.f.slot(a.Link) != nil {
			err = in.f.setDown(a.Link, a.Kind == sim.ActLinkDown)
		} else if l, lerr := in.f.Link(a.Link); lerr != nil {
			err = lerr
		} else if a.Kind == sim.ActLinkDown {
			err = l.Disable()
		} else {
			err = l.Enable()
		}
	case sim.ActAddToxic:
		var l *proxy.Link
		if l, err = in.f.Link(a.Link); err == nil {
			err = l.AddToxic(*a.Toxic)
		}
	case sim.ActRemoveToxic:
		var l *proxy.Link
		if l, err = in.f.Link(a.Link); err == nil {
			err = l.RemoveToxic(a.ToxicName)
		}
	case sim.ActDropSessions:
		if n := in.f.Node(target); n != nil {
			n.DropSessions("dropped by fault " + name)
		}
	case sim.ActAppLatency:
		in.f.app.SetLatency(a.Latency)
	case sim.ActAppReplyDelay:
		in.f.app.SetReplyDelay(a.Latency)
	case sim.ActAppStatus:
		in.f.app.SetStatus(a.Status, a.Times)
	case sim.ActAppCrash:
		p, _ := faults.ParseAppPoint(a.Point)
		in.f.app.SetCrash(p, max(a.Times, 1))
	case sim.ActAppRestart:
		in.f.app.Restart()
	}
	if err != nil {
		ev.Err = err.Error()
	}
	in.f.cfg.Events.Record(ev)
}

// later runs an action of fault name in the background after d of
// protocol time (a node restart must not run inside the dying node's
// handler). A failure is recorded as a fault.fired event with Err set.
func (in *Injector) later(name string, d time.Duration, act func(context.Context) error) {
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		if err := in.clock.Sleep(in.ctx, d); err != nil {
			return
		}
		if err := act(in.ctx); err != nil && in.ctx.Err() == nil {
			in.f.cfg.Events.Record(sim.Event{At: in.clock.Now(), Kind: sim.FaultFired, Source: "faults",
				Fault: name, Action: "deferred action failed", Err: err.Error(), Detail: "fault " + name + ": deferred action failed"})
		}
	}()
}
