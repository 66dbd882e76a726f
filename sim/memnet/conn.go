package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// pipe is one direction of a connection: bytes delivered by the scheduler
// and not yet read.
type pipe struct {
	mu     sync.Mutex
	buf    []byte
	eof    bool // the writer closed: EOF once buf is drained
	reset  bool // the writer reset: ECONNRESET at once
	gone   bool // the reader closed: writes fail
	notify chan struct{}
}

func newPipe() *pipe { return &pipe{notify: make(chan struct{})} }

func (p *pipe) signalLocked() {
	close(p.notify)
	p.notify = make(chan struct{})
}

// Conn is one end of an in-memory connection. Writes never block: they are
// buffered until read. SetLinger(0) makes Close a reset (ECONNRESET for the
// peer), as does closing with unread data, as in TCP.
type Conn struct {
	sched         *Scheduler
	name          string // scheduler name of this direction's messages
	in, out       *pipe
	local, remote addr

	mu     sync.Mutex
	seq    uint64
	closed bool
	linger bool
	done   chan struct{} // closed by Close: wakes local readers

	rd, wd deadline
}

func pair(s *Scheduler, name string, caddr, saddr addr) (client, server *Conn) {
	up, down := newPipe(), newPipe()
	client = &Conn{sched: s, name: name + ">", in: down, out: up, local: caddr, remote: saddr, done: make(chan struct{})}
	server = &Conn{sched: s, name: name + "<", in: up, out: down, local: saddr, remote: caddr, done: make(chan struct{})}
	client.rd.init()
	client.wd.init()
	server.rd.init()
	server.wd.init()
	return client, server
}

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

// Read implements net.Conn.
func (c *Conn) Read(b []byte) (int, error) {
	for {
		select {
		case <-c.done:
			return 0, c.opErr("read", net.ErrClosed)
		default:
		}
		if c.rd.expired() {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		p := c.in
		p.mu.Lock()
		switch {
		case p.reset:
			p.mu.Unlock()
			return 0, c.opErr("read", os.NewSyscallError("read", syscall.ECONNRESET))
		case len(p.buf) > 0:
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		case p.eof:
			p.mu.Unlock()
			return 0, io.EOF
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-c.done:
		case <-c.rd.wait():
		}
	}
}

// Write implements net.Conn: the bytes are posted to the scheduler.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, c.opErr("write", net.ErrClosed)
	}
	if c.wd.expired() {
		c.mu.Unlock()
		return 0, c.opErr("write", os.ErrDeadlineExceeded)
	}
	p := c.out
	p.mu.Lock()
	gone := p.gone
	p.mu.Unlock()
	if gone {
		c.mu.Unlock()
		return 0, c.opErr("write", os.NewSyscallError("write", syscall.ECONNRESET))
	}
	if len(b) == 0 {
		c.mu.Unlock()
		return 0, nil
	}
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	data := append([]byte(nil), b...)
	c.sched.Post(c.name, seq, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gone || p.reset || p.eof {
			return
		}
		p.buf = append(p.buf, data...)
		p.signalLocked()
	})
	return len(b), nil
}

// Close implements net.Conn. Local reads and writes fail at once; the peer
// sees EOF (or a reset) when the scheduler delivers the close.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	c.seq++
	seq, linger := c.seq, c.linger
	c.mu.Unlock()
	c.rd.stop()
	c.wd.stop()
	in, out := c.in, c.out
	c.sched.Post(c.name, seq, func() {
		in.mu.Lock()
		unread := len(in.buf) > 0
		in.gone = true
		in.buf = nil
		in.mu.Unlock()
		out.mu.Lock()
		if linger || unread {
			out.reset = true
		} else {
			out.eof = true
		}
		out.signalLocked()
		out.mu.Unlock()
	})
	return nil
}

// SetLinger with 0 makes Close a reset.
func (c *Conn) SetLinger(sec int) error {
	c.mu.Lock()
	c.linger = sec == 0
	c.mu.Unlock()
	return nil
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rd.set(t); return nil }

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

// deadline is a resettable deadline whose channel is closed when it passes
// (on the bubble's clock).
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	ch    chan struct{}
}

func (d *deadline) init() { d.ch = make(chan struct{}) }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.ch // the timer fired: wait for it to close ch
	}
	d.timer = nil
	closed := isClosed(d.ch)
	if t.IsZero() {
		if closed {
			d.ch = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.ch = make(chan struct{})
		}
		ch := d.ch
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	if !closed {
		close(d.ch)
	}
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

func (d *deadline) expired() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return isClosed(d.ch)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

var _ net.Conn = (*Conn)(nil)
