package proxy

import (
	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// LimitDataSafeToxic, type "bits_limit_data_safe", is toxiproxy's
// limit_data without its goroutine leak: it forwards at most Bytes bytes of
// each connection in its direction, then closes the connection and drains
// its input. The peer reading that direction gets exactly Bytes bytes, then
// EOF (ECONNRESET with WithRST).
//
// Attributes:
//
//	bytes int  bytes forwarded per connection before the close; default 0
//	           (close on the first chunk)
type LimitDataSafeToxic struct {
	Bytes int64 `json:"bytes"`
}

type limitState struct{ sent int64 }

// NewState implements toxics.StatefulToxic.
func (t *LimitDataSafeToxic) NewState() any { return new(limitState) }

// Pipe implements toxics.Toxic.
func (t *LimitDataSafeToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*limitState)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			left := max(t.Bytes-st.sent, 0)
			if int64(len(c.Data)) < left {
				st.sent += int64(len(c.Data))
				if !forward(stub, c) {
					return
				}
				continue
			}
			if left > 0 {
				st.sent += left
				// Delivered even if interrupted: the close follows anyway.
				forward(stub, &stream.StreamChunk{Data: c.Data[:left], Timestamp: c.Timestamp})
			}
			closeAndDrain(stub)
			return
		}
	}
}

func init() { toxics.Register("bits_limit_data_safe", new(LimitDataSafeToxic)) }
