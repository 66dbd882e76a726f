package sim

import (
	"fmt"
	"strings"
	"time"
)

// A Schedule is a run's faults, as data: a list of {trigger, action}. The
// farm's injector applies it during a run and records a FaultFired event
// for each firing; a fault that never fired is reported by the checkers, so
// a green run cannot hide a fault that did nothing. Schedules are saved with
// a run and replayed with its seed.
type Schedule []Fault

// Fault is one schedule entry.
type Fault struct {
	// Name identifies the fault in events and reports; empty means "fN"
	// (its 1-based position).
	Name    string  `json:"name,omitempty" yaml:"name,omitempty"`
	Trigger Trigger `json:"trigger" yaml:"trigger"`
	Action  Action  `json:"action" yaml:"action"`
	// Optional marks a fault that may legitimately not fire (e.g. a random
	// schedule's fault aimed past the end of a short upload).
	Optional bool `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// Trigger says when a fault fires. Exactly one of its forms is used:
//
//   - Point (+ Node, Nth): the named crash point is reached for the Nth
//     time (1 if zero) on Node (any node if empty). With a Kill action the
//     node dies at that instant, before it writes anything further; other
//     actions run synchronously at that point.
//   - Event (+ Node, Packet, Status, Nth): the Nth event of that kind
//     matching the given fields; the action runs synchronously, in the
//     emitting goroutine, before the emitter continues.
//   - At: this much protocol time after the run started.
//   - Bytes (+ Link): after that many bytes crossed the link (requests,
//     i.e. upstream, unless Stream says otherwise).
type Trigger struct {
	Point  string        `json:"point,omitempty" yaml:"point,omitempty"`
	Event  Kind          `json:"event,omitempty" yaml:"event,omitempty"`
	Node   string        `json:"node,omitempty" yaml:"node,omitempty"`
	Packet string        `json:"packet,omitempty" yaml:"packet,omitempty"`
	Status int           `json:"status,omitempty" yaml:"status,omitempty"`
	Nth    int           `json:"nth,omitempty" yaml:"nth,omitempty"`
	At     time.Duration `json:"at,omitempty" yaml:"at,omitempty"`
	Bytes  int64         `json:"bytes,omitempty" yaml:"bytes,omitempty"`
	Link   string        `json:"link,omitempty" yaml:"link,omitempty"`
	Stream Direction     `json:"stream,omitempty" yaml:"stream,omitempty"`
}

// N returns Nth, or 1 if unset.
func (t Trigger) N() int { return max(t.Nth, 1) }

func (t Trigger) String() string {
	on := ""
	if t.Node != "" {
		on = " on " + t.Node
	}
	switch {
	case t.Point != "":
		return fmt.Sprintf("crash point %s reached (#%d)%s", t.Point, t.N(), on)
	case t.Event != "":
		s := fmt.Sprintf("event %s #%d%s", t.Event, t.N(), on)
		if t.Packet != "" {
			s += " packet " + t.Packet
		}
		if t.Status != 0 {
			s += fmt.Sprintf(" status %d", t.Status)
		}
		return s
	case t.Bytes > 0:
		return fmt.Sprintf("%d bytes on link %s", t.Bytes, t.Link)
	}
	return fmt.Sprintf("protocol time +%s", t.At)
}

// ActionKind names what a fault does.
type ActionKind string

// Actions.
const (
	ActKill          ActionKind = "kill"            // kill Node abruptly (at the trigger point)
	ActRestart       ActionKind = "restart"         // restart Node on its storage
	ActLinkDown      ActionKind = "link-down"       // disable Link (refuse and cut connections)
	ActLinkUp        ActionKind = "link-up"         // enable Link
	ActAddToxic      ActionKind = "add-toxic"       // add Toxic on Link
	ActRemoveToxic   ActionKind = "remove-toxic"    // remove toxic named ToxicName from Link
	ActLoseTail      ActionKind = "lose-tail"       // Node's sessions lose their last Bytes unflushed bytes (with kill)
	ActDropSessions  ActionKind = "drop-sessions"   // Node drops every session (resource pressure, same effect as a time-out)
	ActAppLatency    ActionKind = "app-latency"     // the app answers after Latency
	ActAppReplyDelay ActionKind = "app-reply-delay" // the app applies its effect, then waits Latency before answering
	ActAppStatus     ActionKind = "app-status"      // the app answers Status to the next Times notifications (0 = all)
	ActAppCrash      ActionKind = "app-crash"       // the app dies at Point ("after-processing", ...)
	ActAppRestart    ActionKind = "app-restart"     // the app comes back
)

// Action is what a fault does when its trigger fires.
type Action struct {
	Kind ActionKind `json:"kind" yaml:"kind"`
	Node string     `json:"node,omitempty" yaml:"node,omitempty"`
	// RestartAfter, with Kill, restarts the node this much protocol time
	// later (0: it stays down until a Restart action or the end of the run).
	RestartAfter time.Duration `json:"restart_after,omitempty" yaml:"restart_after,omitempty"`
	Link         string        `json:"link,omitempty" yaml:"link,omitempty"`
	Toxic        *Toxic        `json:"toxic,omitempty" yaml:"toxic,omitempty"`
	ToxicName    string        `json:"toxic_name,omitempty" yaml:"toxic_name,omitempty"`
	Latency      time.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
	Status       int           `json:"status,omitempty" yaml:"status,omitempty"`
	Times        int           `json:"times,omitempty" yaml:"times,omitempty"`
	Point        string        `json:"point,omitempty" yaml:"point,omitempty"`
	Bytes        int64         `json:"bytes,omitempty" yaml:"bytes,omitempty"`
}

func (a Action) String() string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	for _, kv := range [][2]string{{"node", a.Node}, {"link", a.Link}, {"toxic", a.ToxicName}, {"point", a.Point}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
		}
	}
	if a.Toxic != nil {
		fmt.Fprintf(&b, " toxic=%s(%s %v)", a.Toxic.Type, a.Toxic.Stream, a.Toxic.Attributes)
	}
	if a.RestartAfter > 0 {
		fmt.Fprintf(&b, " restart_after=%s", a.RestartAfter)
	}
	if a.Latency > 0 {
		fmt.Fprintf(&b, " latency=%s", a.Latency)
	}
	if a.Status != 0 {
		fmt.Fprintf(&b, " status=%d", a.Status)
	}
	if a.Times != 0 {
		fmt.Fprintf(&b, " times=%d", a.Times)
	}
	if a.Bytes != 0 {
		fmt.Fprintf(&b, " bytes=%d", a.Bytes)
	}
	return b.String()
}

// FaultName returns f's name, or "fN" for the i-th (0-based) entry.
func (s Schedule) FaultName(i int) string {
	if s[i].Name != "" {
		return s[i].Name
	}
	return fmt.Sprintf("f%d", i+1)
}

// Validate checks every entry has exactly one trigger form and a known
// action with the fields it needs.
func (s Schedule) Validate() error {
	for i, f := range s {
		name := s.FaultName(i)
		forms := 0
		for _, set := range []bool{f.Trigger.Point != "", f.Trigger.Event != "", f.Trigger.At > 0, f.Trigger.Bytes > 0} {
			if set {
				forms++
			}
		}
		if forms > 1 {
			return fmt.Errorf("sim: fault %s: more than one trigger form", name)
		}
		if f.Trigger.Bytes > 0 && f.Trigger.Link == "" {
			return fmt.Errorf("sim: fault %s: a bytes trigger needs a link", name)
		}
		a := f.Action
		switch a.Kind {
		case ActKill, ActRestart, ActLoseTail, ActDropSessions:
			if a.Node == "" && f.Trigger.Node == "" && f.Trigger.Point == "" {
				return fmt.Errorf("sim: fault %s: %s needs a node", name, a.Kind)
			}
		case ActLinkDown, ActLinkUp:
			if a.Link == "" {
				return fmt.Errorf("sim: fault %s: %s needs a link", name, a.Kind)
			}
		case ActAddToxic:
			if a.Link == "" || a.Toxic == nil || a.Toxic.Type == "" {
				return fmt.Errorf("sim: fault %s: add-toxic needs a link and a toxic type", name)
			}
		case ActRemoveToxic:
			if a.Link == "" || a.ToxicName == "" {
				return fmt.Errorf("sim: fault %s: remove-toxic needs a link and toxic_name", name)
			}
		case ActAppLatency, ActAppReplyDelay, ActAppStatus, ActAppCrash, ActAppRestart:
		default:
			return fmt.Errorf("sim: fault %s: unknown action %q", name, a.Kind)
		}
	}
	return nil
}
