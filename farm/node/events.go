package node

import (
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// emit stamps e with the node's clock and name and records it.
func (n *Node) emit(e sim.Event) {
	e.At = n.clock.Now()
	e.Source = n.cfg.Name
	e.Node = n.cfg.Name
	n.cfg.Events.Record(e)
}

// ackEvent describes a written Ack. One with a BITS-Host-Id names it in
// HostID, with the fallback time-out it sent in Duration (0: none), for
// judges of external clients (check.ClientHostID).
func ackEvent(p packet, a wire.Ack) sim.Event {
	e := sim.Event{Kind: sim.AckSent, Session: p.session, Packet: p.typeName, Status: a.Status, HostID: a.HostID}
	if a.HostID != "" && a.HasFallback {
		e.Duration = time.Duration(a.FallbackTimeout) * time.Second
	}
	if a.HasError {
		e.Code, e.Context = a.Code.Hex(), a.Context.Hex()
	}
	if a.HasReceived {
		e.Offset = a.Received
	}
	if a.ReplyURL != "" {
		e.Detail = "reply " + a.ReplyURL
	}
	return e
}
