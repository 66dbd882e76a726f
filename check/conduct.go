package check

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// The client-conduct checkers judge a client bitsim did not write — any
// BITS client uploading to `bitsim serve` — from what the farm's nodes saw:
// PacketReceived, AckSent, RequestRejected and RequestTolerated events. An
// upload is identified by its URL path (host ids change the host), a packet
// by its node, type and session. They are not in All(): scenario runs judge
// bitsim's own client from its own events (ResumeRestart).

// ClientConduct returns the client-conduct checkers, in report order.
func ClientConduct() []Checker {
	return []Checker{ClientResumes{}, ClientRestarts{}, ClientHostID{}, ClientFinalRetry{}, ClientContentLength{}}
}

// exch is one packet a node received, with its Ack if one was written.
type exch struct {
	idx      int
	at       time.Time
	node     string
	packet   string // wire spelling, as received
	session  string // the request's session; for Create-Session the new one
	path     string
	host     string // the Host the client addressed (shared address or host id)
	first    int64  // Fragment: its Content-Range
	last     int64
	total    int64
	hasRng   bool
	short    bool          // the body ended early (connection cut)
	ack      *sim.Event    // nil: no Ack was written (the node died or stopped)
	hostID   string        // Create-Session Ack: BITS-Host-Id
	fallback time.Duration // and the fallback time-out it sent (0: none)
}

func (x *exch) is(p string) bool { return strings.EqualFold(x.packet, p) }

// final reports whether x is a Fragment carrying the upload's last byte.
func (x *exch) final() bool { return x.is("Fragment") && x.hasRng && x.last == x.total-1 }

// sessionNotFound is BG_E_SESSION_NOT_FOUND as events spell codes (check
// reads histories only, not package wire).
const sessionNotFound = "0x8020001F"

// ok reports whether the Ack was a success the client could act on.
func (x *exch) ok() bool {
	return x.ack != nil && !x.short && (x.ack.Status == 200 || x.ack.Status == 201 || x.ack.Status == 416)
}

func (x *exch) String() string {
	s := x.packet
	if x.hasRng {
		s += fmt.Sprintf(" bytes %d-%d/%d", x.first, x.last, x.total)
	}
	if x.session != "" {
		s += " (session " + x.session + ")"
	}
	s += " to " + x.host + " at " + x.node
	switch {
	case x.ack == nil:
		s += ": no Ack"
	case x.short:
		s += ": body cut"
	default:
		s += fmt.Sprintf(": %d", x.ack.Status)
		if x.ack.Code != "" {
			s += " " + x.ack.Code
		}
	}
	return s
}

// uploads groups a history's exchanges by upload path, in order.
type uploads struct {
	by  map[string][]*exch
	all []*exch
}

// exchanges reads the packet exchanges of a history (sim.Exchanges) as
// exch values: a Create-Session learns its session from the node's
// session.created event, a Fragment whose body was cut is marked short.
func exchanges(events []sim.Event) *uploads {
	u := &uploads{by: map[string][]*exch{}}
	ops := sim.Exchanges(events)
	byCall := map[int]*exch{}
	for _, op := range ops.Of(sim.ExchangePacket, "") {
		if op.Call == nil {
			continue
		}
		e := op.Call
		x := &exch{idx: op.CallIdx, at: e.At, node: e.Node, packet: e.Packet, session: e.Session, ack: op.Return}
		if pu, err := url.Parse(e.URL); err == nil {
			x.path, x.host = pu.Path, pu.Host
		}
		if e.Total > 0 {
			x.first, x.last, x.total, x.hasRng = e.First, e.Last, e.Total, true
		}
		if r := op.Return; r != nil && x.is("Create-Session") {
			x.hostID, x.fallback = r.HostID, r.Duration
			for i := op.CallIdx + 1; i < op.ReturnIdx; i++ { // the session it created
				if c := events[i]; c.Kind == sim.SessionCreated && c.Node == e.Node {
					x.session = c.Session
				}
			}
		}
		byCall[op.CallIdx] = x
		u.by[x.path] = append(u.by[x.path], x)
		u.all = append(u.all, x)
	}
	for i, e := range events {
		if e.Kind != sim.RequestRejected || e.Reason != sim.ReasonBodyCut {
			continue
		}
		for j := i - 1; j >= 0; j-- { // the Fragment being received on that node
			if x := byCall[j]; x != nil && x.node == e.Node && x.session == e.Session && x.is("Fragment") {
				x.short = true
				break
			}
		}
	}
	return u
}

// next returns the first exchange of the same upload after x, or nil.
func (u *uploads) next(x *exch) *exch {
	seq := u.by[x.path]
	for i, y := range seq {
		if y == x && i+1 < len(seq) {
			return seq[i+1]
		}
	}
	return nil
}

// after returns the exchanges of the same upload after x.
func (u *uploads) after(x *exch) []*exch {
	seq := u.by[x.path]
	for i, y := range seq {
		if y == x {
			return seq[i+1:]
		}
	}
	return nil
}

func conductVerdict(name string, fs []Finding, none string) Verdict {
	if len(fs) == 0 {
		return Verdict{Checker: name, Status: Unknown, Summary: none}
	}
	v := verdict(name, fs, "", nil)
	counts := map[Status]int{}
	for _, f := range fs {
		counts[f.Status]++
	}
	v.Summary = fmt.Sprintf("%d case(s): %d pass, %d fail, %d unknown", len(fs), counts[Pass], counts[Fail], counts[Unknown])
	return v
}

// ClientResumes: after an interrupted Fragment (no Ack, body cut, or a
// 5xx other than 0x8020001F) that is not the final one, the client
// continues the same session (Ping or Fragment with its id) instead of
// opening a new one — a restart the server never asked for.
type ClientResumes struct{}

// Name implements Checker.
func (ClientResumes) Name() string { return "client-resume" }

// Check implements Checker.
func (c ClientResumes) Check(in Input) Verdict {
	u := exchanges(in.Events)
	var fs []Finding
	for _, x := range u.all {
		if !x.is("Fragment") || x.final() || !interrupted(x) {
			continue
		}
		f := Finding{Node: x.node, Chain: []string{x.String()}}
		var n *exch // the next packet that names a session (Ping carries none)
		for _, y := range u.after(x) {
			if !y.is("Ping") {
				n = y
				break
			}
		}
		switch {
		case n == nil:
			f.Status, f.Message = Unknown, fmt.Sprintf("%s: the client sent nothing more", x.path)
		case n.session == x.session && !n.is("Create-Session"):
			f.Status, f.Message = Pass, fmt.Sprintf("%s: resumed session %s", x.path, x.session)
		case n.is("Create-Session"):
			f.Status = Fail
			f.Message = fmt.Sprintf("%s: restarted with a new session although session %s was never reported lost (0x8020001F)", x.path, x.session)
		default:
			f.Status, f.Message = Unknown, fmt.Sprintf("%s: next packet %s", x.path, n.packet)
		}
		f.Chain = append(f.Chain, "then "+nextString(n))
		fs = append(fs, f)
	}
	return conductVerdict(c.Name(), fs, "no interrupted fragment: nothing to resume")
}

// interrupted reports whether the client did not get a usable Ack to x
// for a reason other than the session being lost.
func interrupted(x *exch) bool {
	if x.ack == nil || x.short {
		return true
	}
	return x.ack.Status >= 500 && x.ack.Code != sessionNotFound
}

func nextString(n *exch) string {
	if n == nil {
		return "nothing"
	}
	return n.String()
}

// ClientRestarts: an Ack with BG_E_SESSION_NOT_FOUND (0x8020001F)
// to Ping, Fragment or Close-Session makes the client open a new session
// (§6.3). After Close-Session, sending nothing more is also accepted (K4,
// [W]: do not resend the Close).
type ClientRestarts struct{}

// Name implements Checker.
func (ClientRestarts) Name() string { return "client-restart-0x8020001F" }

// Check implements Checker.
func (c ClientRestarts) Check(in Input) Verdict {
	u := exchanges(in.Events)
	var fs []Finding
	for _, x := range u.all {
		if x.ack == nil || x.ack.Code != sessionNotFound || x.is("Cancel-Session") || x.is("Create-Session") {
			continue
		}
		n := u.next(x)
		f := Finding{Node: x.node, Chain: []string{x.String(), "then " + nextString(n)}}
		switch {
		case n != nil && n.is("Create-Session"):
			f.Status, f.Message = Pass, fmt.Sprintf("%s: new session after 0x8020001F to %s", x.path, x.packet)
		case n == nil && x.is("Close-Session"):
			f.Status, f.Message = Pass, fmt.Sprintf("%s: Close-Session not resent after 0x8020001F (K4 no-resend)", x.path)
		case n == nil:
			f.Status, f.Message = Unknown, fmt.Sprintf("%s: the client sent nothing after 0x8020001F to %s", x.path, x.packet)
		default:
			f.Status = Fail
			f.Message = fmt.Sprintf("%s: after 0x8020001F to %s the client sent %s instead of Create-Session", x.path, x.packet, n.packet)
		}
		fs = append(fs, f)
	}
	return conductVerdict(c.Name(), fs, "the server never answered 0x8020001F")
}

// ClientHostID: after a Create-Session Ack with BITS-Host-Id H, the
// client sends the session's packets to H (§12.4), and goes back to the
// address it started from only once the fallback time-out has passed since
// H last answered it (never, without BITS-Host-Id-Fallback-Timeout).
type ClientHostID struct{}

// Name implements Checker.
func (ClientHostID) Name() string { return "client-host-id" }

// Check implements Checker.
func (c ClientHostID) Check(in Input) Verdict {
	u := exchanges(in.Events)
	var fs []Finding
	for _, x := range u.all {
		if !x.is("Create-Session") || x.hostID == "" || !x.ok() {
			continue
		}
		f := Finding{Node: x.node, Status: Pass, Chain: []string{x.String() + ", host id " + x.hostID}}
		lastOK := x.ack.At
		toHost := 0
		for _, n := range u.after(x) {
			if n.is("Create-Session") && sameHost(n.host, x.hostID) {
				break // a new session on H (after 0x8020001F): judged on its own
			}
			if sameHost(n.host, x.hostID) {
				toHost++
				if n.ok() {
					lastOK = n.ack.At
				}
				continue
			}
			// A packet to another address: a fallback.
			gap := n.at.Sub(lastOK)
			f.Chain = append(f.Chain, "then "+n.String())
			switch {
			case x.fallback <= 0:
				f.Status = Fail
				f.Message = fmt.Sprintf("%s: session %s: %s went to %s although the Ack sent no fallback time-out (never fall back)", x.path, x.session, n.packet, n.host)
			case gap < x.fallback:
				f.Status = Fail
				f.Message = fmt.Sprintf("%s: session %s: fell back to %s %s after the host id last answered, before the %s time-out",
					x.path, x.session, n.host, gap.Round(time.Millisecond), x.fallback)
			default:
				f.Message = fmt.Sprintf("%s: session %s: %d packet(s) to host id %s, fell back to %s %s after it last answered (time-out %s)",
					x.path, x.session, toHost, x.hostID, n.host, gap.Round(time.Millisecond), x.fallback)
			}
			break
		}
		if f.Message == "" {
			f.Message = fmt.Sprintf("%s: session %s: %d packet(s), all to host id %s", x.path, x.session, toHost, x.hostID)
			if toHost == 0 {
				f.Status, f.Message = Unknown, fmt.Sprintf("%s: session %s: no packet after Create-Session", x.path, x.session)
			}
		}
		fs = append(fs, f)
	}
	return conductVerdict(c.Name(), fs, "no Create-Session Ack carried a host id")
}

// sameHost compares the host of a request (host:port) with a host id (a
// host, or host:port as the harness extension).
func sameHost(reqHost, hostID string) bool {
	if strings.EqualFold(reqHost, hostID) {
		return true
	}
	h := reqHost
	if i := strings.LastIndex(reqHost, ":"); i >= 0 && !strings.HasSuffix(reqHost, "]") {
		h = reqHost[:i]
	}
	return strings.EqualFold(strings.Trim(h, "[]"), strings.Trim(hostID, "[]"))
}

// ClientFinalRetry: when the final Fragment got no usable Ack (the node
// died after notifying, the connection was cut, the app failed), the client
// sends the final fragment again — in the same session or, after
// 0x8020001F, in a new one — rather than closing the session or giving up.
type ClientFinalRetry struct{}

// Name implements Checker.
func (ClientFinalRetry) Name() string { return "client-final-retry" }

// Check implements Checker.
func (c ClientFinalRetry) Check(in Input) Verdict {
	u := exchanges(in.Events)
	var fs []Finding
	for _, x := range u.all {
		if !x.final() || x.ok() || (x.ack != nil && x.ack.Code == sessionNotFound) {
			continue
		}
		f := Finding{Node: x.node, Status: Unknown, Chain: []string{x.String()},
			Message: fmt.Sprintf("%s: the client never sent the final fragment again", x.path)}
		for _, n := range u.after(x) {
			if n.final() {
				f.Status, f.Message = Pass, fmt.Sprintf("%s: final fragment retried", x.path)
				f.Chain = append(f.Chain, "then "+n.String())
				break
			}
			if n.is("Close-Session") && n.session == x.session {
				f.Status = Fail
				f.Message = fmt.Sprintf("%s: closed session %s without a successful Ack to its final fragment", x.path, x.session)
				f.Chain = append(f.Chain, "then "+n.String())
				break
			}
		}
		fs = append(fs, f)
	}
	return conductVerdict(c.Name(), fs, "every final fragment was acknowledged")
}

// ClientContentLength: every packet carries Content-Length (§2 rule 5). A
// packet the farm tolerated without it (--missing-content-length accept)
// or rejected for it fails: IIS would reject such a client.
type ClientContentLength struct{}

// Name implements Checker.
func (ClientContentLength) Name() string { return "client-content-length" }

// Check implements Checker.
func (c ClientContentLength) Check(in Input) Verdict {
	var fs []Finding
	packets := 0
	for _, e := range in.Events {
		switch {
		case e.Kind == sim.PacketReceived:
			packets++
		case (e.Kind == sim.RequestTolerated || e.Kind == sim.RequestRejected) && e.Reason == sim.ReasonMissingContentLength:
			what := "accepted only because of --missing-content-length accept"
			if e.Kind == sim.RequestRejected {
				what = "rejected"
			}
			fs = append(fs, Finding{Status: Fail, Node: e.Node,
				Message: fmt.Sprintf("%s without Content-Length %s: would be rejected by IIS", e.Packet, what)})
		}
	}
	if packets == 0 {
		return Verdict{Checker: c.Name(), Status: Unknown, Summary: "no packet received"}
	}
	if len(fs) == 0 {
		return Verdict{Checker: c.Name(), Status: Pass, Summary: fmt.Sprintf("all %d packet(s) carried Content-Length", packets)}
	}
	v := verdict(c.Name(), fs, "", nil)
	v.Summary = fmt.Sprintf("%d of %d packet(s) without Content-Length: would be rejected by IIS", len(fs), packets)
	return v
}
