package balancer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"github.com/bitsim/bitsim/knob"
	"hash/fnv"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// PolicyKind is how the Balancer chooses a node for a new connection, and
// Policy a policy with its node for Pin: knob's types, written
// "round-robin", "random", "sticky" or "pin:K".
type (
	PolicyKind = knob.PolicyKind
	Policy     = knob.Policy
)

// Balancer policies.
const (
	RoundRobin = knob.RoundRobin // nodes in turn, one per connection
	Random     = knob.Random     // uniform, from the run's seeded Rand
	Sticky     = knob.Sticky     // the same client always reaches the same node (see StickyHeader)
	Pin        = knob.Pin        // node Policy.Node; with Failover, the next node while it is down
)

// StickyHeader identifies a client for the Sticky policy. BITS clients send
// custom headers on every request (SetCustomHeaders), so a farm can pin on
// one; bitsim's client sends this one with its job id. A connection without
// it is pinned on its source address (which, behind toxiproxy, is the
// proxy's: every client then looks the same).
const StickyHeader = wire.HdrClientID

// Config configures a Balancer.
type Config struct {
	Policy Policy
	// Backends are the nodes' addresses, in node order.
	Backends []string
	// Rand draws for the Random policy; required for it.
	Rand *sim.Rand
	// Failover skips nodes that are down (SetDown, or Healthy says so) and
	// tries the next node (in policy order) when a node refuses the
	// connection, as a load balancer with health checks would. Without it
	// every connection goes to the node the policy picks, dead or not.
	Failover bool
	// Healthy, if set, is asked per connection whether node i (0-based) is
	// up, on top of SetDown (the farm reports a node whose link was
	// disabled through toxiproxy's API as down).
	Healthy func(i int) bool
	// NoHealthLoop turns the periodic health check off (the exact tier:
	// a real-time poll would wake the bubble every HealthInterval of
	// virtual time; its farm calls SetDown on every change it makes).
	NoHealthLoop bool
	Net          sim.Network
	Clock        sim.Clock
	Events       sim.Sink
	// Name is the Source of events ("lb").
	Name string
}

// Balancer is a connection-level (layer 4) load balancer: each accepted
// connection is spliced, whole, to one node. With keep-alive a client stays
// on its node until its connection breaks; the reconnect may land elsewhere,
// which is exactly how a farm without BITSHostId restarts uploads (§14
// case 2).
type Balancer struct {
	cfg Config
	ln  net.Listener

	mu    sync.Mutex
	next  int
	down  map[int]bool
	conns map[net.Conn]int // live connections → node index (-1: not routed yet)
	stop  chan struct{}

	wg sync.WaitGroup
}

// New returns an unstarted balancer.
func New(cfg Config) *Balancer {
	cfg.Net = sim.OrTCP(cfg.Net)
	cfg.Events = sim.OrDiscard(cfg.Events)
	if cfg.Clock == nil {
		cfg.Clock = sim.Real{}
	}
	if cfg.Name == "" {
		cfg.Name = "lb"
	}
	if cfg.Rand == nil {
		cfg.Rand = sim.NewRand(0)
	}
	return &Balancer{cfg: cfg, down: map[int]bool{}, conns: map[net.Conn]int{}, stop: make(chan struct{})}
}

// Start listens on addr and serves until Close.
func (b *Balancer) Start(ctx context.Context, addr string) error {
	ln, err := b.cfg.Net.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("balancer: balancer listen: %w", err)
	}
	b.ln = ln
	b.wg.Add(1)
	go b.acceptLoop()
	if b.cfg.Healthy != nil && !b.cfg.NoHealthLoop {
		b.wg.Add(1)
		go b.healthLoop()
	}
	return nil
}

// HealthInterval is how often (real time) the balancer asks Healthy about
// every node, closing the connections of a node that went down.
const HealthInterval = 50 * time.Millisecond

// healthLoop is the balancer's health check: when a node goes down its
// spliced connections are closed, as a balancer that detects a dead backend
// resets them (otherwise a keep-alive connection would keep reaching a node
// whose address is down).
func (b *Balancer) healthLoop() {
	defer b.wg.Done()
	t := time.NewTicker(HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		for i := range b.cfg.Backends {
			if !b.cfg.Healthy(i) {
				b.closeNode(i)
			}
		}
	}
}

// closeNode closes every connection spliced to node i.
func (b *Balancer) closeNode(i int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c, n := range b.conns {
		if n == i {
			c.Close()
		}
	}
}

// Addr returns the listening address.
func (b *Balancer) Addr() string { return b.ln.Addr().String() }

// SetPolicy changes the policy for new connections.
func (b *Balancer) SetPolicy(p Policy) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.Policy = p
}

// SetBackend replaces node i's address (0-based), e.g. after a restart.
func (b *Balancer) SetBackend(i int, addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cfg.Backends[i] = addr
}

// SetDown marks node i (0-based) as out of rotation for Failover; going
// down closes its spliced connections.
func (b *Balancer) SetDown(i int, down bool) {
	b.mu.Lock()
	b.down[i] = down
	b.mu.Unlock()
	if down {
		b.closeNode(i)
	}
}

// Close stops accepting, closes every spliced connection and waits for the
// balancer's goroutines.
func (b *Balancer) Close() error {
	var err error
	if b.ln != nil {
		err = b.ln.Close()
	}
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
	return err
}

// track adds c (routed to node, -1 if not yet) to the live connections, or
// removes it (node < -1).
func (b *Balancer) track(c net.Conn, node int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if node < -1 {
		delete(b.conns, c)
	} else {
		b.conns[c] = node
	}
}

const untrack = -2

func (b *Balancer) acceptLoop() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.track(c, -1)
		b.wg.Add(1)
		go b.serve(c)
	}
}

// order returns the node indexes to try for a connection, best first.
func (b *Balancer) order(key string) []int {
	b.mu.Lock()
	n := len(b.cfg.Backends)
	if n == 0 {
		b.mu.Unlock()
		return nil
	}
	var first int
	kind := b.cfg.Policy.Kind
	if kind == Sticky && mutant.On("balancer-sticky-ignored") {
		kind = RoundRobin
	}
	switch kind {
	case Pin:
		first = min(max(b.cfg.Policy.Node-1, 0), n-1)
	case Random:
		first = b.cfg.Rand.IntN(n)
	case Sticky:
		h := fnv.New32a()
		io.WriteString(h, key)
		first = int(h.Sum32() % uint32(n))
	default:
		first = b.next % n
		if !mutant.On("balancer-round-robin-stuck") {
			b.next++
		}
	}
	if !b.cfg.Failover {
		b.mu.Unlock()
		return []int{first}
	}
	down := make([]bool, n)
	for i := range down {
		down[i] = b.down[i]
	}
	healthy := b.cfg.Healthy
	b.mu.Unlock()
	out := make([]int, 0, n)
	for i := 0; i < n; i++ {
		k := (first + i) % n
		if !down[k] && (healthy == nil || healthy(k)) {
			out = append(out, k)
		}
	}
	return out
}

func (b *Balancer) backend(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.Backends[i]
}

func (b *Balancer) serve(c net.Conn) {
	defer b.wg.Done()
	defer b.track(c, untrack)
	defer c.Close()
	var in io.Reader = c
	key := c.RemoteAddr().String()
	if b.policyKind() == Sticky {
		br := bufio.NewReaderSize(c, 8192)
		if k := peekHeader(br, StickyHeader); k != "" {
			key = k
		}
		in = br
	}
	var up net.Conn
	var node int
	for _, i := range b.order(key) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := b.cfg.Net.DialContext(ctx, "tcp", b.backend(i))
		cancel()
		if err == nil {
			up, node = conn, i
			break
		}
	}
	if up == nil {
		b.cfg.Events.Record(sim.Event{At: b.cfg.Clock.Now(), Kind: sim.BalancerRoute, Source: b.cfg.Name, Err: "no node reachable", Detail: key})
		return
	}
	b.track(c, node)
	b.track(up, node)
	defer b.track(up, untrack)
	defer up.Close()
	b.cfg.Events.Record(sim.Event{At: b.cfg.Clock.Now(), Kind: sim.BalancerRoute, Source: b.cfg.Name,
		Node: "node" + strconv.Itoa(node+1), Detail: key})
	done := make(chan struct{})
	go func() {
		io.Copy(c, up)
		c.Close()
		close(done)
	}()
	io.Copy(up, in)
	up.Close()
	<-done
}

func (b *Balancer) policyKind() PolicyKind {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.Policy.Kind
}

// peekHeader looks for name in the header block of the first request on br
// without consuming anything. It gives up at the end of the headers, at EOF,
// or when the buffer is full.
func peekHeader(br *bufio.Reader, name string) string {
	for n := 1; n <= br.Size(); n = br.Buffered() + 1 {
		if _, err := br.Peek(n); err != nil {
			return ""
		}
		buf, _ := br.Peek(br.Buffered())
		end := bytes.Index(buf, []byte("\r\n\r\n"))
		if end < 0 {
			continue
		}
		for _, line := range strings.Split(string(buf[:end]), "\r\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.EqualFold(strings.TrimSpace(k), name) {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	return ""
}
