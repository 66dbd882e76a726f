package proxy

import (
	"sync/atomic"

	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// Helpers shared by bitsim's toxics. They encode the rules listed under
// "Writing a toxic" in the package documentation.

// forward passes c on. If an interrupt arrives while the next stage is not
// reading, it still delivers c (a toxic must never drop in-flight data, as
// toxiproxy's own toxics do) and then reports false: Pipe must return.
func forward(stub *toxics.ToxicStub, c *stream.StreamChunk) bool {
	select {
	case stub.Output <- c:
		return true
	case <-stub.Interrupt:
		stub.Output <- c
		return false
	}
}

// closeAndDrain closes the stub's output, which makes toxiproxy close the
// destination socket and so, in turn, the whole connection, then discards
// the stub's input until the previous stage closes it.
//
// Draining is what toxiproxy's limit_data and reset_peer omit: without it
// the previous stage (the chain's head noop) blocks forever sending the
// next chunk, and with it the link's reader goroutine.
//
// The drain deliberately does not select on Interrupt. Once the stub is
// closed, toxiproxy's InterruptToxic must report false (it selects between
// the closed stub and a send on Interrupt); a receiver here would let it
// randomly succeed, and RemoveToxic would then write to the closed Output
// and panic. The input is always closed eventually: closing the output
// closes one socket, which ends both links' readers (or Link.Disable closes
// every socket).
func closeAndDrain(stub *toxics.ToxicStub) {
	stub.Close()
	for range stub.Input {
	}
}

// limiter hands out at most max firings across all connections of a toxic
// (max <= 0: unlimited), and counts them.
type limiter struct{ n atomic.Int64 }

// take reserves one firing, reporting false when max firings were taken.
func (l *limiter) take(max int64) bool {
	for {
		n := l.n.Load()
		if max > 0 && n >= max {
			return false
		}
		if l.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}
