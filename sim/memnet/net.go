package memnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/bitsim/bitsim/sim"
)

// Network is an in-memory sim.Network. Named returns views that dial under
// a given identity (the connection names the scheduler orders by).
type Network struct {
	sched *Scheduler
	name  string // the dialer identity of this view
	st    *state
}

type state struct {
	mu        sync.Mutex
	listeners map[string]*Listener
	nextPort  int
	dials     map[string]int // per-dialer dial counter
}

// New returns a network whose messages s delivers.
func New(s *Scheduler) *Network {
	return &Network{sched: s, name: "anon", st: &state{listeners: map[string]*Listener{}, nextPort: 20000, dials: map[string]int{}}}
}

// Named returns a view of n whose dials are named after id (a component:
// "job-a", "node1", "balancer", "link/shared").
func (n *Network) Named(id string) *Network {
	c := *n
	c.name = id
	return &c
}

// Name returns the view's dialer identity.
func (n *Network) Name() string { return n.name }

// Scheduler returns the network's scheduler.
func (n *Network) Scheduler() *Scheduler { return n.sched }

// Listen listens on address ("host:0" picks the next free port).
func (n *Network) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	st := n.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if port == "0" || port == "" {
		for {
			st.nextPort++
			a := net.JoinHostPort(host, strconv.Itoa(st.nextPort))
			if st.listeners[a] == nil {
				address = a
				break
			}
		}
	} else {
		address = net.JoinHostPort(host, port)
	}
	if st.listeners[address] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: addr(address), Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	l := &Listener{n: n, addr: addr(address), notify: make(chan struct{})}
	st.listeners[address] = l
	return l, nil
}

// DialContext connects to address. The connect is a message: it reaches
// the listener (or is refused) when the scheduler delivers it.
func (n *Network) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	st := n.st
	st.mu.Lock()
	st.dials[n.name]++
	name := n.name + "#" + strconv.Itoa(st.dials[n.name])
	st.mu.Unlock()
	type result struct {
		c   *Conn
		err error
	}
	ch := make(chan result, 1)
	abandoned := make(chan struct{})
	n.sched.Post(name, 0, func() {
		select {
		case <-abandoned:
			return
		default:
		}
		st.mu.Lock()
		l := st.listeners[address]
		st.mu.Unlock()
		if l == nil {
			ch <- result{err: &net.OpError{Op: "dial", Net: network, Addr: addr(address), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
			return
		}
		client, server := pair(n.sched, name, addr(n.name+":"+strconv.Itoa(st.dialCount(n.name))), l.addr)
		if !l.enqueue(server) {
			ch <- result{err: &net.OpError{Op: "dial", Net: network, Addr: addr(address), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
			return
		}
		ch <- result{c: client}
	})
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return r.c, nil
	case <-ctx.Done():
		close(abandoned)
		select {
		case r := <-ch: // delivered meanwhile: the connection is ours to close
			if r.c != nil {
				r.c.Close()
			}
		default:
		}
		return nil, &net.OpError{Op: "dial", Net: network, Addr: addr(address), Err: ctx.Err()}
	}
}

func (st *state) dialCount(name string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.dials[name]
}

// Listener is an in-memory listener.
type Listener struct {
	n      *Network
	addr   addr
	mu     sync.Mutex
	queue  []*Conn
	closed bool
	notify chan struct{} // closed and replaced when queue or closed change
}

func (l *Listener) enqueue(c *Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.queue = append(l.queue, c)
	close(l.notify)
	l.notify = make(chan struct{})
	return true
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return c, nil
		}
		ch := l.notify
		l.mu.Unlock()
		<-ch
	}
}

// Close stops listening: new dials are refused; connections not yet
// accepted are reset.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	q := l.queue
	l.queue = nil
	close(l.notify)
	l.notify = make(chan struct{})
	l.mu.Unlock()
	st := l.n.st
	st.mu.Lock()
	if st.listeners[string(l.addr)] == l {
		delete(st.listeners, string(l.addr))
	}
	st.mu.Unlock()
	for _, c := range q {
		_ = c.SetLinger(0)
		c.Close()
	}
	return nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.addr }

type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }

var _ fmt.Stringer = addr("")

// WithName implements sim.Namer.
func (n *Network) WithName(id string) sim.Network { return n.Named(id) }

var _ sim.Namer = (*Network)(nil)
