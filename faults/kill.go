package faults

import (
	"context"
	"time"
)

// Kill kills a node abruptly: no Ack, connections reset, nothing further
// written. With a point trigger the node dies exactly at the crash point
// (the injector arms the point on the node; the first node to reach it
// dies and the others are disarmed); otherwise it dies when the trigger
// fires.
//
//	action: {kind: kill, node: node1, restart_after: 10m}
type Kill struct {
	// Node to kill; default the trigger's node, or the node reaching the
	// point, or the node of the triggering event.
	Node string `json:"node,omitempty" yaml:"node,omitempty"`
	// RestartAfter restarts it this much protocol time later (0: it stays
	// down until a restart action or the end of the run).
	RestartAfter time.Duration `json:"restart_after,omitempty" yaml:"restart_after,omitempty"`
}

func init() { Register("kill", func() Action { return new(Kill) }) }

func (*Kill) Kind() string         { return "kill" }
func (k *Kill) TargetNode() string { return k.Node }
func (k *Kill) String() string {
	return describe("kill", "node", k.Node, "restart_after", k.RestartAfter)
}

// ArmsPoint tells the injector to arm a point trigger on the node rather
// than act when the point is reported.
func (*Kill) ArmsPoint() {}

func (k *Kill) Validate(top Topology, t Trigger) error { return needNode("kill", k.Node, top, t) }

func (k *Kill) Apply(f *Firing) error {
	if _, point := f.Trig.(AtPoint); point {
		// The node died at its armed point; disarm the others.
		if f.First {
			for _, n := range f.Armed {
				if n != f.Node {
					f.Target.Disarm(n)
				}
			}
		}
	} else {
		f.Target.KillNode(f.Node, f.Cause.Session, 0)
	}
	if k.RestartAfter > 0 {
		node := f.Node
		f.Later(k.RestartAfter, func(ctx context.Context) error { return f.Target.RestartNode(ctx, node) })
	}
	return nil
}
