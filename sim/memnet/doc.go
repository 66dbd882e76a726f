// Package memnet is an in-memory network for bitsim's exact tier: a
// sim.Network whose connections are buffered byte queues and whose every
// connect, write and close is a message delivered by one canonical
// Scheduler, inside a testing/synctest bubble (see package sim/bubble).
//
// The scheduler loops: synctest.Wait (every other goroutine of the bubble
// is durably blocked) → deliver the pending message with the smallest
// (generation, name, sequence) → repeat. The generation is the number of
// deliveries made when the message was posted; the name identifies the
// connection by the dialer's identity and its per-dialer dial counter
// ("job-a#2>", "node1#1<") and the sequence counts messages per direction,
// so the order never depends on which goroutine ran first. When nothing is
// pending the scheduler blocks too, and the bubble's clock jumps to the
// next timer: time only moves when nothing can happen any more.
//
// Everything (Network, Scheduler, listeners, connections) must be created
// inside the bubble it is used in.
package memnet
