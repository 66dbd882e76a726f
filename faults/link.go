package faults

// LinkDown disables a link: new connections are refused and live ones
// cut. Naming a node's link ("node1") also takes the node out of the
// balancer's rotation.
//
//	action: {kind: link-down, link: shared}
type LinkDown struct {
	Link string `json:"link,omitempty" yaml:"link,omitempty"`
}

// LinkUp enables a link again.
//
//	action: {kind: link-up, link: shared}
type LinkUp struct {
	Link string `json:"link,omitempty" yaml:"link,omitempty"`
}

func init() {
	Register("link-down", func() Action { return new(LinkDown) })
	Register("link-up", func() Action { return new(LinkUp) })
}

func (*LinkDown) Kind() string                             { return "link-down" }
func (l *LinkDown) String() string                         { return describe("link-down", "link", l.Link) }
func (l *LinkDown) Validate(top Topology, _ Trigger) error { return needLink("link-down", l.Link, top) }
func (l *LinkDown) Apply(f *Firing) error                  { return f.Target.SetDown(l.Link, true) }

func (*LinkUp) Kind() string                             { return "link-up" }
func (l *LinkUp) String() string                         { return describe("link-up", "link", l.Link) }
func (l *LinkUp) Validate(top Topology, _ Trigger) error { return needLink("link-up", l.Link, top) }
func (l *LinkUp) Apply(f *Firing) error                  { return f.Target.SetDown(l.Link, false) }
