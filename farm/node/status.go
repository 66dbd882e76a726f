package node

import (
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/bitsim/bitsim/sim"
)

// statusOverride holds AnswerStatus's setting: the node answers status,
// with header, to the nth packet of type packet counted from when it was
// set, instead of processing it.
type statusOverride struct {
	mu     sync.Mutex
	packet string
	left   int // packets of that type still to let through; -1: none armed
	status int
	header http.Header
}

// AnswerStatus makes the node answer status (with header and no BITS
// headers, as a front end or proxy in front of the node would) to the nth
// BITS_POST of type packet (wire spelling, e.g. "Fragment"; "" any type)
// it receives from now on, without processing that packet. It fires once;
// a restarted node has no such setting.
func (n *Node) AnswerStatus(packet string, nth, status int, header http.Header) {
	n.answer.mu.Lock()
	defer n.answer.mu.Unlock()
	n.answer.packet, n.answer.left, n.answer.status, n.answer.header = packet, max(nth, 1)-1, status, header.Clone()
}

// take reports whether the packet of type typ is the one to answer, and
// with which status and header.
func (o *statusOverride) take(typ string) (int, http.Header, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.status == 0 || o.left < 0 || (o.packet != "" && !strings.EqualFold(o.packet, typ)) {
		return 0, nil, false
	}
	if o.left > 0 {
		o.left--
		return 0, nil, false
	}
	o.left = -1
	st, h := o.status, o.header
	o.status = 0
	return st, h, true
}

// answerOverride writes the overriding answer to p if AnswerStatus armed
// one for it, and reports whether it did.
func (n *Node) answerOverride(w http.ResponseWriter, r *http.Request, p packet) bool {
	status, header, ok := n.answer.take(p.typeName)
	if !ok {
		return false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	for k, v := range header {
		w.Header()[http.CanonicalHeaderKey(k)] = v
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	n.emit(sim.Event{Kind: sim.AckSent, Packet: p.typeName, Session: p.session, Status: status})
	return true
}
