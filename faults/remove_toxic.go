package faults

import "fmt"

// RemoveToxic removes a toxic, by name, from a link.
//
//	action: {kind: remove-toxic, link: shared, toxic_name: slow}
type RemoveToxic struct {
	Link      string `json:"link,omitempty" yaml:"link,omitempty"`
	ToxicName string `json:"toxic_name,omitempty" yaml:"toxic_name,omitempty"`
}

func init() { Register("remove-toxic", func() Action { return new(RemoveToxic) }) }

func (*RemoveToxic) Kind() string { return "remove-toxic" }
func (r *RemoveToxic) String() string {
	return describe("remove-toxic", "link", r.Link, "toxic", r.ToxicName)
}

func (r *RemoveToxic) Validate(top Topology, _ Trigger) error {
	if r.ToxicName == "" {
		return fmt.Errorf("remove-toxic needs a link and toxic_name")
	}
	return needLink("remove-toxic", r.Link, top)
}

func (r *RemoveToxic) Apply(f *Firing) error {
	l, err := f.Target.Link(r.Link)
	if err != nil {
		return err
	}
	return l.RemoveToxic(r.ToxicName)
}
