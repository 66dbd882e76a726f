package faults

import (
	"fmt"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// A Trigger says when a fault fires. Each form is a small type; a nil
// Trigger (or After{0}) fires once, as the schedule is installed.
type Trigger interface {
	// String describes the trigger for events and reports.
	String() string
	// On is the node the trigger names, or "".
	On() string
	validate() error
}

// AtPoint fires when crash point Point is reached for the Nth time (1 if
// zero) on Node (any node if empty). With a Kill action the node dies at
// that instant, before it writes anything further (the injector arms the
// point on the node); other actions run synchronously there.
type AtPoint struct {
	Point Point
	Node  string
	Nth   int
}

// OnEvent fires on the Nth event (1 if zero) of kind Kind that matches the
// set fields; the action runs synchronously in the emitting goroutine,
// before the emitter continues.
type OnEvent struct {
	Kind   sim.Kind
	Node   string
	Packet string // case-insensitive
	Status int
	Nth    int
}

// After fires once, D of protocol time after the schedule is installed.
type After struct{ D time.Duration }

// OnBytes fires once Bytes bytes have crossed link Link in direction
// Stream (upstream, the requests, if empty).
type OnBytes struct {
	Link   string
	Bytes  int64
	Stream sim.Direction
}

// N returns Nth, or 1 if unset.
func (t AtPoint) N() int { return max(t.Nth, 1) }

// N returns Nth, or 1 if unset.
func (t OnEvent) N() int { return max(t.Nth, 1) }

func on(node string) string {
	if node == "" {
		return ""
	}
	return " on " + node
}

func (t AtPoint) String() string {
	return fmt.Sprintf("crash point %s reached (#%d)%s", t.Point, t.N(), on(t.Node))
}

func (t OnEvent) String() string {
	s := fmt.Sprintf("event %s #%d%s", t.Kind, t.N(), on(t.Node))
	if t.Packet != "" {
		s += " packet " + t.Packet
	}
	if t.Status != 0 {
		s += fmt.Sprintf(" status %d", t.Status)
	}
	return s
}

func (t After) String() string   { return fmt.Sprintf("protocol time +%s", t.D) }
func (t OnBytes) String() string { return fmt.Sprintf("%d bytes on link %s", t.Bytes, t.Link) }

func (t AtPoint) On() string { return t.Node }
func (t OnEvent) On() string { return t.Node }
func (After) On() string     { return "" }
func (OnBytes) On() string   { return "" }

func (t AtPoint) validate() error {
	if t.Point == NoPoint {
		return fmt.Errorf("a point trigger needs a crash point")
	}
	return nil
}
func (t OnEvent) validate() error {
	if t.Kind == "" {
		return fmt.Errorf("an event trigger needs an event kind")
	}
	return nil
}
func (t After) validate() error {
	if t.D < 0 {
		return fmt.Errorf("negative trigger time %s", t.D)
	}
	return nil
}
func (t OnBytes) validate() error {
	if t.Link == "" || t.Bytes <= 0 {
		return fmt.Errorf("a bytes trigger needs a link and a positive byte count")
	}
	return nil
}

// Matches reports whether e is a reach of the point on node (the caller
// decides which nodes a trigger without a node concerns).
func (t AtPoint) Matches(e sim.Event) bool {
	return e.Kind == sim.CrashPoint && strings.EqualFold(e.Point, t.Point.String())
}

// Matches reports whether e is an event the trigger counts.
func (t OnEvent) Matches(e sim.Event) bool {
	return e.Kind == t.Kind && (t.Node == "" || t.Node == e.Node) &&
		(t.Packet == "" || strings.EqualFold(t.Packet, e.Packet)) && (t.Status == 0 || t.Status == e.Status)
}

// triggerData is a trigger's saved form, unchanged since the first saved
// runs: one flat object whose set fields say which form it is.
type triggerData struct {
	Point  string        `json:"point,omitempty" yaml:"point,omitempty"`
	Event  sim.Kind      `json:"event,omitempty" yaml:"event,omitempty"`
	Node   string        `json:"node,omitempty" yaml:"node,omitempty"`
	Packet string        `json:"packet,omitempty" yaml:"packet,omitempty"`
	Status int           `json:"status,omitempty" yaml:"status,omitempty"`
	Nth    int           `json:"nth,omitempty" yaml:"nth,omitempty"`
	At     time.Duration `json:"at,omitempty" yaml:"at,omitempty"`
	Bytes  int64         `json:"bytes,omitempty" yaml:"bytes,omitempty"`
	Link   string        `json:"link,omitempty" yaml:"link,omitempty"`
	Stream sim.Direction `json:"stream,omitempty" yaml:"stream,omitempty"`
}

// trigger parses the saved form: exactly one of point, event, at and bytes
// may be set (none: at once); crash point names are parsed here, once.
func (d triggerData) trigger() (Trigger, error) {
	forms := 0
	for _, set := range []bool{d.Point != "", d.Event != "", d.At != 0, d.Bytes != 0} {
		if set {
			forms++
		}
	}
	if forms > 1 {
		return nil, fmt.Errorf("more than one trigger form")
	}
	extra := func(ok bool, form string) error {
		if !ok {
			return fmt.Errorf("a %s trigger takes no other fields (%+v)", form, d)
		}
		return nil
	}
	switch {
	case d.Point != "":
		p, err := ParsePoint(d.Point)
		if err != nil {
			return nil, err
		}
		return AtPoint{Point: p, Node: d.Node, Nth: d.Nth}, extra(d.Packet == "" && d.Status == 0 && d.Link == "" && d.Stream == "", "point")
	case d.Event != "":
		return OnEvent{Kind: d.Event, Node: d.Node, Packet: d.Packet, Status: d.Status, Nth: d.Nth}, extra(d.Link == "" && d.Stream == "", "event")
	case d.Bytes != 0:
		return OnBytes{Link: d.Link, Bytes: d.Bytes, Stream: d.Stream}, extra(d.Node == "" && d.Packet == "" && d.Status == 0 && d.Nth == 0, "bytes")
	case d.At != 0:
		return After{D: d.At}, extra(d == triggerData{At: d.At}, "time")
	}
	return nil, extra(d == triggerData{}, "time")
}

// data returns t's saved form.
func data(t Trigger) triggerData {
	switch t := t.(type) {
	case AtPoint:
		return triggerData{Point: t.Point.String(), Node: t.Node, Nth: t.Nth}
	case OnEvent:
		return triggerData{Event: t.Kind, Node: t.Node, Packet: t.Packet, Status: t.Status, Nth: t.Nth}
	case After:
		return triggerData{At: t.D}
	case OnBytes:
		return triggerData{Link: t.Link, Bytes: t.Bytes, Stream: t.Stream}
	}
	return triggerData{}
}
