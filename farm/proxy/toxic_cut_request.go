package proxy

import (
	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/bitsim/bitsim/internal/mutant"
)

// CutRequestToxic, type "bits_cut_request", cuts a request part way: it
// forwards exactly Bytes bytes of a connection's upstream stream past an
// anchor and then closes the connection, so the server reads exactly that
// many bytes and then EOF (a Fragment interrupted in flight).
//
// The anchor is, in order:
//
//  1. the start of the connection, or, if pattern is set, the end of the
//     first match of pattern on the connection (ASCII case-insensitive,
//     found across chunk boundaries); a connection without a match is
//     never cut;
//  2. if body is true, the end of the first blank line ("\r\n\r\n", the end
//     of the HTTP header block) at or after that point, so that bytes
//     counts body bytes of the request that matched.
//
// Attributes:
//
//	bytes   int     bytes forwarded past the anchor; default 0 (cut at the anchor)
//	pattern string  optional; selects the connection and the request
//	body    bool    count from the end of the header block; default false
//	times   int     cut at most times connections in all, 0 = unlimited
//
// For example {"pattern": "BITS-Packet-Type: Fragment", "body": true,
// "bytes": 1000} delivers the first 1000 body bytes of a connection's first
// Fragment. Use it on the upstream stream. Once a connection is past its
// anchor only counting remains, so the toxic costs little on large bodies.
type CutRequestToxic struct {
	Bytes   int64  `json:"bytes"`
	Pattern string `json:"pattern"`
	Body    bool   `json:"body"`
	Times   int64  `json:"times"`

	cuts limiter
}

// Phases of a connection, in order.
const (
	cutSeekPattern = iota // looking for pattern
	cutSeekBody           // looking for the end of the header block
	cutCount              // counting bytes past the anchor
	cutPass               // never cut this connection
)

type cutState struct {
	phase     int
	m         *matcher
	remaining int64
}

// NewState implements toxics.StatefulToxic.
func (t *CutRequestToxic) NewState() any { return &cutState{phase: -1} }

// Pipe implements toxics.Toxic.
func (t *CutRequestToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*cutState)
	if st.phase < 0 { // first run on this connection
		st.remaining = max(t.Bytes, 0)
		st.phase = cutSeekPattern
		if t.Pattern == "" {
			st.next(t.Body)
		} else {
			st.m = newMatcher(t.Pattern)
		}
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
			if n, cut := t.cutAt(st, c.Data); cut {
				if n > 0 {
					// Delivered even if interrupted: the close follows anyway.
					forward(stub, &stream.StreamChunk{Data: c.Data[:n], Timestamp: c.Timestamp})
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

// next leaves the pattern phase.
func (st *cutState) next(body bool) {
	if body {
		st.phase, st.m = cutSeekBody, newMatcher("\r\n\r\n")
	} else {
		st.phase, st.m = cutCount, nil
	}
}

// cutAt advances the connection over data and reports whether to cut it
// after its first n bytes.
func (t *CutRequestToxic) cutAt(st *cutState, data []byte) (n int, cut bool) {
	off := 0
	if st.phase == cutSeekPattern {
		end := st.m.scan(data)
		if end < 0 {
			return 0, false
		}
		off += end
		st.next(t.Body)
	}
	if st.phase == cutSeekBody {
		end := st.m.scan(data[off:])
		if end < 0 {
			return 0, false
		}
		off += end
		st.phase, st.m = cutCount, nil
	}
	if st.phase != cutCount {
		return 0, false
	}
	if avail := int64(len(data) - off); avail < st.remaining {
		st.remaining -= avail
		return 0, false
	}
	if mutant.On("toxic-cut-request-noop") || !t.cuts.take(t.Times) {
		st.phase = cutPass
		return 0, false
	}
	return off + int(st.remaining), true
}

func init() { toxics.Register("bits_cut_request", new(CutRequestToxic)) }
