package proxy

import (
	"context"
	"io"
	"net"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/stream"

	"github.com/bitsim/bitsim/sim"
)

// WithNetwork runs every link on n instead of TCP (the exact tier's
// in-memory network): the Server accepts and dials through n itself and
// runs toxiproxy's toxic chains on the connections with
// ToxicCollection.StartLink, so stock and bitsim toxics work unchanged.
// toxiproxy's own listener and REST-created links stay on TCP.
//
// On such links the built-in reset_peer and limit_data toxics are run as
// bits_reset_safe and bits_limit_data_safe (same behaviour, without
// toxiproxy's goroutine leak, which would stop a synctest bubble from
// ending), and WithRST resets connections by SO_LINGER 0 on both ends.
func WithNetwork(n sim.Network) Option { return func(o *options) { o.net = n } }

// memLink is the accept loop and the live connections of a link run on
// an in-memory network.
type memLink struct {
	s   *Server
	p   *toxiproxy.Proxy
	n   sim.Network
	rst bool

	mu       sync.Mutex
	ln       net.Listener
	upstream string
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup // accept loop and connection pumps
}

// dialer names the link's dials for the scheduler (see sim.Named).
func (m *memLink) dialer() sim.Network { return sim.Named(m.n, "link/"+m.p.Name) }

func (m *memLink) start() error {
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

func (m *memLink) accept(ln net.Listener) {
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
		if m.rst {
			setLinger0(client)
			setLinger0(server)
		}
		name := client.RemoteAddr().String()
		m.wg.Add(2)
		m.p.Toxics.StartLink(m.s.tp, name+"upstream", client, &drainWriter{c: server, done: func() { m.untrack(server); m.wg.Done() }}, stream.Upstream)
		m.p.Toxics.StartLink(m.s.tp, name+"downstream", server, &drainWriter{c: client, done: func() { m.untrack(client); m.wg.Done() }}, stream.Downstream)
	}
}

func (m *memLink) track(cs ...net.Conn) bool {
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

func (m *memLink) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
}

// stop closes the listener and every live connection (new dials are
// refused), like toxiproxy's Proxy.Stop.
func (m *memLink) stop() {
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

func (m *memLink) enabled() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ln != nil
}

// close stops the link, removes its toxics (so no toxic holds its chain)
// and waits for every goroutine of its connections.
func (m *memLink) close() {
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

// memType maps a toxic type to the one run on in-memory links.
func memType(typ string) string {
	switch typ {
	case "reset_peer":
		return "bits_reset_safe"
	case "limit_data":
		return "bits_limit_data_safe"
	}
	return typ
}
