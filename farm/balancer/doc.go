// Package balancer is the connection-level (layer 4) load balancer that
// stands behind a farm's shared address: each accepted connection is
// spliced, whole, to one backend chosen by a Policy (round-robin, random,
// sticky on a client header, or pinned), skipping backends that are down
// when Failover is set.
//
//	b := balancer.New(balancer.Config{Policy: p, Backends: addrs, Failover: true, Rand: seed.Fork("balancer")})
//	if err := b.Start(ctx, "127.0.0.1:0"); err != nil { ... }
//	defer b.Close()
//	b.SetDown(1, true) // backend 2 is out of the rotation
//
// # Who owns what
//
// The balancer owns its listener, the spliced connections and the
// rotation; it knows backends only by index and address, never as nodes.
// Package farm (the topology) gives it the node addresses, marks nodes down
// (SetDown) when they die or their link is disabled, and answers
// Config.Healthy from the state of the node's toxiproxy link. Sticky
// routing reads StickyHeader (wire.HdrClientID), the header bitsim's client
// sends and package node uses to count a client's sessions.
package balancer
