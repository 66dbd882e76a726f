package proxy

import (
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// ResetSafeToxic, type "bits_reset_safe", is toxiproxy's reset_peer without
// its goroutine leak: on the first chunk in its direction it starts a timer,
// discards that chunk and everything after it, and when the timer fires
// closes the connection and drains its input.
//
// The close is a TCP RST only on links added with WithRST, or on a TCP link
// where it runs a toxic added as reset_peer and was in the chain when the
// connection was accepted (as toxiproxy does for reset_peer); otherwise the
// peers see a FIN (EOF). Interrupts (other toxics being added, updated or removed) do
// not restart the timer.
//
// Attributes:
//
//	timeout int  milliseconds from the first chunk to the close; default 0
type ResetSafeToxic struct {
	Timeout int64 `json:"timeout"`
}

type resetState struct{ deadline time.Time }

// NewState implements toxics.StatefulToxic.
func (t *ResetSafeToxic) NewState() any { return new(resetState) }

// Pipe implements toxics.Toxic.
func (t *ResetSafeToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*resetState)
	var timer <-chan time.Time // nil until armed
	if !st.deadline.IsZero() {
		tm := time.NewTimer(time.Until(st.deadline))
		defer tm.Stop()
		timer = tm.C
	}
	for {
		select {
		case <-stub.Interrupt:
			return
		case <-timer:
			closeAndDrain(stub)
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if timer == nil {
				st.deadline = time.Now().Add(time.Duration(t.Timeout) * time.Millisecond)
				tm := time.NewTimer(time.Until(st.deadline))
				defer tm.Stop()
				timer = tm.C
			}
			// Discard: a reset loses whatever was not yet delivered.
		}
	}
}

func init() { toxics.Register("bits_reset_safe", new(ResetSafeToxic)) }
