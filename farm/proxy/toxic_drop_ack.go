package proxy

import (
	"github.com/bitsim/bitsim/internal/mutant"
	"sync/atomic"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// DropAckToxic, type "bits_drop_ack", loses a response after the server has
// processed its request: when the downstream bytes of a connection contain
// Pattern, the chunk holding the match is dropped (none of it is
// forwarded) and the connection is closed. The client sees EOF (or
// ECONNRESET with WithRST) instead of its Ack, although the server acted on
// the request: the "operation may have taken effect" case.
//
// Use it on the downstream stream. Over HTTP/1.1 keep-alive a response never
// shares a chunk with the next one (the client waits for it before sending
// the next request), so only the matching response is lost; bytes of it
// that arrived in earlier chunks (a large response, or a slicer upstream
// of it) were already forwarded and the client sees a truncated response.
//
// Attributes:
//
//	pattern string  bytes to look for, ASCII case-insensitive, found across
//	                chunk boundaries; default DefaultDropAckPattern (every Ack)
//	skip    int     let the first skip matches (counted across all the
//	                link's connections) through; default 0
//	times   int     drop at most times responses in all, 0 = unlimited
//	hold    bool    swallow the matching response and everything after it
//	                on that connection, but keep the connection open: the
//	                client waits for an answer that never comes (until its
//	                own time-out closes the connection). On a node→app link
//	                this is an app slower than the notification time-out.
//
// A match that is skipped or over the limit passes through; matches do not
// overlap. The counters belong to the toxic: they survive updates and start
// again only when the toxic is removed and added anew.
type DropAckToxic struct {
	Pattern string `json:"pattern"`
	Skip    int64  `json:"skip"`
	Times   int64  `json:"times"`
	Hold    bool   `json:"hold"`

	seen    atomic.Int64 // matches seen, all connections
	dropped limiter      // responses dropped
}

// DefaultDropAckPattern matches the header every BITS Ack carries.
const DefaultDropAckPattern = "BITS-Packet-Type: Ack"

type dropAckState struct {
	pattern string
	m       *matcher
	holding bool // hold mode: this connection's responses are being swallowed
}

// NewState implements toxics.StatefulToxic: one matcher per connection.
func (t *DropAckToxic) NewState() any { return new(dropAckState) }

// Pipe implements toxics.Toxic.
func (t *DropAckToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*dropAckState)
	if pat := t.pattern(); st.m == nil || st.pattern != pat {
		st.pattern, st.m = pat, newMatcher(pat)
	}
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if st.holding {
				continue
			}
			if t.drops(st.m, c.Data) {
				if t.Hold {
					st.holding = true
					continue
				}
				closeAndDrain(stub)
				return
			}
			if !forward(stub, c) {
				return
			}
		}
	}
}

func (t *DropAckToxic) pattern() string {
	if t.Pattern == "" {
		return DefaultDropAckPattern
	}
	return t.Pattern
}

// drops reports whether data holds a match that must be dropped.
func (t *DropAckToxic) drops(m *matcher, data []byte) bool {
	if mutant.On("toxic-drop-ack-noop") {
		return false
	}
	for {
		end := m.scan(data)
		if end < 0 {
			return false
		}
		if t.seen.Add(1) > t.Skip && t.dropped.take(t.Times) {
			return true
		}
		data = data[end:]
	}
}

func init() { toxics.Register("bits_drop_ack", new(DropAckToxic)) }
