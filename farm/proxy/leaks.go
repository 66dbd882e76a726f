package proxy

// LeakyTopFunctions returns the top functions of the goroutines toxiproxy
// v2.5.0 leaks on the links it runs itself, those created through the REST
// API (links added with Add do not leak, see the package documentation),
// for goleak.IgnoreTopFunction (this package does not import goleak). They
// survive Remove and Close. Two bugs cause them:
//
//   - The built-in limit_data and reset_peer return without draining their
//     input when they close a connection, so the stage before them (the
//     chain's head noop) blocks forever sending the next chunk, and the
//     link's reader (ChanWriter.Write) behind it. bits_limit_data_safe and
//     bits_reset_safe do not leak.
//   - When writing to a connection's destination fails (Link.Disable,
//     Server.Remove or Close, or a peer reset while data is in flight),
//     toxiproxy's link writer returns without draining its chain, so the
//     chain's last stage blocks forever on its send: the head noop if the
//     chain has no toxics, bitsim's forward if it ends in a bitsim toxic.
//     A chain ending in a built-in toxic leaves that toxic's Pipe (the
//     built-ins' Pipe functions are listed too).
//
// Each leak holds one goroutine (two with the reader) and at most one
// chunk (32 KiB) per affected connection and direction.
func LeakyTopFunctions() []string {
	return []string{
		"github.com/Shopify/toxiproxy/v2/toxics.(*NoopToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/stream.(*ChanWriter).Write",
		"github.com/bitsim/bitsim/farm/proxy.forward",
		"github.com/Shopify/toxiproxy/v2/toxics.(*LatencyToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*BandwidthToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*SlicerToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*TimeoutToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*SlowCloseToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*LimitDataToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*ResetToxic).Pipe",
	}
}
