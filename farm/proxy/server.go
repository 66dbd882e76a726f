package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bitsim/bitsim/sim"
)

// DefaultListen is the listen address Add uses when given "": any free
// loopback port.
const DefaultListen = "127.0.0.1:0"

// Server is an in-process toxiproxy: a set of named Links, each a TCP proxy
// with its own toxics, and optionally toxiproxy's REST API (see ServeAPI).
//
// Links created through the REST API (or the toxiproxy CLI) are Links of the
// Server too: Link and Links always reflect toxiproxy's own collection.
//
// All methods are safe for concurrent use. Close stops everything.
type Server struct {
	tp   *toxiproxy.ApiServer
	opts options

	mu     sync.Mutex
	links  map[*toxiproxy.Proxy]options  // options of links created by Add
	own    map[*toxiproxy.Proxy]*ownLink // links run by the Server itself (all added with Add)
	api    *apiServer                    // nil until ServeAPI
	closed bool
}

// New returns a Server with no links. Options given here are defaults for
// every Link added with Add.
func New(opts ...Option) *Server {
	o := options{sink: sim.Discard, clock: sim.Real{}}
	for _, opt := range opts {
		opt(&o)
	}
	// A fresh registry per Server: toxiproxy would otherwise register its
	// collectors globally, and a second Server in the process would panic.
	// Proxy metrics stay disabled (ProxyMetrics is nil), which also keeps
	// the byte counters off the data path.
	m := toxiproxy.NewMetricsContainer(prometheus.NewRegistry())
	return &Server{
		tp:    toxiproxy.NewServer(m, zerolog.Nop()),
		opts:  o,
		links: make(map[*toxiproxy.Proxy]options),
		own:   make(map[*toxiproxy.Proxy]*ownLink),
	}
}

// Option configures a Server (as a default for all its links) or a single
// Link (as an argument to Add).
type Option func(*options)

type options struct {
	net   sim.Network // nil: TCP
	rst   bool
	sink  sim.Sink
	clock sim.Clock
}

// WithRST makes every close of a link's connections an abortive close (TCP
// RST, ECONNRESET for the peer) instead of a FIN (EOF), whichever toxic
// closes it: bits_drop_ack, bits_cut_request, timeout, limit_data...
// The Server sets SO_LINGER=0 on both sockets of every connection the link
// accepts.
func WithRST() Option { return func(o *options) { o.rst = true } }

// WithSink records a sim.LinkChanged event for every change made through
// this package's API (not for changes made through the REST API).
func WithSink(s sim.Sink) Option { return func(o *options) { o.sink = sim.OrDiscard(s) } }

// WithClock sets the clock stamping events (At); the default is sim.Real.
// Toxics themselves always run on real time.
func WithClock(c sim.Clock) Option {
	return func(o *options) {
		if c != nil {
			o.clock = c
		}
	}
}

// Add creates the link name, listening on listen ("" or "127.0.0.1:0" for
// any free port; Link.Addr reports the bound address) and forwarding every
// accepted connection to upstream, and starts it. The upstream is dialled
// once per accepted connection, synchronously, so a dead upstream shows as
// an accepted-then-closed connection.
func (s *Server) Add(name, listen, upstream string, opts ...Option) (*Link, error) {
	o := s.opts
	for _, opt := range opts {
		opt(&o)
	}
	if name == "" {
		return nil, errors.New("proxy: add: empty link name")
	}
	if upstream == "" {
		return nil, fmt.Errorf("proxy: add %s: empty upstream", name)
	}
	if listen == "" {
		listen = DefaultListen
	}
	if s.isClosed() {
		return nil, fmt.Errorf("proxy: add %s: server closed", name)
	}
	p := toxiproxy.NewProxy(s.tp, name, listen, upstream)
	return s.addOwn(p, o)
}

// Link returns the link called name, if any.
func (s *Server) Link(name string) (*Link, bool) {
	p, err := s.tp.Collection.Get(name)
	if err != nil {
		return nil, false
	}
	return s.wrap(p), true
}

// Links returns every link, sorted by name.
func (s *Server) Links() []*Link {
	ps := s.tp.Collection.Proxies()
	out := make([]*Link, 0, len(ps))
	for _, p := range ps {
		out = append(out, s.wrap(p))
	}
	slices.SortFunc(out, func(a, b *Link) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// Remove stops the link name (closing its listener and every connection)
// and forgets it. For a link added with Add, it returns once every chain of
// the link's connections has ended.
func (s *Server) Remove(name string) error {
	p, err := s.remove(name)
	if err != nil {
		return err
	}
	s.wrap(p).emit(sim.Event{Link: sim.LinkRemoved, Detail: "removed"})
	return nil
}

// remove is Remove without the event (the REST API's removals are not
// recorded); it returns the removed link's proxy.
func (s *Server) remove(name string) (*toxiproxy.Proxy, error) {
	p, err := s.tp.Collection.Get(name)
	if err != nil {
		return nil, fmt.Errorf("proxy: remove %s: %w", name, err)
	}
	if m := s.ownOf(p); m != nil {
		m.close()
		s.mu.Lock()
		delete(s.own, p)
		s.mu.Unlock()
	}
	if err := s.tp.Collection.Remove(name); err != nil {
		return nil, fmt.Errorf("proxy: remove %s: %w", name, err)
	}
	s.mu.Lock()
	delete(s.links, p)
	s.mu.Unlock()
	return p, nil
}

// Close stops every link (listeners and live connections) and then the REST
// API, if served, waiting for its goroutines. Close clients' idle
// connections first and upstream servers after, so that nothing redials a
// half-closed farm. Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	api := s.api
	s.mu.Unlock()

	s.mu.Lock()
	owns := make([]*ownLink, 0, len(s.own))
	for _, m := range s.own {
		owns = append(owns, m)
	}
	s.mu.Unlock()
	for _, m := range owns {
		m.close()
	}
	err := s.tp.Collection.Clear()
	s.mu.Lock()
	clear(s.links)
	clear(s.own)
	s.mu.Unlock()
	if api != nil {
		api.stopCtx()
		err = errors.Join(err, api.shutdown())
	}
	if err != nil {
		return fmt.Errorf("proxy: close: %w", err)
	}
	return nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) wrap(p *toxiproxy.Proxy) *Link { return &Link{s: s, p: p} }

// optionsOf returns the options a link was added with, or the Server's
// defaults for a link created through the REST API.
func (s *Server) optionsOf(p *toxiproxy.Proxy) options {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.links[p]; ok {
		return o
	}
	o := s.opts
	o.rst = false
	return o
}

// APIHandler returns toxiproxy's REST API (the routes of upstream's
// ApiServer.Listen: /proxies, /proxies/{proxy}, /proxies/{proxy}/toxics,
// /proxies/{proxy}/toxics/{toxic}, /reset, /populate, /version) bound to
// this Server, so the toxiproxy client package and CLI can drive it.
func (s *Server) APIHandler() http.Handler { return s.router() }

// addOwn adds p as a link the Server runs itself, on o.net (see ownLink).
func (s *Server) addOwn(p *toxiproxy.Proxy, o options) (*Link, error) {
	_, tcp := sim.OrTCP(o.net).(sim.TCP)
	m := &ownLink{s: s, p: p, n: sim.OrTCP(o.net), tcp: tcp, rst: o.rst, upstream: p.Upstream,
		conns: map[net.Conn]struct{}{}, resets: map[string]bool{}}
	if err := s.tp.Collection.Add(p, false); err != nil {
		return nil, fmt.Errorf("proxy: add %s: %w", p.Name, err)
	}
	if err := m.start(); err != nil {
		_ = s.tp.Collection.Remove(p.Name)
		return nil, fmt.Errorf("proxy: add %s: %w", p.Name, err)
	}
	s.mu.Lock()
	s.links[p] = o
	s.own[p] = m
	s.mu.Unlock()
	l := s.wrap(p)
	l.emit(sim.Event{Link: sim.LinkAdded, Listen: l.Addr(), Upstream: p.Upstream, Detail: "added listen=" + l.Addr() + " upstream=" + p.Upstream})
	return l, nil
}

// ownOf returns the runner of p, a link added with Add, or nil for a link
// created through the REST API (run by toxiproxy).
func (s *Server) ownOf(p *toxiproxy.Proxy) *ownLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own[p]
}
