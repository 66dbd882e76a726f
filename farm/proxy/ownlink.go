package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/stream"
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/bitsim/bitsim/sim"
)

// WithNetwork runs every link on n instead of TCP (the exact tier's
// in-memory network). Links created through the REST API stay on TCP.
func WithNetwork(n sim.Network) Option { return func(o *options) { o.net = n } }

// ownLink is the accept loop and the live connections of a link added with
// Add: the Server listens, accepts and dials through the link's network
// (TCP or in-memory) itself and runs toxiproxy's toxic chains on each
// connection with ToxicCollection.StartLink, so stock and bitsim toxics
// work unchanged. Toxiproxy's own accept loop runs only the links created
// through the REST API.
//
// Each chain writes to a drainWriter, so a chain never outlives its
// connection (toxiproxy's own writer strands the chain's last stage when a
// write fails, see LeakyTopFunctions), and close waits until every chain of
// the link's connections has ended. The built-in reset_peer and limit_data toxics
// are run as bits_reset_safe and bits_limit_data_safe (same behaviour,
// without toxiproxy's goroutine leak, which would also stop a synctest
// bubble from ending; toxiproxy's reset_peer needs *net.TCPConn ends).
// WithRST sets SO_LINGER 0 on both ends of every connection; on TCP, so
// does a toxic added as reset_peer being in either chain when the
// connection is accepted, as toxiproxy does for its reset_peer.
type ownLink struct {
	s   *Server
	p   *toxiproxy.Proxy
	n   sim.Network
	tcp bool // n is TCP
	rst bool

	mu       sync.Mutex
	ln       net.Listener
	upstream string
	conns    map[net.Conn]struct{}
	resets   map[string]bool // toxics added as reset_peer, by name
	wg       sync.WaitGroup  // accept loop and connection pumps
}

// dialer names the link's dials for the scheduler (see sim.Named).
func (m *ownLink) dialer() sim.Network { return sim.Named(m.n, "link/"+m.p.Name) }

func (m *ownLink) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ln != nil {
		return toxiproxy.ErrProxyAlreadyStarted
	}
	ln, err := m.n.Listen(context.Background(), "tcp", m.p.Listen)
	if err != nil {
		return err
	}
	m.ln = ln
	m.p.Lock()
	m.p.Listen = ln.Addr().String()
	m.p.Enabled = true
	m.p.Unlock()
	m.wg.Add(1)
	go m.accept(ln)
	return nil
}

func (m *ownLink) accept(ln net.Listener) {
	defer m.wg.Done()
	for {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		m.mu.Lock()
		up := m.upstream
		m.mu.Unlock()
		server, err := m.dialer().DialContext(context.Background(), "tcp", up)
		if err != nil {
			setLinger0(client)
			client.Close()
			continue
		}
		if !m.track(client, server) {
			client.Close()
			server.Close()
			continue
		}
		if m.rst || m.tcp && m.hasReset() {
			setLinger0(client)
			setLinger0(server)
		}
		name := client.RemoteAddr().String()
		m.wg.Add(2)
		m.p.Toxics.StartLink(m.s.tp, name+"upstream", client, &drainWriter{c: server, done: func() { m.untrack(server); m.wg.Done() }}, stream.Upstream)
		m.p.Toxics.StartLink(m.s.tp, name+"downstream", server, &drainWriter{c: client, done: func() { m.untrack(client); m.wg.Done() }}, stream.Downstream)
	}
}

// adding notes that the toxic called name is being added as type typ.
func (m *ownLink) adding(name, typ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if typ == "reset_peer" {
		m.resets[name] = true
	} else {
		delete(m.resets, name)
	}
}

// hasReset reports whether a toxic added as reset_peer is in either chain.
func (m *ownLink) hasReset() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.resets) == 0 {
		return false
	}
	for _, x := range m.p.Toxics.GetToxicArray() {
		if w, ok := x.(*toxics.ToxicWrapper); ok && w.Type == memType("reset_peer") && m.resets[w.Name] {
			return true
		}
	}
	return false
}

func (m *ownLink) track(cs ...net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ln == nil {
		return false
	}
	for _, c := range cs {
		m.conns[c] = struct{}{}
	}
	return true
}

func (m *ownLink) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
}

// stop closes the listener and every live connection (new dials are
// refused), like toxiproxy's Proxy.Stop.
func (m *ownLink) stop() {
	m.mu.Lock()
	ln := m.ln
	m.ln = nil
	conns := make([]net.Conn, 0, len(m.conns))
	for c := range m.conns {
		conns = append(conns, c)
	}
	m.mu.Unlock()
	m.p.Lock()
	m.p.Enabled = false
	m.p.Unlock()
	if ln != nil {
		ln.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}

// update is toxiproxy's Proxy.Update for the link: a new listen or
// upstream address stops it, and it is then started or stopped as enabled
// says.
func (m *ownLink) update(listen, upstream string, enabled bool) error {
	m.p.Lock()
	moved := listen != m.p.Listen || upstream != m.p.Upstream
	m.p.Unlock()
	if moved {
		m.stop()
		m.mu.Lock()
		m.upstream = upstream
		m.mu.Unlock()
		m.p.Lock()
		m.p.Listen, m.p.Upstream = listen, upstream
		m.p.Unlock()
	}
	if !enabled {
		m.stop()
		return nil
	}
	if err := m.start(); err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		return err
	}
	return nil
}

func (m *ownLink) enabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ln != nil
}

// close stops the link, removes its toxics (so no toxic holds its chain)
// and waits until every chain of its connections has ended.
func (m *ownLink) close() {
	m.stop()
	m.p.Toxics.ResetToxics(context.Background())
	m.wg.Wait()
}

func setLinger0(c net.Conn) {
	if l, ok := c.(interface{ SetLinger(int) error }); ok {
		_ = l.SetLinger(0)
	}
}

// drainWriter is a link's destination: once a write fails it discards
// everything else, so toxiproxy's writer keeps draining its toxic chain
// until the source ends (toxiproxy would otherwise leave the chain blocked
// for good; see LeakyTopFunctions).
type drainWriter struct {
	c      net.Conn
	failed bool
	done   func()
	once   sync.Once
}

func (d *drainWriter) Write(p []byte) (int, error) {
	if d.failed {
		return len(p), nil
	}
	if _, err := d.c.Write(p); err != nil {
		d.failed = true
	}
	return len(p), nil
}

func (d *drainWriter) Close() error {
	err := d.c.Close()
	d.once.Do(d.done)
	return err
}

var _ io.WriteCloser = (*drainWriter)(nil)

// memType maps a toxic type to the one run on the Server's own links.
func memType(typ string) string {
	switch typ {
	case "reset_peer":
		return "bits_reset_safe"
	case "limit_data":
		return "bits_limit_data_safe"
	}
	return typ
}
