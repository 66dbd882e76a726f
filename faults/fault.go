package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A Schedule is a run's faults, as data: a list of {trigger, action}. The
// farm's injector applies it during a run and records a sim.FaultFired
// event for each firing; a fault that never fired is reported by the
// checkers, so a green run cannot hide a fault that did nothing. Schedules
// are saved with a run (scenario.json) and replayed with its seed.
type Schedule []Fault

// Fault is one schedule entry. Its saved form is
//
//	{"name": "...", "trigger": {"point": "after-write", "node": "node1"},
//	 "action": {"kind": "kill", "restart_after": 600000000000}, "optional": true}
//
// where the trigger is one flat object (point | event | at | bytes, with
// their qualifiers) and the action holds its kind and its parameters.
type Fault struct {
	// Name identifies the fault in events and reports; empty means "fN"
	// (its 1-based position).
	Name    string
	Trigger Trigger // nil: at once
	Action  Action
	// Optional marks a fault that may legitimately not fire (e.g. a random
	// schedule's fault aimed past the end of a short upload).
	Optional bool
}

// When describes the trigger ("protocol time +0s" for at once).
func (f Fault) When() string {
	if f.Trigger == nil {
		return After{}.String()
	}
	return f.Trigger.String()
}

// What describes the action.
func (f Fault) What() string {
	if f.Action == nil {
		return "nothing"
	}
	return f.Action.String()
}

// Node is the node the fault names, in its action or its trigger, or "".
func (f Fault) Node() string {
	if a, ok := f.Action.(NodeAction); ok && a.TargetNode() != "" {
		return a.TargetNode()
	}
	if f.Trigger != nil {
		return f.Trigger.On()
	}
	return ""
}

// FaultName returns the i-th fault's name, or "fN" for an unnamed one.
func (s Schedule) FaultName(i int) string {
	if s[i].Name != "" {
		return s[i].Name
	}
	return fmt.Sprintf("f%d", i+1)
}

// Validate checks every fault's trigger and action; with a non-nil
// Topology, also that the nodes and links they name exist.
func (s Schedule) Validate(top Topology) error {
	for i, f := range s {
		if err := f.validate(top); err != nil {
			return fmt.Errorf("faults: fault %s: %w", s.FaultName(i), err)
		}
	}
	return nil
}

func (f Fault) validate(top Topology) error {
	if f.Action == nil {
		return fmt.Errorf("no action")
	}
	if f.Trigger != nil {
		if err := f.Trigger.validate(); err != nil {
			return err
		}
		if n := f.Trigger.On(); n != "" && top != nil && !top.HasNode(n) {
			return fmt.Errorf("no node %q", n)
		}
		if b, ok := f.Trigger.(OnBytes); ok && top != nil && !top.HasLink(b.Link) {
			return fmt.Errorf("no link %q", b.Link)
		}
	}
	return f.Action.Validate(top, f.Trigger)
}

// faultData is a fault's saved form.
type faultData[A any] struct {
	Name     string      `json:"name,omitempty" yaml:"name,omitempty"`
	Trigger  triggerData `json:"trigger" yaml:"trigger"`
	Action   A           `json:"action" yaml:"action"`
	Optional bool        `json:"optional,omitempty" yaml:"optional,omitempty"`
}

// MarshalJSON writes the saved form.
func (f Fault) MarshalJSON() ([]byte, error) {
	a, err := actionJSON(f.Action)
	if err != nil {
		return nil, err
	}
	return json.Marshal(faultData[json.RawMessage]{Name: f.Name, Trigger: data(f.Trigger), Action: a, Optional: f.Optional})
}

// UnmarshalJSON reads the saved form; unknown fields are errors.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var d faultData[json.RawMessage]
	if err := strictJSON(b, &d); err != nil {
		return err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(d.Action, &head); err != nil {
		return fmt.Errorf("faults: action: %w", err)
	}
	a, err := New(head.Kind)
	if err != nil {
		return err
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(d.Action, &params); err != nil {
		return fmt.Errorf("faults: action: %w", err)
	}
	delete(params, "kind")
	rest, _ := json.Marshal(params)
	if err := strictJSON(rest, a); err != nil {
		return fmt.Errorf("faults: action %s: %w", head.Kind, err)
	}
	return f.set(d.Name, d.Trigger, a, d.Optional)
}

// MarshalYAML writes the saved form.
func (f Fault) MarshalYAML() (any, error) {
	if f.Action == nil {
		return nil, fmt.Errorf("faults: fault %q has no action", f.Name)
	}
	var a yaml.Node
	if err := a.Encode(f.Action); err != nil {
		return nil, err
	}
	kind := []*yaml.Node{{Kind: yaml.ScalarNode, Value: "kind"}, {Kind: yaml.ScalarNode, Value: f.Action.Kind()}}
	a.Content = append(kind, a.Content...)
	return faultData[*yaml.Node]{Name: f.Name, Trigger: data(f.Trigger), Action: &a, Optional: f.Optional}, nil
}

// UnmarshalYAML reads the saved form; unknown fields are errors.
func (f *Fault) UnmarshalYAML(n *yaml.Node) error {
	var d faultData[yaml.Node]
	if err := strictYAML(n, &d); err != nil {
		return err
	}
	if d.Action.Kind != yaml.MappingNode {
		return fmt.Errorf("faults: line %d: an action is a mapping with a kind", n.Line)
	}
	params := d.Action
	params.Content = nil
	kind := ""
	for i := 0; i+1 < len(d.Action.Content); i += 2 {
		if k := d.Action.Content[i]; k.Value == "kind" {
			kind = d.Action.Content[i+1].Value
		} else {
			params.Content = append(params.Content, k, d.Action.Content[i+1])
		}
	}
	a, err := New(kind)
	if err != nil {
		return err
	}
	if err := strictYAML(&params, a); err != nil {
		return fmt.Errorf("faults: action %s: %w", kind, err)
	}
	return f.set(d.Name, d.Trigger, a, d.Optional)
}

func (f *Fault) set(name string, td triggerData, a Action, optional bool) error {
	t, err := td.trigger()
	if err != nil {
		return fmt.Errorf("faults: fault %s: %w", name, err)
	}
	*f = Fault{Name: name, Trigger: t, Action: a, Optional: optional}
	return nil
}

// actionJSON is {"kind": ..., parameters...}.
func actionJSON(a Action) (json.RawMessage, error) {
	if a == nil {
		return nil, fmt.Errorf("faults: a fault without an action")
	}
	params, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	kind, _ := json.Marshal(a.Kind())
	out := append([]byte(`{"kind":`), kind...)
	if len(params) > 2 { // not {}
		out = append(append(out, ','), params[1:len(params)-1]...)
	}
	return append(out, '}'), nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// strictYAML decodes n into v, refusing unknown fields (yaml.Node.Decode
// does not honour the outer decoder's KnownFields).
func strictYAML(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// describe is the String of an action: its kind, then the non-zero
// parameters as key=value, in the order given.
func describe(kind string, kv ...any) string {
	var b strings.Builder
	b.WriteString(kind)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if v == nil || reflect.ValueOf(v).IsZero() {
			continue
		}
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		fmt.Fprintf(&b, " %s=%v", kv[i], v)
	}
	return b.String()
}

// needNode checks an action aimed at node (or, if empty, at the trigger's
// node or the node reaching a point) has one, and that it exists.
func needNode(kind, node string, top Topology, t Trigger) error {
	if node == "" {
		if t != nil && t.On() != "" {
			return nil
		}
		if _, point := t.(AtPoint); point {
			return nil
		}
		return fmt.Errorf("%s needs a node", kind)
	}
	if top != nil && !top.HasNode(node) {
		return fmt.Errorf("no node %q", node)
	}
	return nil
}

// needLink checks an action's link is set and exists.
func needLink(kind, link string, top Topology) error {
	if link == "" {
		return fmt.Errorf("%s needs a link", kind)
	}
	if top != nil && !top.HasLink(link) {
		return fmt.Errorf("no link %q", link)
	}
	return nil
}
