package sim

import (
	"context"
	"net"
)

// Network is how every bitsim component listens and dials. The farm, nodes,
// app and clients never call net.Listen or net.Dial directly, so an
// in-memory transport can replace TCP without touching them.
type Network interface {
	Listen(ctx context.Context, network, address string) (net.Listener, error)
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// TCP is the real loopback network.
type TCP struct{}

var _ Network = TCP{}

// Listen implements Network.
func (TCP) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, address)
}

// DialContext implements Network.
func (TCP) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// OrTCP returns n, or TCP if n is nil.
func OrTCP(n Network) Network {
	if n == nil {
		return TCP{}
	}
	return n
}

// Namer is a Network whose dials can carry the dialer's identity (the
// exact tier's memnet orders connections by it).
type Namer interface {
	WithName(id string) Network
}

// Named returns n dialing as id if n supports identities, else n.
func Named(n Network, id string) Network {
	if nn, ok := n.(Namer); ok {
		return nn.WithName(id)
	}
	return n
}
