package faults

import "fmt"

// LoseTail kills a node at the trigger as a machine crash would: its
// sessions also lose their last Bytes unflushed bytes (cut when its
// handlers have ended, before it restarts), so the client must rewind.
//
//	action: {kind: lose-tail, node: node1, bytes: 100000}
type LoseTail struct {
	Node  string `json:"node,omitempty" yaml:"node,omitempty"`
	Bytes int64  `json:"bytes,omitempty" yaml:"bytes,omitempty"`
}

func init() { Register("lose-tail", func() Action { return new(LoseTail) }) }

func (*LoseTail) Kind() string         { return "lose-tail" }
func (l *LoseTail) TargetNode() string { return l.Node }
func (l *LoseTail) String() string {
	return describe("lose-tail", "node", l.Node, "bytes", l.Bytes)
}

func (l *LoseTail) Validate(top Topology, t Trigger) error {
	if l.Bytes < 0 {
		return fmt.Errorf("lose-tail: negative bytes")
	}
	return needNode("lose-tail", l.Node, top, t)
}

func (l *LoseTail) Apply(f *Firing) error {
	f.Target.KillNode(f.Node, f.Cause.Session, l.Bytes)
	return nil
}
