package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// buildClient makes the job's HTTP client: HTTP/1.1 only (§2.1), dialing on
// Options.Net, no automatic redirects (3xx are classified by §6.5), no
// transparent gzip (the reply GET uses byte ranges).
func (j *Job) buildClient() {
	rt := j.cfg.Transport
	if rt == nil {
		netw, hosts := j.cfg.Net, j.cfg.HostMap
		protos := new(http.Protocols)
		protos.SetHTTP1(true)
		tr := &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := netw.DialContext(ctx, network, mapHost(hosts, addr))
				if err != nil {
					return nil, &dialError{err}
				}
				return c, nil
			},
			TLSClientConfig:     j.cfg.TLSConfig,
			DisableKeepAlives:   j.cfg.DisableKeepAlives,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			WriteBufferSize:     64 << 10,
			ReadBufferSize:      16 << 10,
			Protocols:           protos,
		}
		j.ownTr, rt = tr, tr
	}
	j.hc = &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// mapHost returns the address to dial for addr (host:port): hosts' entry
// for its host if there is one, else addr.
func mapHost(hosts map[string]string, addr string) string {
	if len(hosts) == 0 {
		return addr
	}
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		h = addr
	}
	if to, ok := hosts[h]; ok {
		return to
	}
	return addr
}

// reservedHeader reports whether a custom header would collide with a
// header the protocol owns.
func reservedHeader(k string) bool {
	k = strings.ToLower(k)
	switch k {
	case "content-length", "content-range", "content-name", "content-encoding", "content-type",
		"range", "host", "transfer-encoding", "connection", "te", "trailer", "upgrade", "expect":
		return true
	}
	return strings.HasPrefix(k, "bits-")
}

// setHeaders adds the custom headers (exact spelling), User-Agent and Accept.
func (j *Job) setHeaders(h http.Header) {
	for k, vs := range j.cfg.Header {
		if !reservedHeader(k) && len(vs) > 0 {
			h[k] = vs
		}
	}
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", j.cfg.userAgent)
	}
	if _, ok := h["Accept"]; !ok {
		h.Set("Accept", "*/*")
	}
	if h.Get(ClientIDHeader) == "" {
		h.Set(ClientIDHeader, j.spec.ID)
	}
}

// ClientIDHeader carries the job id on every request, so that the harness
// balancer's sticky policy and the node's per-client session limit can tell
// jobs apart behind a proxy (balancer.StickyHeader; not a BITS header). A custom
// header of the same name overrides it.
const ClientIDHeader = wire.HdrClientID

// exchange sends one BITS_POST packet to the current target (the host-id URL
// if one is in use, else the original URL) and parses the Ack. It returns a
// *JobError for transport failures and malformed Acks, the context's error
// if ctx ended, and the parsed Ack (which may be an error Ack) otherwise.
// Every request, response and transport error is recorded.
func (j *Job) exchange(ctx context.Context, p wire.PacketType, body io.Reader, n int64, r wire.Range) (wire.Ack, error) {
	u := j.targetStr
	sid := j.sessionID
	if p == wire.Ping || p == wire.CreateSession {
		sid = "" // §15: Ping carries no session id
	}
	j.lastToHost = j.hostID != ""
	xctx, g := j.newGuard(ctx, p.String(), sid)
	defer g.done()
	if p != wire.CancelSession { // Cancel-Session is best effort, also after ERROR
		g.armNoProgress()
	}
	req, err := wire.NewRequest(xctx, u, p, sid, body, n)
	if err != nil {
		return wire.Ack{}, &JobError{Packet: p.String(), Code: wire.EInvalidArg, Context: wire.ContextUnknown, Class: wire.Fatal, Err: err}
	}
	j.setHeaders(req.Header)
	ev := sim.Event{Kind: sim.ClientRequest, Packet: p.String(), Method: wire.Method, URL: u, Session: sid}
	switch p {
	case wire.CreateSession:
		wire.SetExact(req.Header, wire.HdrSupportedProtocols, wire.ProtocolGUID)
	case wire.Fragment:
		wire.SetExact(req.Header, wire.HdrContentRange, r.String())
		if j.contentName != "" {
			wire.SetExact(req.Header, wire.HdrContentName, j.contentName)
		}
		ev.First, ev.Last, ev.Total, ev.Bytes = r.First, r.Last, r.Total, r.Len()
	}
	j.emit(ev)
	resp, err := j.hc.Do(g.trace(req))
	if err != nil {
		if ctx.Err() != nil {
			return wire.Ack{}, ctx.Err()
		}
		je := transportError(p.String(), err, context.Cause(xctx))
		j.emit(sim.Event{Kind: sim.ClientError, Packet: p.String(), URL: u, Session: sid,
			Code: je.Code.Hex(), Context: je.Context.Hex(), Err: je.Err.Error()})
		return wire.Ack{}, je
	}
	// Ack bodies are empty; tolerate (and bound) a body from a non-BITS hop.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	ack, perr := wire.ParseAck(resp.StatusCode, resp.Header)
	rev := sim.Event{Kind: sim.ClientResponse, Packet: p.String(), URL: u, Session: sid, Status: resp.StatusCode, Offset: ack.Received}
	if ack.HasError {
		rev.Code, rev.Context = ack.Code.Hex(), ack.Context.Hex()
	}
	var details []string
	if ack.SessionID != "" && p == wire.CreateSession {
		rev.Session = ack.SessionID
	}
	if ack.HostID != "" {
		rev.HostID = ack.HostID
		details = append(details, "host-id="+ack.HostID)
	}
	if ack.ReplyURL != "" {
		details = append(details, "reply-url="+ack.ReplyURL)
	}
	if perr != nil {
		details = append(details, "malformed: "+perr.Error())
	}
	rev.Detail = strings.Join(details, " ")
	j.emit(rev)
	if ack.Warning != "" && perr == nil {
		// Liberal in what we accept (a Windows client works with such
		// servers), but say so.
		j.emit(sim.Event{Kind: sim.ClientWarning, Packet: p.String(), URL: u, Session: sid, Status: resp.StatusCode, Detail: ack.Warning})
	}
	j.noteHostResponse(resp.StatusCode)
	if perr != nil {
		return ack, protocolError(p.String(), resp.StatusCode, perr)
	}
	return ack, nil
}

// guard implements the request and response timeouts of one exchange as
// sim guards (Clock.WithTimeout): the request guard runs from the start
// until httptrace reports the request written, then the response guard
// runs until done is called. A firing guard cancels the exchange with a
// *guardTimeout cause.
type guard struct {
	j       *Job
	packet  string
	session string
	cancel  context.CancelCauseFunc

	mu       sync.Mutex
	finished bool
	stop     func()
	npStop   func()
}

func (j *Job) newGuard(parent context.Context, packet, session string) (context.Context, *guard) {
	ctx, cancel := context.WithCancelCause(parent)
	g := &guard{j: j, packet: packet, session: session, cancel: cancel}
	g.arm(sim.TimerRequest, j.cfg.reqTO)
	return ctx, g
}

// arm replaces the running guard with a new one of duration d (none if d <= 0).
func (g *guard) arm(which sim.TimerKind, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return
	}
	if g.stop != nil {
		g.stop()
		g.stop = nil
	}
	if d <= 0 {
		return
	}
	g.stop = g.start(d, func() {
		g.j.emitFrom(sim.Event{Kind: sim.ClientTimerFired, Packet: g.packet, Session: g.session, Timer: which, Detail: string(which), Duration: d})
		g.cancel(&guardTimeout{which: string(which)})
	})
	g.j.emitFrom(sim.Event{Kind: sim.ClientTimerArmed, Packet: g.packet, Session: g.session, Timer: which, Detail: string(which), Duration: d})
}

// armNoProgress (re)arms the guard that aborts the exchange at the end of
// the job's no-progress period (none when retries are off). Its firing is
// recorded by retry, which ends the job; call it from Run's goroutine.
func (g *guard) armNoProgress() {
	j := g.j
	if j.cfg.noProgress < 0 || j.stuckSince.IsZero() {
		return
	}
	left := max(j.stuckSince.Add(j.cfg.noProgress).Sub(j.cfg.Clock.Now()), 0)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return
	}
	if g.npStop != nil {
		g.npStop()
	}
	g.npStop = g.start(left, func() { g.cancel(&guardTimeout{which: "no-progress guard"}) })
}

// start runs fired when a guard of duration d on the job's clock expires,
// unless the returned stop is called first.
func (g *guard) start(d time.Duration, fired func()) (stop func()) {
	tctx, tcancel := g.j.cfg.Clock.WithTimeout(context.Background(), d)
	stopWatch := context.AfterFunc(tctx, func() {
		if errors.Is(tctx.Err(), context.DeadlineExceeded) {
			fired()
		}
	})
	return func() { stopWatch(); tcancel() }
}

// trace attaches the httptrace hook that switches from the request guard to
// the response guard.
func (g *guard) trace(req *http.Request) *http.Request {
	t := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		g.arm(sim.TimerResponse, g.j.cfg.respTO)
	}}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), t))
}

// done stops the guards and releases the exchange's context.
func (g *guard) done() {
	g.mu.Lock()
	g.finished = true
	if g.stop != nil {
		g.stop()
		g.stop = nil
	}
	if g.npStop != nil {
		g.npStop()
		g.npStop = nil
	}
	g.mu.Unlock()
	g.cancel(context.Canceled)
}

// countingReader is a Fragment body: it counts bytes handed to the
// transport (Result.BytesSent) and tells a virtual clock bytes are moving.
type countingReader struct {
	r     io.Reader
	n     *atomic.Int64
	clock sim.Clock
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
		sim.Touch(c.clock)
	}
	return n, err
}

// hostURL returns origin with its host replaced by a BITS-Host-Id value
// (§12.4). The spec's value is a bare host name or IP (IPv6 with or without
// brackets); the original port is kept. Harness extension: a value of the
// form host:port (or [v6]:port) replaces the port as well, so a loopback
// farm can give every node its own port.
func hostURL(origin *url.URL, id string) (*url.URL, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 300 || strings.ContainsAny(id, "/\\?#@ \t\r\n%") {
		return nil, fmt.Errorf("client: bad %s %q", wire.HdrHostID, id)
	}
	port := origin.Port()
	withPort := func(h string) string {
		if port == "" {
			if strings.Contains(h, ":") {
				return "[" + h + "]"
			}
			return h
		}
		return net.JoinHostPort(h, port)
	}
	var host string
	switch {
	case strings.HasPrefix(id, "[") && strings.HasSuffix(id, "]"):
		host = withPort(id[1 : len(id)-1])
	case strings.HasPrefix(id, "["), strings.Count(id, ":") == 1:
		h, p, err := net.SplitHostPort(id)
		if err != nil || h == "" || p == "" {
			return nil, fmt.Errorf("client: bad %s %q", wire.HdrHostID, id)
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, fmt.Errorf("client: bad port in %s %q", wire.HdrHostID, id)
			}
		}
		host = net.JoinHostPort(h, p)
	default:
		host = withPort(id)
	}
	u := *origin
	u.Host = host
	chk, err := url.Parse(u.String())
	if err != nil || chk.Host != host {
		return nil, fmt.Errorf("client: bad %s %q", wire.HdrHostID, id)
	}
	return &u, nil
}
