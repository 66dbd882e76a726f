// Package proxy is bitsim's network fault injector: it embeds toxiproxy
// in-process and exposes it through bitsim's own types (sim.Toxic,
// sim.Direction, sim.Network, sim.Sink). It is the only bitsim package that
// imports toxiproxy; everything else speaks sim.Toxic.
//
// A Server holds named Links. Each Link listens on a loopback port and
// forwards every accepted connection to its upstream (a farm node) through
// two toxic chains, one per direction:
//
//	                   Link "node1" (listens on Addr)
//	          +------------------------------------------------+
//	client ---+-> read -> noop -> toxic -> toxic -> write -----+--> upstream
//	(BITS     |          upstream chain (requests, Fragments)  |    (node)
//	 client)  |                                                |
//	       <--+-- write <- toxic <- toxic <- noop <- read <----+---
//	          |          downstream chain (responses, Acks)    |
//	          +------------------------------------------------+
//
// Each chain starts with a hidden noop stage; toxics are appended in the
// order they are added and apply to live connections too. Closing either
// end of a chain closes the whole connection (toxiproxy has no TCP
// half-close).
//
//	s := proxy.New(proxy.WithSink(hist))
//	defer s.Close()
//	l, err := s.Add("node1", "127.0.0.1:0", nodeAddr, proxy.WithRST())
//	// point clients at l.Addr()
//	err = l.AddToxic(sim.Toxic{Type: "bits_drop_ack", Attributes: map[string]any{
//		"pattern": "BITS-Received-Content-Range: 3000", "times": 1}})
//	err = l.Disable() // new dials refused, live connections dropped
//
// # REST API
//
// APIHandler and ServeAPI expose toxiproxy's REST API for the Server, so the
// toxiproxy client package and CLI can drive a live farm. ServeAPI runs its
// own http.Server, stopped by Close; toxiproxy's ApiServer.Listen is never
// used (it cannot be stopped and exits the process on bind errors).
//
// # Toxics
//
// Built-in (units as in toxiproxy): latency {latency, jitter} ms; bandwidth
// {rate} KB/s; slicer {average_size, size_variation, delay µs}; timeout
// {timeout} ms, 0 = never close; reset_peer {timeout} ms; limit_data
// {bytes}; slow_close {delay} ms. bitsim's, each documented on its type:
// bits_drop_ack (DropAckToxic), bits_cut_request (CutRequestToxic),
// bits_limit_data_safe (LimitDataSafeToxic), bits_reset_safe
// (ResetSafeToxic).
//
// A toxicity below 1 draws from toxiproxy's global, unseedable generator,
// and so do latency jitter and slicer size variation: keep toxicity 1 and
// jitter 0 where a run must replay, and take random decisions in seeded
// bitsim code instead.
//
// # Leaks
//
// Toxiproxy v2.5.0 leaks one goroutine (holding one chunk) per affected
// connection in two cases, listed with the goleak ignores to use in
// LeakyTopFunctions: the built-in limit_data and reset_peer close without
// draining, and its link writer gives up on a failed write to a
// connection's destination (Disable or a peer reset while data is in
// flight) and strands the chain's last stage.
//
// Links added with Add do not leak: the Server runs them itself (accept
// loop, dials, one toxiproxy chain per direction and connection through
// ToxicCollection.StartLink), every chain writes to a destination that
// keeps draining it after a failed write, reset_peer and limit_data run as
// bits_reset_safe and bits_limit_data_safe (Toxics and the REST API show
// those types), and Remove and Close return once every chain of the link's
// connections has ended. Only links created through the REST API run on
// toxiproxy's own accept loop and can leak. A reset_peer only makes RSTs
// if it is in the chain when a connection is accepted, as in toxiproxy
// (see WithRST).
//
// # Writing a toxic
//
// A toxic is a type implementing toxics.Toxic (Pipe), registered by name in
// an init function, one per file with a doc comment listing its attributes.
// Toxiproxy builds one instance per added toxic and decodes the JSON
// attributes into its exported fields; every connection of the link runs
// Pipe on that same instance, one goroutine per connection and direction.
// Rules:
//
//  1. Per-connection state lives in the value returned by NewState
//     (toxics.StatefulToxic), found in stub.State; it survives interrupts.
//     Fields of the toxic itself are shared by all connections: counters
//     there are atomic (see limiter), and unexported so JSON leaves them
//     alone.
//  2. Select on stub.Interrupt at every blocking step and return when it
//     fires, but never drop data you took from stub.Input: deliver it first
//     (forward). Toxics are interrupted whenever any toxic of the link is
//     added, updated or removed, and Pipe is then run again with the same
//     state.
//  3. A nil chunk is end of stream: call stub.Close and return.
//  4. To close a connection early, call closeAndDrain, never just
//     stub.Close: the stage before keeps sending and would block forever.
//  5. Never hold bytes back waiting for the next chunk: the last chunk of a
//     response may have no successor. Remember only what matching needs
//     (matcher keeps len(pattern)-1 bytes).
//  6. Do not modify a chunk's Data after passing it on; forward a
//     sub-slice in a new StreamChunk to pass part of it.
//  7. A toxic cannot reach the sockets, so it cannot make an RST itself;
//     use WithRST.
//  8. Keep toxics on the downstream side when they scan bytes, or make the
//     scan cheap: the upstream carries whole files.
//
// Attribute names are checked by Link.AddToxic against the JSON fields of
// the registered type, so they are part of the toxic's API.
package proxy
