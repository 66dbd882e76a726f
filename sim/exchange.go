package sim

import (
	"net/url"
	"strings"
)

// An Exchange is one operation of a run: a call and its return, as etcd's
// robustness history pairs them (tests/robustness/model/history.go). The
// history records calls and returns as separate events; Exchanges pairs
// them once, so checkers, the timeline and the plot do not each rebuild
// the pairing.
//
//	client.request  ──► client.response | client.error   (same Job)
//	                 └► packet.received on the node that got it (same path and packet)
//	notify.sent     ──► notify.answered                   (same Node and Session)
//	packet.received ──► ack.sent                          (same Node, Packet and Session)
//
// A packet a node was handling when it crashed or stopped stays unanswered.
//
// A call without a return is Unknown, never failed: its reply was lost, and
// it may have taken effect (etcd's validate gives such an operation an
// infinite return time). So is a transport error.
type Exchange struct {
	Kind ExchangeKind
	// Call, Return and (client exchanges) Received point into the history
	// given to Exchanges; nil when not recorded. A client answer whose
	// request is not in the history has a nil Call.
	Call, Return, Received *Event
	// CallIdx, ReturnIdx and ReceivedIdx are their positions in that
	// history, -1 when nil.
	CallIdx, ReturnIdx, ReceivedIdx int
	Outcome                         Outcome
}

// ExchangeKind names the two sides of an Exchange.
type ExchangeKind string

// Exchange kinds.
const (
	ExchangeClient ExchangeKind = "client" // a client's request and the answer it got
	ExchangeNotify ExchangeKind = "notify" // a node's notification to the app and the app's answer
	ExchangePacket ExchangeKind = "packet" // a packet a node received and the Ack it wrote
)

// Outcome is what the caller learnt of an Exchange.
type Outcome string

// Outcomes.
const (
	// OutcomeOK: a success answer: 2xx, or 416 (the server saying where
	// to resume).
	OutcomeOK Outcome = "ok"
	// OutcomeError: an error answer. The callee answered, but an error
	// answer does not promise the call had no effect (an app's 500 relayed
	// after it recorded the delivery).
	OutcomeError Outcome = "error"
	// OutcomeUnknown: no answer (transport error, or none recorded): the
	// call may or may not have taken effect.
	OutcomeUnknown Outcome = "unknown"
)

// Packet returns the BITS packet type of the exchange ("" for
// notifications), from its call or else its return.
func (x *Exchange) Packet() string {
	if x.Call != nil {
		return x.Call.Packet
	}
	if x.Return != nil {
		return x.Return.Packet
	}
	return ""
}

// IsFragment reports whether the exchange carried a Fragment.
func (x *Exchange) IsFragment() bool { return strings.EqualFold(x.Packet(), "Fragment") }

// Ops is the Exchanges view of a history.
type Ops struct {
	// List holds every exchange, ordered by its first event.
	List []*Exchange
	by   map[int]*Exchange
	// of indexes List by kind and by kind and job (see Of).
	of map[opsKey][]*Exchange
}

// opsKey names one list of Of: the exchanges of a kind, of one job or (job
// "") of all jobs.
type opsKey struct {
	kind ExchangeKind
	job  string
}

// At returns the exchange whose call, return or received event is the
// history's i-th event, or nil.
func (o *Ops) At(i int) *Exchange { return o.by[i] }

// Of returns the exchanges of kind k, in order; for client exchanges only
// those of job (all jobs if job is "").
func (o *Ops) Of(k ExchangeKind, job string) []*Exchange {
	return append([]*Exchange(nil), o.of[opsKey{k, job}]...)
}

// index fills o.of from o.List, once the pairing is complete.
func (o *Ops) index() {
	o.of = map[opsKey][]*Exchange{}
	for _, x := range o.List {
		all := opsKey{x.Kind, ""}
		o.of[all] = append(o.of[all], x)
		if job := x.first().Job; job != "" {
			one := opsKey{x.Kind, job}
			o.of[one] = append(o.of[one], x)
		}
	}
}

func (x *Exchange) first() *Event {
	if x.Call != nil {
		return x.Call
	}
	return x.Return
}

// Exchanges pairs the calls and returns of evs (a history, in order). The
// Exchanges point into evs: do not modify it while using them.
func Exchanges(evs []Event) *Ops {
	p := pairer{ops: &Ops{by: map[int]*Exchange{}}, evs: evs, open: map[string]*Exchange{},
		pending: map[string][]*Exchange{}, pendKey: map[*Exchange]string{}, calls: map[string][]*Exchange{}}
	for i := range evs {
		p.event(i)
	}
	p.ops.index()
	return p.ops
}

type pairer struct {
	ops *Ops
	evs []Event
	// open: the request of each job awaiting its answer (a client sends one
	// request at a time per job).
	open map[string]*Exchange
	// pending: client requests not yet received by a node, by path|packet.
	pending map[string][]*Exchange
	// pendKey: the pending key each client request was queued under.
	pendKey map[*Exchange]string
	// calls: notifications and packets awaiting their answer, FIFO by key.
	calls map[string][]*Exchange
}

func (p *pairer) event(i int) {
	e := &p.evs[i]
	switch e.Kind {
	case ClientRequest:
		x := p.call(ExchangeClient, i)
		key := urlPath(e.URL) + "|" + e.Packet
		p.pending[key] = append(p.pending[key], x)
		p.pendKey[x] = key
		p.open[e.Job] = x
	case PacketReceived:
		key := urlPath(e.URL) + "|" + e.Packet
		if q := p.pending[key]; len(q) > 0 {
			q[0].Received, q[0].ReceivedIdx = e, i
			p.ops.by[i] = q[0]
			delete(p.pendKey, q[0])
			p.setPending(key, q[1:])
		}
		p.queue(p.call(ExchangePacket, i), "packet|"+e.Node+"|"+e.Packet+"|"+e.Session)
	case AckSent:
		p.answer(p.dequeue("packet|"+e.Node+"|"+e.Packet+"|"+e.Session, ExchangePacket), i)
	case ClientResponse, ClientError:
		x := p.open[e.Job]
		delete(p.open, e.Job)
		if x == nil || x.Call.Packet != e.Packet {
			x = p.call(ExchangeClient, -1)
		}
		p.unpend(x)
		p.answer(x, i)
	case NodeCrashed, NodeStopped:
		// Packets the node was handling when it died are never answered:
		// the Ack to a retry after its restart is the retry's.
		for k := range p.calls {
			if strings.HasPrefix(k, "packet|"+e.Node+"|") {
				delete(p.calls, k)
			}
		}
	case NotifySent:
		p.queue(p.call(ExchangeNotify, i), "notify|"+e.Node+"|"+e.Session)
	case NotifyAnswered:
		p.answer(p.dequeue("notify|"+e.Node+"|"+e.Session, ExchangeNotify), i)
	}
}

// call starts an exchange at event i (-1: no call recorded).
func (p *pairer) call(k ExchangeKind, i int) *Exchange {
	x := &Exchange{Kind: k, CallIdx: i, ReturnIdx: -1, ReceivedIdx: -1, Outcome: OutcomeUnknown}
	if i >= 0 {
		x.Call = &p.evs[i]
		p.ops.by[i] = x
		p.ops.List = append(p.ops.List, x)
	}
	return x
}

func (p *pairer) queue(x *Exchange, key string) { p.calls[key] = append(p.calls[key], x) }

// dequeue returns the oldest unanswered call under key, or a call-less
// exchange of kind k.
func (p *pairer) dequeue(key string, k ExchangeKind) *Exchange {
	if q := p.calls[key]; len(q) > 0 {
		if len(q) == 1 {
			delete(p.calls, key) // keeps the crash loop over calls short
		} else {
			p.calls[key] = q[1:]
		}
		return q[0]
	}
	return p.call(k, -1)
}

// unpend removes x from the requests awaiting a node.
func (p *pairer) unpend(x *Exchange) {
	k, ok := p.pendKey[x]
	if !ok {
		return
	}
	delete(p.pendKey, x)
	q := p.pending[k]
	for i, y := range q {
		if y == x {
			p.setPending(k, append(q[:i:i], q[i+1:]...))
			return
		}
	}
}

// setPending stores q as the requests awaiting a node under key.
func (p *pairer) setPending(key string, q []*Exchange) {
	if len(q) == 0 {
		delete(p.pending, key)
		return
	}
	p.pending[key] = q
}

// answer records event i as x's return and judges the outcome.
func (p *pairer) answer(x *Exchange, i int) {
	e := &p.evs[i]
	if x.Call == nil {
		p.ops.List = append(p.ops.List, x)
	}
	x.Return, x.ReturnIdx = e, i
	p.ops.by[i] = x
	switch {
	case e.Kind == ClientError || e.Err != "" || e.Status == 0:
		x.Outcome = OutcomeUnknown
	case e.Status < 300 || e.Status == 416:
		x.Outcome = OutcomeOK
	default:
		x.Outcome = OutcomeError
	}
}

// urlPath is the path of a URL (the host changes with host ids and
// proxies; the path names the upload).
func urlPath(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		return s
	}
	return u.Path
}
