package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

// fakeServer is a scripted BITS upload server for packet-level tests. By
// default it behaves like a lenient ([W]) server that keeps sessions in
// memory; script, when set, sees every request first and may answer it
// itself (returning true), to produce exactly the packets a test needs.
type fakeServer struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	created int
	counts  map[string]int
	sess    map[string]*fakeSession
	reqs    []fakeReq
	// script may answer a request itself. c.N counts this packet type
	// (1-based) including the current request.
	script func(w http.ResponseWriter, r *http.Request, c fakeCall) bool
	// sid returns the n-th session id (default: braced upper-case GUIDs).
	sid func(n int) string
	// reply, when non-nil, makes final Acks carry a reply URL served by GET.
	reply    []byte
	replyURL func(sid string) string
	// hostID is sent in Create-Session Acks (with fallback seconds if > 0).
	hostID   string
	fallback int
}

type fakeCall struct {
	N       int
	Packet  string
	Session string
}

type fakeReq struct {
	Method, Packet, Session, Range, Path, Host string
	Header                                     http.Header
	BodyLen                                    int64
	HasContentLength                           bool
}

type fakeSession struct {
	data              []byte
	closed, cancelled bool
}

func newFake(t testing.TB) *fakeServer {
	f := &fakeServer{t: t, counts: map[string]int{}, sess: map[string]*fakeSession{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// url returns the upload URL for path p.
func (f *fakeServer) url(p string) string { return f.srv.URL + "/upload/" + p }

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pkt := r.Header.Get(wire.HdrPacketType)
	_, hasCL := r.Header["Content-Length"]
	if r.Method == http.MethodGet {
		pkt = "GET"
	}
	f.mu.Lock()
	f.counts[pkt]++
	c := fakeCall{N: f.counts[pkt], Packet: pkt, Session: r.Header.Get(wire.HdrSessionID)}
	f.reqs = append(f.reqs, fakeReq{Method: r.Method, Packet: pkt, Session: c.Session, Range: r.Header.Get(wire.HdrContentRange),
		Path: r.URL.Path, Host: r.Host, Header: r.Header.Clone(), BodyLen: r.ContentLength, HasContentLength: hasCL})
	script := f.script
	f.mu.Unlock()
	if script != nil && script(w, r, c) {
		return
	}
	if r.Method == http.MethodGet {
		f.serveReply(w, r)
		return
	}
	switch strings.ToLower(pkt) {
	case "create-session":
		f.mu.Lock()
		f.created++
		id := fmt.Sprintf("{%08X-0000-4000-8000-%012X}", f.created, f.created)
		if f.sid != nil {
			id = f.sid(f.created)
		}
		f.sess[id] = &fakeSession{}
		f.mu.Unlock()
		a := wire.Ack{SessionID: id, Protocol: wire.ProtocolGUID, AcceptEncoding: "identity", HostID: f.hostID}
		if f.fallback > 0 {
			a.FallbackTimeout, a.HasFallback = int64(f.fallback), true
		}
		a.Write(w)
	case "ping":
		wire.Ack{}.Write(w)
	case "fragment":
		f.fragment(w, r, c.Session)
	case "close-session", "cancel-session":
		f.mu.Lock()
		s := f.sess[c.Session]
		if s != nil {
			if strings.EqualFold(pkt, "close-session") {
				s.closed = true
			} else {
				s.cancelled = true
			}
		}
		f.mu.Unlock()
		if s == nil {
			wire.ErrSessionNotFound.Ack().Write(w)
			return
		}
		wire.Ack{}.Write(w)
	default:
		wire.ErrBadRequest.Ack().Write(w)
	}
}

func (f *fakeServer) fragment(w http.ResponseWriter, r *http.Request, sid string) {
	f.mu.Lock()
	s := f.sess[sid]
	f.mu.Unlock()
	if s == nil {
		io.Copy(io.Discard, r.Body)
		wire.ErrSessionNotFound.Ack().Write(w)
		return
	}
	rg, err := wire.ParseContentRange(r.Header.Get(wire.HdrContentRange))
	if err != nil {
		wire.ErrBadRequest.Ack().Write(w)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || int64(len(body)) != rg.Len() {
		return // cut: no Ack
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	R := int64(len(s.data))
	if rg.First > R {
		wire.Ack{Status: 416, Received: R, HasReceived: true, Code: 0, Context: wire.ContextRemoteFile, HasError: true}.Write(w)
		return
	}
	if rg.Last >= R {
		s.data = append(s.data, body[R-rg.First:]...)
	}
	a := wire.Ack{Received: int64(len(s.data)), HasReceived: true}
	if a.Received == rg.Total && f.reply != nil {
		a.ReplyURL = `BITS-Sessions\Replies\` + sid + `\responsefile.bin`
		if f.replyURL != nil {
			a.ReplyURL = f.replyURL(sid)
		}
	}
	a.Write(w)
}

func (f *fakeServer) serveReply(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	reply := f.reply
	f.mu.Unlock()
	if reply == nil {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "responsefile.bin", time.Time{}, bytes.NewReader(reply))
}

// data returns the bytes the server holds for session n (1-based).
func (f *fakeServer) data(n int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("{%08X-0000-4000-8000-%012X}", n, n)
	if f.sid != nil {
		id = f.sid(n)
	}
	if s := f.sess[id]; s != nil {
		return s.data
	}
	return nil
}

// forget drops every session (the server "lost its state").
func (f *fakeServer) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sess = map[string]*fakeSession{}
}

func (f *fakeServer) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

// packets returns the packet sequence, fragments with their range.
func (f *fakeServer) packets() []string {
	var out []string
	for _, r := range f.requests() {
		s := r.Packet
		if r.Range != "" {
			s += " " + strings.TrimPrefix(r.Range, "bytes ")
		}
		out = append(out, s)
	}
	return out
}

// --- helpers ---

// testFile writes size deterministic bytes to a temp file.
func testFile(t testing.TB, size int) (string, []byte) {
	t.Helper()
	return testutil.PayloadFile(t, "report.dat", size, uint64(size))
}

// virtualClock returns an auto-advancing virtual clock stopped at cleanup.
func virtualClock(t testing.TB) *sim.Virtual {
	v := sim.NewVirtual(time.Time{})
	v.AutoAdvance(0, 0)
	t.Cleanup(v.StopAuto)
	return v
}

// run creates and runs a job, failing the test if NewJob fails.
func run(t testing.TB, opts Options, spec JobSpec) (Result, *sim.History) {
	t.Helper()
	h := sim.NewHistory()
	opts.Events = sim.Tee(opts.Events, h)
	j, err := NewJob(opts, spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, _ := j.Run(ctx)
	return res, h
}

func dumpEvents(t testing.TB, h *sim.History) {
	t.Helper()
	for _, e := range h.Events() {
		t.Log(e)
	}
}

// fragmentStarts returns the First byte of every Fragment the client sent.
func fragmentStarts(h *sim.History) []int64 {
	var out []int64
	for _, e := range h.OfKind(sim.ClientRequest) {
		if e.Packet == "Fragment" {
			out = append(out, e.First)
		}
	}
	return out
}

// wireTap is a sim.Network that records every byte the client writes.
type wireTap struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *wireTap) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	return sim.TCP{}.Listen(ctx, network, address)
}

func (w *wireTap) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := sim.TCP{}.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, w: w}, nil
}

func (w *wireTap) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

type tapConn struct {
	net.Conn
	w *wireTap
}

func (c *tapConn) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	c.w.buf.Write(p)
	c.w.mu.Unlock()
	return c.Conn.Write(p)
}

// ack writes an Ack with raw header names (exact case as given).
func rawAck(w http.ResponseWriter, status int, kv ...string) {
	h := w.Header()
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = []string{kv[i+1]}
	}
	h["Content-Length"] = []string{"0"}
	w.WriteHeader(status)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func wrapReader(id string, payload []byte) (io.Reader, int64, error) {
	return txn.WrapReader(id, bytes.NewReader(payload))
}
