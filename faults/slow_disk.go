package faults

import (
	"fmt"
	"time"
)

// SlowDisk makes a node's disk slow: each of its next Times Fragment
// writes (0: all of them) takes Delay of extra protocol time, measured on
// the node's clock, before the bytes are written. The client sees
// fragments acknowledged late (a response guard may fire, and then the
// fragment is retried); Delay 0 restores normal writes. A restarted node
// writes normally.
//
//	action: {kind: slow-disk, node: node1, delay: 30s, times: 1}
type SlowDisk struct {
	Node  string        `json:"node,omitempty" yaml:"node,omitempty"`
	Delay time.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
	Times int           `json:"times,omitempty" yaml:"times,omitempty"`
}

func init() { Register("slow-disk", func() Action { return new(SlowDisk) }) }

func (*SlowDisk) Kind() string         { return "slow-disk" }
func (s *SlowDisk) TargetNode() string { return s.Node }
func (s *SlowDisk) String() string {
	return describe("slow-disk", "node", s.Node, "delay", s.Delay, "times", s.Times)
}

func (s *SlowDisk) Validate(top Topology, t Trigger) error {
	if s.Delay < 0 || s.Times < 0 {
		return fmt.Errorf("slow-disk: negative delay or times")
	}
	return needNode("slow-disk", s.Node, top, t)
}

func (s *SlowDisk) Apply(f *Firing) error {
	f.Target.SlowDisk(f.Node, s.Delay, s.Times)
	return nil
}
