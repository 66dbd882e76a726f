package conform

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// Probe is one check of the catalogue. Its run function drives the server
// through a T and stops at the first violation.
type Probe struct {
	ID      string // "<group>/<name>"
	Group   string
	Section string // docs/protocol.md section
	Title   string // what a conforming server does
	run     func(*T)
}

// Groups, in catalogue order.
const (
	GroupNegotiation  = "negotiation"
	GroupPackets      = "packets"
	GroupFragments    = "fragments"
	GroupSessions     = "sessions"
	GroupErrors       = "errors"
	GroupLimits       = "limits"
	GroupNotification = "notification"
)

// Probes returns the catalogue in order: negotiation, packets, fragments,
// sessions, errors, limits, notification and reply.
func Probes() []Probe {
	var all []Probe
	for _, g := range [][]Probe{negotiationProbes(), packetProbes(), fragmentProbes(), sessionProbes(),
		errorProbes(), limitProbes(), notificationProbes()} {
		all = append(all, g...)
	}
	return all
}

// probe builds a catalogue entry.
func probe(group, name, section, title string, run func(*T)) Probe {
	return Probe{ID: group + "/" + name, Group: group, Section: section, Title: title, run: run}
}

// suite is the state shared by the probes of one run.
type suite struct {
	cfg   Config
	tg    *target
	seed  sim.Seed
	nonce string
	store []store
	hc    *http.Client // for ledger reads
}

func newSuite(cfg Config) (*suite, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if !strings.HasSuffix(cfg.URL, "/") {
		cfg.URL += "/"
	}
	tg, err := newTarget(cfg.URL, cfg.Insecure, cfg.Timeout, cfg.Dial, cfg.Headers)
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: cfg, tg: tg, seed: cfg.Seed, hc: &http.Client{Timeout: cfg.Timeout}}
	if s.seed == 0 {
		s.seed = sim.NewSeed()
	}
	// The nonce keeps file names fresh across runs with the same seed (a
	// server without overwrites would answer 409 to a reused name).
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.nonce = fmt.Sprintf("%08x", binary.BigEndian.Uint32(b[:]))
	if cfg.LedgerURL != "" {
		s.store = append(s.store, &ledgerStore{url: cfg.LedgerURL, hc: s.hc})
	}
	if cfg.StoredDir != "" {
		s.store = append(s.store, dirStore{dir: cfg.StoredDir})
	}
	if cfg.VerifyCmd != "" {
		s.store = append(s.store, cmdStore{cmd: cfg.VerifyCmd})
	}
	return s, nil
}

func (s *suite) channels() []string {
	var out []string
	for _, st := range s.store {
		out = append(out, st.describe())
	}
	return out
}

func (s *suite) ledger() *ledgerStore {
	for _, st := range s.store {
		if l, ok := st.(*ledgerStore); ok {
			return l
		}
	}
	return nil
}

// stop unwinds a probe's goroutine after a verdict (see T.Failf, T.NA).
type stop struct{}

func (s *suite) run(ctx context.Context, p Probe) (r Result) {
	t := &T{ctx: ctx, s: s, p: p, rand: s.seed.Fork(p.ID)}
	start := time.Now()
	r = Result{ID: p.ID, Group: p.Group, Section: p.Section, Title: p.Title, Outcome: Pass}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stop); !ok {
				t.outcome, t.msg = Fail, fmt.Sprintf("conform: probe panicked: %v", v)
			}
		}
		for _, c := range t.conns {
			_ = c.Close()
		}
		if t.outcome != "" {
			r.Outcome, r.Message = t.outcome, t.msg
		}
		r.Notes = t.notes
		if r.Outcome == Fail {
			r.Exchanges = t.ex
		}
		r.Seconds = time.Since(start).Seconds()
	}()
	p.run(t)
	return r
}

// T drives one probe. Its methods stop the probe (by unwinding its
// goroutine) at the first violation, so probe code reads as the happy path.
type T struct {
	ctx      context.Context
	s        *suite
	p        Probe
	rand     *sim.Rand
	conns    []*Conn
	cur      map[string]*Conn  // current connection per host ("": the URL's)
	host     string            // BITS-Host-Id of the last session created, if any
	hostIDs  map[string]string // upper-case session id -> its BITS-Host-Id
	ex       []Exchange
	notes    []string
	outcome  Outcome
	msg      string
	names    int
	replySID string
}

// Failf ends the probe as failed.
func (t *T) Failf(format string, args ...any) {
	t.outcome, t.msg = Fail, fmt.Sprintf(format, args...)
	panic(stop{})
}

// NA ends the probe as not applicable.
func (t *T) NA(format string, args ...any) {
	t.outcome, t.msg = NotApplicable, fmt.Sprintf(format, args...)
	panic(stop{})
}

// Notef adds a remark to the result.
func (t *T) Notef(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// Name returns a fresh file name for this probe.
func (t *T) Name() string {
	t.names++
	slug := strings.ReplaceAll(t.p.ID, "/", "-")
	return fmt.Sprintf("conform-%s-%s-%d.bin", t.s.nonce, slug, t.names)
}

// URL returns the absolute upload URL of a file name.
func (t *T) URL(name string) string { return t.s.cfg.URL + name }

func (t *T) targetOf(name string) string {
	return strings.TrimSuffix(t.s.tg.base.EscapedPath(), "/") + "/" + url.PathEscape(name)
}

// Payload returns n reproducible bytes.
func (t *T) Payload(n int) []byte {
	b := make([]byte, n)
	_, _ = t.rand.Read(b)
	return b
}

// Dial opens a new connection to the current host (the BITS-Host-Id of
// the probe's last session, else the URL's host) and makes it that host's
// current connection.
func (t *T) Dial() *Conn { return t.dialTo(t.host) }

func (t *T) dialTo(host string) *Conn {
	tg := t.s.tg.withHost(host)
	c, err := tg.dialConn(t.ctx, len(t.conns)+1)
	if err != nil {
		t.ex = append(t.ex, Exchange{Conn: len(t.conns) + 1, Err: err.Error()})
		t.Failf("cannot connect: %v", err)
	}
	t.conns = append(t.conns, c)
	if t.cur == nil {
		t.cur = map[string]*Conn{}
	}
	t.cur[host] = c
	return c
}

// conn returns the current host's current connection, dialling a new one
// if there is none or the server closed it.
func (t *T) conn() *Conn { return t.connTo(t.host) }

func (t *T) connTo(host string) *Conn {
	if c := t.cur[host]; c != nil && !c.Closed() {
		return c
	}
	return t.dialTo(host)
}

// Send sends req on the current connection to the host of its session (a
// BITS-Host-Id the session's Create-Session Ack named, §12.4), or to the
// URL's host; a transport error fails the probe.
func (t *T) Send(req Request) *Response {
	host := ""
	for _, h := range req.Headers {
		if strings.EqualFold(h.Name, wire.HdrSessionID) {
			host = t.hostIDs[strings.ToUpper(h.Value)]
		}
	}
	c := t.connTo(host)
	resp, err := t.try(c, req)
	if err != nil && c.served > 0 && (resp == nil || len(resp.Raw) == 0) {
		// A kept-alive connection the server closed while idle: what an
		// HTTP client retries on a fresh connection.
		t.Notef("%s: resent on a new connection (the server had closed connection %d: %v)", describe(req), c.ID, err)
		resp, err = t.try(t.dialTo(host), req)
	}
	if err != nil {
		t.Failf("%s: %v", describe(req), err)
	}
	return resp
}

// SendOn sends req on c.
func (t *T) SendOn(c *Conn, req Request) *Response {
	resp, err := t.try(c, req)
	if err != nil {
		t.Failf("%s: %v", describe(req), err)
	}
	return resp
}

// try sends req on c and records the exchange; the error is the transport's.
func (t *T) try(c *Conn, req Request) (*Response, error) {
	w, resp, err := c.roundTrip(t.ctx, req)
	e := Exchange{Conn: c.ID, Request: abbreviate(w)}
	if resp != nil {
		e.Response = abbreviate(resp.Raw)
	}
	if err != nil {
		e.Err = err.Error()
	}
	t.ex = append(t.ex, e)
	return resp, err
}

// describe names a request in messages: "Fragment" or "GET /x".
func describe(req Request) string {
	for _, h := range req.Headers {
		if strings.EqualFold(h.Name, wire.HdrPacketType) {
			return h.Value
		}
	}
	if req.Method != "" && req.Method != wire.Method {
		return req.Method + " " + req.Target
	}
	return "packet"
}

// abbreviate renders wire bytes for a report: the head verbatim (CRLF
// shown as line breaks), then the body if short and printable, else its
// length.
func abbreviate(b []byte) string {
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	head = strings.ReplaceAll(head, "\r\n", "\n")
	if !ok {
		return head
	}
	switch {
	case body == "":
		return head + "\n"
	case len(body) <= 80 && printable(body):
		return head + "\n\n" + body
	default:
		return head + fmt.Sprintf("\n\n<%d bytes of body>", len(body))
	}
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// calibrate uploads one small file to learn whether the server notifies
// the app behind the ledger; if not, the ledger channel is dropped. It
// returns what it found, for Report.Notes.
func (s *suite) calibrate(ctx context.Context) string {
	l := s.ledger()
	if l == nil {
		return ""
	}
	notified := false
	r := s.run(ctx, probe("calibration", "notify", "§10.1", "", func(t *T) {
		name, data := t.Name(), t.Payload(100)
		sid := t.upload(name, data, 100)
		t.closeOK(name, sid)
		ds, err := l.deliveries(t.ctx, name)
		if err != nil {
			t.Failf("%v", err)
		}
		notified = len(ds) > 0
	}))
	if notified {
		return "calibration: the server notifies " + l.url
	}
	kept := s.store[:0]
	for _, st := range s.store {
		if st != store(l) {
			kept = append(kept, st)
		}
	}
	s.store = kept
	why := "no notification arrived"
	if r.Outcome != Pass {
		why = "the calibration upload failed: " + r.Message
	}
	return "calibration: " + why + "; the app ledger is not used (notification probes not applicable)"
}
