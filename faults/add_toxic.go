package faults

import (
	"fmt"

	"github.com/bitsim/bitsim/sim"
)

// AddToxic adds a network toxic (toxiproxy's, or one of bitsim's bits_*
// toxics, see package farm/proxy) to a link.
//
//	action: {kind: add-toxic, link: shared, toxic: {type: bits_drop_ack, attributes: {skip: 2, times: 1}}}
type AddToxic struct {
	Link  string     `json:"link,omitempty" yaml:"link,omitempty"`
	Toxic *sim.Toxic `json:"toxic,omitempty" yaml:"toxic,omitempty"`
}

func init() { Register("add-toxic", func() Action { return new(AddToxic) }) }

func (*AddToxic) Kind() string { return "add-toxic" }
func (a *AddToxic) String() string {
	s := describe("add-toxic", "link", a.Link)
	if a.Toxic != nil {
		s += fmt.Sprintf(" toxic=%s(%s %v)", a.Toxic.Type, a.Toxic.Stream, a.Toxic.Attributes)
	}
	return s
}

func (a *AddToxic) Validate(top Topology, _ Trigger) error {
	if a.Toxic == nil || a.Toxic.Type == "" {
		return fmt.Errorf("add-toxic needs a link and a toxic type")
	}
	return needLink("add-toxic", a.Link, top)
}

func (a *AddToxic) Apply(f *Firing) error {
	l, err := f.Target.Link(a.Link)
	if err != nil {
		return err
	}
	return l.AddToxic(*a.Toxic)
}
