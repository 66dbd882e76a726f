package faults

import "fmt"

// NodeStatus makes a node answer Status, with Header and no BITS headers
// (as a front end, proxy or authentication layer in front of it would), to
// the Nth packet of type Packet (wire spelling; "" any type) it receives
// after the fault fires, instead of processing it. The client classifies
// the answer by docs/protocol.md §6.5 (3xx, 401/407, 505 ...). It answers
// once; a restarted node has no such setting.
//
//	action: {kind: node-status, node: node1, packet: Fragment, nth: 2, status: 302, header: {Location: "http://elsewhere/"}}
type NodeStatus struct {
	Node   string            `json:"node,omitempty" yaml:"node,omitempty"`
	Packet string            `json:"packet,omitempty" yaml:"packet,omitempty"`
	Nth    int               `json:"nth,omitempty" yaml:"nth,omitempty"`
	Status int               `json:"status,omitempty" yaml:"status,omitempty"`
	Header map[string]string `json:"header,omitempty" yaml:"header,omitempty"`
}

func init() { Register("node-status", func() Action { return new(NodeStatus) }) }

func (*NodeStatus) Kind() string         { return "node-status" }
func (s *NodeStatus) TargetNode() string { return s.Node }
func (s *NodeStatus) String() string {
	return describe("node-status", "node", s.Node, "packet", s.Packet, "nth", s.Nth, "status", s.Status)
}

func (s *NodeStatus) Validate(top Topology, t Trigger) error {
	if s.Status < 100 || s.Status > 599 || s.Nth < 0 {
		return fmt.Errorf("node-status: status %d, nth %d", s.Status, s.Nth)
	}
	return needNode("node-status", s.Node, top, t)
}

func (s *NodeStatus) Apply(f *Firing) error {
	f.Target.AnswerStatus(f.Node, s.Packet, s.Nth, s.Status, s.Header)
	return nil
}
