package faults

// DropSessions makes a node forget every session (resource pressure, the
// same effect as a time-out): the next packet of any of them gets
// BG_E_SESSION_NOT_FOUND.
//
//	action: {kind: drop-sessions, node: node1}
type DropSessions struct {
	Node string `json:"node,omitempty" yaml:"node,omitempty"`
}

func init() { Register("drop-sessions", func() Action { return new(DropSessions) }) }

func (*DropSessions) Kind() string         { return "drop-sessions" }
func (d *DropSessions) TargetNode() string { return d.Node }
func (d *DropSessions) String() string     { return describe("drop-sessions", "node", d.Node) }
func (d *DropSessions) Validate(top Topology, t Trigger) error {
	return needNode("drop-sessions", d.Node, top, t)
}

func (d *DropSessions) Apply(f *Firing) error {
	f.Target.DropSessions(f.Node, "dropped by fault "+f.Fault)
	return nil
}
