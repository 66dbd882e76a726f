package faults

import "context"

// Restart brings a dead node back on its storage (in the background, as
// soon as its handlers have ended).
//
//	action: {kind: restart, node: node1}
type Restart struct {
	Node string `json:"node,omitempty" yaml:"node,omitempty"` // default: the trigger's node
}

func init() { Register("restart", func() Action { return new(Restart) }) }

func (*Restart) Kind() string                             { return "restart" }
func (r *Restart) TargetNode() string                     { return r.Node }
func (r *Restart) String() string                         { return describe("restart", "node", r.Node) }
func (r *Restart) Validate(top Topology, t Trigger) error { return needNode("restart", r.Node, top, t) }

func (r *Restart) Apply(f *Firing) error {
	node := f.Node
	f.Later(0, func(ctx context.Context) error { return f.Target.RestartNode(ctx, node) })
	return nil
}
