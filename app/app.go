package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// HdrNode names the notifying node. Nodes send it on every notification;
// the app records it in Delivery.Node. It is not a BITS header.
const HdrNode = wire.HdrNode

// Routes under the base path. Every other POST under the base is a
// notification.
const (
	NotifyPath = "/notify" // the documented notification endpoint
	LedgerPath = "/ledger" // GET: the Snapshot as JSON
	ReplyPath  = "/reply/" // GET/HEAD <base>/reply/<sha256>: a reply the app produced (for static response URLs)
)

// Config configures an App. The zero value is a naive app on the real
// clock and real TCP, with no reply, emitting no events.
type Config struct {
	Mode   Mode        // Naive (default) or Idempotent
	Clock  sim.Clock   // protocol time for the ledger and faults; default sim.Real{}
	Events sim.Sink    // receives app.* events; default sim.Discard
	Net    sim.Network // Start listens on it; default sim.TCP{}
	Name   string      // Source of emitted events; default "app"
	// BasePath prefixes every route ("" or e.g. "/apps/ingest"). A trailing
	// slash is removed.
	BasePath string

	// Reply makes the app produce an upload-reply (ReplyFor) for every
	// processed notification: written to BITS-Response-DataFile-Name by
	// reference, returned as the body by value. False answers 200 with no
	// reply (plain upload jobs). Settable with SetReply.
	Reply bool
	// ReplyBodyByReference also returns the reply as the body by reference
	// (K9: the server may accept either; it should prefer the file).
	ReplyBodyByReference bool
	// StaticResponseURL, if set, is sent as BITS-Static-Response-URL on every
	// 200 answer, and then no reply file or body is produced (§10.3). The
	// placeholders {sha256} and {txn} are expanded, so
	// app.URL()+"/reply/{sha256}" points at the app's own reply route.
	// Settable with SetStaticResponseURL.
	StaticResponseURL string
	// CopyFileToDestination adds BITS-Copy-File-To-Destination: true to every
	// 200 answer. Settable with SetCopyFileToDestination.
	CopyFileToDestination bool

	// Latency is the initial SetLatency value.
	Latency time.Duration
	// StayDown: after a crash the app stays down, dropping every
	// notification unread, until Restart. Without it a crash loses only that
	// one answer (the app restarts at once). Settable with SetStayDown.
	StayDown bool
}

// App is the mock server application. It is an http.Handler; Start also
// serves it on a listener of its own. All methods are safe for concurrent
// use.
//
// The ledger, the effect count and the de-dup table model durable storage:
// they survive crashes and Restart.
type App struct {
	clock  sim.Clock
	events sim.Sink
	net    sim.Network
	name   string
	base   string
	mode   Mode

	// life is cancelled by Close: in-flight latencies return at once.
	life       context.Context
	cancelLife context.CancelFunc

	mu      sync.Mutex
	gen     int
	ledger  []ledger.Delivery
	effects int
	seen    map[string]bool   // keys delivered at least once
	applied map[string][]byte // keys applied -> reply of the first application
	bySHA   map[string][]byte // reply by upload sha256, for ReplyPath
	f       behaviour

	srvMu  sync.Mutex
	srv    *http.Server
	ln     net.Listener
	served chan struct{}
}

var _ http.Handler = (*App)(nil)

// New returns an app configured by cfg. It does not listen; use Start, or
// mount it as a handler.
func New(cfg Config) *App {
	a := &App{
		clock:   cfg.Clock,
		events:  sim.OrDiscard(cfg.Events),
		net:     sim.OrTCP(cfg.Net),
		name:    cfg.Name,
		base:    strings.TrimRight(cfg.BasePath, "/"),
		mode:    cfg.Mode,
		seen:    map[string]bool{},
		applied: map[string][]byte{},
		bySHA:   map[string][]byte{},
	}
	if a.clock == nil {
		a.clock = sim.Real{}
	}
	if a.name == "" {
		a.name = "app"
	}
	if a.base != "" && !strings.HasPrefix(a.base, "/") {
		a.base = "/" + a.base
	}
	a.f = behaviour{
		reply:      cfg.Reply,
		replyBody:  cfg.ReplyBodyByReference,
		staticURL:  cfg.StaticResponseURL,
		copyToDest: cfg.CopyFileToDestination,
		latency:    cfg.Latency,
		stayDown:   cfg.StayDown,
	}
	a.life, a.cancelLife = context.WithCancel(context.Background())
	return a
}

// Mode returns the processing mode.
func (a *App) Mode() Mode { return a.mode }

// ServeHTTP routes, under the base path:
//
//	GET|HEAD <base>/ledger          the Snapshot as JSON
//	GET|HEAD <base>/reply/<sha256>  a reply the app produced (Range supported)
//	POST     <base>/<anything else> a notification (documented: <base>/notify)
//
// A crash point aborts the handler with panic(http.ErrAbortHandler), which
// net/http turns into a dropped connection; call ServeHTTP only from an
// http.Server (or httptest.Server), not with a bare ResponseRecorder, when
// crashes are armed.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if a.base != "" {
		if p != a.base && !strings.HasPrefix(p, a.base+"/") {
			http.NotFound(w, r)
			return
		}
		p = strings.TrimPrefix(p, a.base)
	}
	switch {
	case p == LedgerPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		a.serveLedger(w, r)
	case strings.HasPrefix(p, ReplyPath) && r.Method != http.MethodPost:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		a.serveReply(w, r, strings.TrimPrefix(p, ReplyPath))
	case r.Method == http.MethodPost:
		a.notify(w, r)
	default:
		methodNotAllowed(w, "POST")
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, "app: method not allowed", http.StatusMethodNotAllowed)
}

func (a *App) serveReply(w http.ResponseWriter, r *http.Request, sha string) {
	a.mu.Lock()
	body, ok := a.bySHA[strings.ToLower(sha)]
	a.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
}

// Start listens on addr ("127.0.0.1:0" for any port) through cfg.Net and
// serves the app until Close or Shutdown. ctx bounds only the listen call.
// Start may be called once.
func (a *App) Start(ctx context.Context, addr string) error {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.srv != nil {
		return errors.New("app: already started")
	}
	if a.life.Err() != nil {
		return errors.New("app: closed")
	}
	ln, err := a.net.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("app: listen %s: %w", addr, err)
	}
	a.ln = ln
	a.srv = &http.Server{
		Handler:           a,
		ReadHeaderTimeout: time.Minute, // wall time: a guard against stuck peers, not a protocol timer
		BaseContext:       func(net.Listener) context.Context { return a.life },
	}
	a.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		srv.Serve(ln) // returns http.ErrServerClosed after Close/Shutdown
	}(a.srv, a.served)
	return nil
}

// URL returns the base URL, "http://host:port<base>", or "" before Start.
func (a *App) URL() string {
	a.srvMu.Lock()
	defer a.srvMu.Unlock()
	if a.ln == nil {
		return ""
	}
	return "http://" + a.ln.Addr().String() + a.base
}

// NotifyURL returns URL()+"/notify", the notification URL to give nodes.
func (a *App) NotifyURL() string { return a.URL() + NotifyPath }

// LedgerURL returns URL()+"/ledger".
func (a *App) LedgerURL() string { return a.URL() + LedgerPath }

// Close stops the app at once: in-flight latencies are cancelled (their
// notifications get no answer), connections are closed, and the serving
// goroutine has exited when Close returns. The ledger stays readable.
func (a *App) Close() error {
	a.cancelLife()
	a.srvMu.Lock()
	srv, done := a.srv, a.served
	a.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	return err
}

// Shutdown stops accepting notifications and waits for in-flight ones to
// finish (latencies run out on the app's clock) until ctx ends; then it
// closes like Close.
func (a *App) Shutdown(ctx context.Context) error {
	a.srvMu.Lock()
	srv := a.srv
	a.srvMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

func (a *App) emit(e sim.Event) {
	e.Source = a.name
	if e.At.IsZero() {
		e.At = a.clock.Now()
	}
	a.events.Record(e)
}
