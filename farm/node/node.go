package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/bitsim/bitsim/sim"
)

// Node is one BITS upload server: the IIS extension serving one virtual
// directory. It is an http.Handler (mount it anywhere, or let Start serve
// it) with a lifecycle:
//
//	New ──► Start ──► Shutdown/Close   (orderly: in-flight packets finish)
//	                 └──► Kill / crash point (abrupt: connections reset,
//	                                          memory state lost)
//
// A dead or closed node never serves again; a restart is New with the
// same configuration, which reloads every durable session from Dir, then
// Start on the same address.
//
// All methods are safe for concurrent use.
type Node struct {
	cfg    Config
	clock  sim.Clock
	lay    layout
	notify *http.Client
	ownNC  bool // notify was built here: close its idle connections

	// ctx is the node process's lifetime: cancelled by Kill, a crash or
	// Close; it bounds notifications.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[string]*session

	arms   armTable
	disk   slowDisk       // SlowDisk's extra write time
	answer statusOverride // AnswerStatus's overriding answer

	reqSeq atomic.Int64 // request ids of logged error Acks

	// life guards dead/closed against handler entry, so that after die or
	// Shutdown has set a flag no new handler starts and wg.Wait is sound.
	life    sync.RWMutex
	dead    bool
	closed  bool
	wg      sync.WaitGroup
	crashed chan struct{}
	// orphans counts notification exchanges that outlive their handler
	// (crash at AfterNotifySent); Shutdown and Close wait for them, Kill
	// does not.
	orphans sync.WaitGroup

	srvMu      sync.Mutex
	connMu     sync.Mutex // guards conns (separate from srvMu: see die)
	cleanupRun sync.Mutex // serialises RunCleanup
	srv        *http.Server
	ln         net.Listener
	serveDone  chan struct{}
	conns      map[net.Conn]struct{}

	cleanupMu    sync.Mutex
	cleanupTimer sim.Timer
}

var _ http.Handler = (*Node)(nil)

// New builds a node, creating its session directories and loading every
// durable session found there (one sim.SessionRestored event each). It
// arms the cleanup timer (unless CleanupInterval is negative), so call
// Close, Shutdown or Kill when done even if the node is never started.
func New(cfg Config) (*Node, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg:      c,
		clock:    c.Clock,
		lay:      newLayout(c.Dir, c.SessionDirectory),
		sessions: map[string]*session{},
		crashed:  make(chan struct{}),
	}
	n.notify = c.NotifyClient
	if n.notify == nil {
		n.notify = &http.Client{Transport: &http.Transport{
			DialContext:       c.Net.DialContext,
			DisableKeepAlives: true,
			Proxy:             nil,
		}}
		n.ownNC = true
	}
	if err := n.lay.mkdirs(); err != nil {
		return nil, err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.load(); err != nil {
		n.cancel()
		return nil, err
	}
	n.scheduleCleanup()
	return n, nil
}

// Config returns the node's configuration with defaults applied.
func (n *Node) Config() Config { return n.cfg }

// Name returns the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Start listens on addr through cfg.Net and serves in a goroutine owned by
// the node (Shutdown, Close and Kill stop it and wait for it).
func (n *Node) Start(ctx context.Context, addr string) error {
	n.srvMu.Lock()
	defer n.srvMu.Unlock()
	if n.srv != nil {
		return errors.New("node: node already started")
	}
	if !n.Alive() {
		return errors.New("node: node is closed or dead; restart with New")
	}
	ln, err := n.cfg.Net.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("node: %s: listen %s: %w", n.cfg.Name, addr, err)
	}
	n.ln = ln
	n.connMu.Lock()
	n.conns = map[net.Conn]struct{}{}
	n.connMu.Unlock()
	n.srv = &http.Server{
		Handler:           n,
		ReadHeaderTimeout: n.cfg.ReadHeaderTimeout,
		MaxHeaderBytes:    n.cfg.MaxHeaderBytes,
		ConnState:         n.trackConn,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	n.serveDone = make(chan struct{})
	srv, done := n.srv, n.serveDone
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	restored := n.sessionCount()
	n.emit(sim.Event{Kind: sim.NodeStarted, URL: "http://" + ln.Addr().String(), Count: int64(restored),
		Detail: fmt.Sprintf("restored %d sessions", restored)})
	return nil
}

// Addr returns the listening address ("127.0.0.1:PORT"), or "" before Start.
func (n *Node) Addr() string {
	n.srvMu.Lock()
	defer n.srvMu.Unlock()
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// URL returns the node's base URL, "http://127.0.0.1:PORT", or "" before
// Start.
func (n *Node) URL() string {
	if a := n.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// UploadURL returns the URL of remote path p in the node's virtual
// directory, e.g. UploadURL("inbox/a.bin") = "http://127.0.0.1:P/upload/inbox/a.bin".
func (n *Node) UploadURL(p string) string { return n.URL() + n.cfg.Prefix + p }

// Crashed returns a channel closed when the node dies abruptly (a crash
// point fired, or Kill).
func (n *Node) Crashed() <-chan struct{} { return n.crashed }

// Shutdown stops the node in order: the listener closes, in-flight packets
// finish and are answered (net/http Shutdown), then the node is closed. If
// ctx ends first, remaining connections are closed and ctx.Err() returned.
// Durable sessions stay on disk for the next New. On a node that died
// at AfterNotifySent it also waits for the orphaned notification (until
// the app answers or NotificationTimeout runs out). Call it on every node,
// dead or alive, before the test or run ends.
func (n *Node) Shutdown(ctx context.Context) error {
	n.stopCleanup()
	var err error
	n.srvMu.Lock()
	srv, done := n.srv, n.serveDone
	n.srvMu.Unlock()
	if srv != nil {
		if err = srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}
	n.life.Lock()
	wasOpen := !n.dead && !n.closed
	n.closed = true
	n.life.Unlock()
	n.stopCleanup() // again: a cleanup run may have re-armed it meanwhile
	n.cancel()
	n.wg.Wait()
	n.orphans.Wait()
	n.closeIdleNotify()
	if wasOpen {
		n.emit(sim.Event{Kind: sim.NodeStopped})
	}
	return err
}

// Close is Shutdown without a deadline.
func (n *Node) Close() error { return n.Shutdown(context.Background()) }

// KillOptions refines Kill.
type KillOptions struct {
	// LoseTail truncates the last LoseTail bytes of request files, as if
	// they had never been flushed to disk (§14 case 11). Uploads already
	// committed to their destination are not touched.
	LoseTail int64
	// Session limits LoseTail to one session id; empty means every session.
	Session string
}

// Kill kills the node abruptly: the listener closes, live connections are
// reset (RST where the network allows it), in-flight handlers are aborted
// without Acks, notifications in flight are cut, and the in-memory state
// (notify cache, arming) is gone with the node. It waits until no handler
// of the node runs any more, so a restarted node never races with it (an
// orphaned notification may still be waiting for the app; it touches no
// file). Killing a crashed node just waits.
func (n *Node) Kill() { n.KillWith(KillOptions{}) }

// KillWith is Kill with options.
func (n *Node) KillWith(o KillOptions) {
	n.die(NoCrash, "")
	n.wg.Wait()
	n.srvMu.Lock()
	done := n.serveDone
	n.srvMu.Unlock()
	if done != nil {
		<-done
	}
	if o.LoseTail > 0 {
		n.loseTail(o.LoseTail, o.Session)
	}
	n.closeIdleNotify()
}

// Abort kills the node at once from any goroutine, one of the node's own
// handlers included: it is die without a crash point. Unlike Kill it does
// not wait for the handlers to end; call Kill (or KillWith) later, before
// restarting on the same storage, to wait for them. session names the
// session whose packet caused it, if any (recorded on the crash event).
func (n *Node) Abort(session string) { n.die(NoCrash, session) }

// die makes the node dead (idempotent): no new handler starts, the cleanup
// timer stops, notifications are cancelled, the listener and every
// connection are closed. It does not wait for handlers (it may run on one).
func (n *Node) die(p CrashPoint, session string) {
	n.life.Lock()
	if n.dead || n.closed {
		n.life.Unlock()
		return
	}
	n.dead = true
	n.life.Unlock()
	n.stopCleanup()
	n.cancel()
	// srv.Close waits for its Serve loop, which may be inside trackConn:
	// never hold a lock trackConn takes while closing.
	n.srvMu.Lock()
	srv := n.srv
	n.srvMu.Unlock()
	if srv != nil {
		n.connMu.Lock()
		for c := range n.conns {
			resetOnClose(c)
		}
		n.connMu.Unlock()
		_ = srv.Close()
	}
	close(n.crashed)
	e := sim.Event{Kind: sim.NodeCrashed, Session: session, Detail: "killed"}
	if p != NoCrash {
		e.Point, e.Detail = p.String(), "crash point"
	}
	n.emit(e)
}

// enter admits a handler, or reports false for a dead or closed node.
func (n *Node) enter() bool {
	n.life.RLock()
	defer n.life.RUnlock()
	if n.dead || n.closed {
		return false
	}
	n.wg.Add(1)
	return true
}

// Alive reports whether the node is started or startable: neither dead
// (killed or crashed) nor closed.
func (n *Node) Alive() bool {
	n.life.RLock()
	defer n.life.RUnlock()
	return !n.dead && !n.closed
}

// ErrDead is returned by a dead node's writes: a node killed from any
// trigger (crash point, event, time, bytes) writes nothing more to disk and
// answers nothing more, whatever its handlers were doing.
var ErrDead = errors.New("node: dead")

// live returns ErrDead once the node is dead: every disk write and every
// answer of a handler passes through it.
func (n *Node) live() error {
	if n.Dead() {
		return ErrDead
	}
	return nil
}

// abortIfDead aborts a handler of a dead node (no answer, connection
// dropped).
func (n *Node) abortIfDead() {
	if n.Dead() {
		panic(http.ErrAbortHandler)
	}
}

// Dead reports whether the node was killed or crashed (a closed node is
// not dead).
func (n *Node) Dead() bool {
	n.life.RLock()
	defer n.life.RUnlock()
	return n.dead
}

func (n *Node) trackConn(c net.Conn, s http.ConnState) {
	n.connMu.Lock()
	defer n.connMu.Unlock()
	switch s {
	case http.StateNew:
		n.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(n.conns, c)
	}
}

// resetOnClose makes the next Close of c send a TCP RST (SO_LINGER 0), as a
// dying process's kernel does for connections with unread data.
func resetOnClose(c net.Conn) {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		_ = l.SetLinger(0)
	}
}

func (n *Node) closeIdleNotify() {
	if n.ownNC {
		n.notify.CloseIdleConnections()
	}
}
