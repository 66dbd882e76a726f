package farm

import (
	"context"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/knob"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/farm/balancer"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/farm/proxy"
	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// Storage says where a farm's nodes keep their sessions: knob.Storage.
type Storage = knob.Storage

// Storage kinds.
const (
	LocalStorage  = knob.LocalStorage
	SharedStorage = knob.SharedStorage
)

// Config describes a web farm. The zero value is a working three-node farm
// without host ids, round-robin, local storage, notifying a naive app by
// reference, on the real clock, in a temporary directory.
type Config struct {
	// Nodes is the number of nodes. Default 3.
	Nodes int
	// HostID makes every node send its own address as BITS-Host-Id.
	HostID bool
	// FallbackTimeout is BITSHostIdFallbackTimeout (with HostID). 0 means
	// the IIS default of one day; negative means "not sent" (clients never
	// fall back).
	FallbackTimeout time.Duration
	// Policy is the balancer's policy for the shared address.
	Policy balancer.Policy
	// Storage is local (default) or shared.
	Storage Storage
	// Dir is the farm's root directory: node k keeps its sessions in
	// Dir/nodek (local) or all in Dir/shared. Empty: a temporary directory
	// removed by Close.
	Dir string
	// Node is the template for every node: IIS properties and knobs
	// (notification type, overlap, commit, timeouts ...). Name, Dir,
	// HostID, HostIDFallbackTimeout, NotificationURL, Clock, Events, Net,
	// Rand and OnCrash are set by the farm. NotificationType is used as
	// is (zero: by reference); with node.NotifyNone nothing is posted.
	Node node.Config
	// App configures the mock application (mode, reply, latency ...);
	// Clock, Events and Net are set by the farm.
	App app.Config
	// AppURL, if set, is the user's own application (an "external app"):
	// no mock app is started; every node notifies this URL (http only,
	// like IIS), through its app-from-nodeK link, so link faults between
	// node and app still apply. The app's own faults (app-latency,
	// app-status, app-crash ...) are not available. Deliveries are counted
	// on the node side (see Ledger).
	AppURL string
	// Seed is the run's seed: the balancer's random choices and the nodes'
	// session ids derive from it.
	Seed sim.Seed
	// Clock is the protocol clock of every node and the app. Default real.
	Clock sim.Clock
	// Events receives the farm's history (nodes, app, balancer, links,
	// faults). Default: discarded.
	Events sim.Sink
	// Net is the network nodes, the app and the balancer listen and dial
	// on. Default TCP. On an in-memory network (a sim.Namer, the exact
	// tier) the toxiproxy links run on it too.
	Net sim.Network
	// Bind is the loopback address of the shared address; node k's own
	// address is Bind plus k in the last octet (127.0.0.1 → node1 at
	// 127.0.0.2), all on one port, so BITS-Host-Id can stay a bare host
	// (§12.4). Default 127.0.0.1.
	Bind string
	// Port is the port of the shared and node addresses; 0 picks a free one.
	Port int
	// APIAddr, if set, serves toxiproxy's REST API there ("127.0.0.1:0"
	// picks a port; see APIAddr()).
	APIAddr string
	// RST makes every link reset (RST) the connections its toxics close,
	// instead of closing them with FIN.
	RST bool
	// Target, if set, aims the farm at an external BITS server: no
	// in-process nodes or balancer, Nodes is len(Target.NodeURLs) (see
	// Target).
	Target *Target
}

// Farm is a web farm of BITS upload nodes behind one shared address, a mock
// application, and a toxiproxy link on every path:
//
//	client ──► [shared] ──► balancer ──► node1 … nodeN ──► [app-from-nodeK] ──► app
//	client ──► [nodeK] ─────────────────► nodeK           (host-id address)
//
// Brackets are toxiproxy links (proxy names). The balancer splices each
// connection to one node's own listener, so the shared path crosses one
// toxiproxy hop like the direct path. A node that is killed or whose link
// is down is out of the balancer's rotation.
type Farm struct {
	cfg    Config
	tmp    bool
	events sim.Sink
	px     *proxy.Server
	lb     *balancer.Balancer
	app    *app.App
	// ext records the notifications to an external app (AppURL).
	ext     *extapp.Recorder
	appHost string // host:port the app-from-nodeK links forward to
	appPath string // the notification URL's path and query
	port    int
	api     string
	prefix  string
	// targetHost is the external server's address (Config.Target).
	targetHost string

	mu    sync.Mutex
	slots []*slot
	inj   *Injector

	closeOnce sync.Once
}

// slot is one node position in the farm; its Node changes on restart.
type slot struct {
	idx    int // 0-based
	name   string
	cfg    node.Config
	addr   string // the node's own listener (stable across restarts)
	hostIP string // the node's farm address host (its BITS-Host-Id)
	node   *node.Node
	down   bool // link down by Down
	dead   bool // killed or crashed, not restarted
	// grave holds the dead node's address until its restart (see bury).
	grave *tombstone
	// tail is a tail loss to apply before the next restart (a lose-tail
	// fault kills the node at once, inside one of its own handlers, where
	// it cannot wait for the others to end).
	tail *node.KillOptions
	// remote is the URL of an external server's node (Config.Target): the
	// slot has no in-process node.
	remote string
}

// New starts a farm: app, app links, nodes, balancer and client links.
// Close it when done.
func New(ctx context.Context, cfg Config) (f *Farm, err error) {
	if cfg.Target != nil {
		cfg.Nodes = max(len(cfg.Target.NodeURLs), 1)
	} else if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	if cfg.Bind == "" {
		cfg.Bind = "127.0.0.1"
	}
	if cfg.Clock == nil {
		cfg.Clock = sim.Real{}
	}
	cfg.Events = sim.OrDiscard(cfg.Events)
	cfg.Net = sim.OrTCP(cfg.Net)
	f = &Farm{cfg: cfg}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if f.cfg.Dir == "" {
		d, err := os.MkdirTemp("", "bitsim-farm-")
		if err != nil {
			return nil, fmt.Errorf("farm: %w", err)
		}
		f.cfg.Dir, f.tmp = d, true
	}
	// Everything the farm's components record goes to the history first,
	// then to the fault injector (which may act on it synchronously).
	f.events = sim.Tee(cfg.Events, sim.SinkFunc(f.observe))
	var opts []proxy.Option
	opts = append(opts, proxy.WithSink(f.events), proxy.WithClock(cfg.Clock))
	_, mem := cfg.Net.(sim.Namer)
	if mem {
		opts = append(opts, proxy.WithNetwork(cfg.Net))
	}
	if cfg.RST {
		opts = append(opts, proxy.WithRST())
	}
	f.px = proxy.New(opts...)

	if err := f.startApp(ctx); err != nil {
		return nil, err
	}
	if cfg.Target != nil {
		if err := f.newTargetSlots(); err != nil {
			return nil, err
		}
	} else if err := f.startNodes(ctx); err != nil {
		return nil, err
	}
	if err := f.addClientLinks(); err != nil {
		return nil, err
	}
	if cfg.APIAddr != "" {
		if f.api, err = f.px.ServeAPI(ctx, cfg.Net, cfg.APIAddr); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// startNodes starts the in-process nodes and the balancer in front of them.
func (f *Farm) startNodes(ctx context.Context) error {
	cfg := f.cfg
	_, mem := cfg.Net.(sim.Namer)
	for i := 0; i < cfg.Nodes; i++ {
		s, err := f.newSlot(ctx, i)
		if err != nil {
			return err
		}
		f.slots = append(f.slots, s)
	}
	backends := make([]string, len(f.slots))
	for i, s := range f.slots {
		backends[i] = s.addr
	}
	f.lb = balancer.New(balancer.Config{Policy: cfg.Policy, Backends: backends, Rand: cfg.Seed.Fork("balancer"),
		Failover: true, Healthy: f.linkUp, NoHealthLoop: mem, Net: sim.Named(cfg.Net, "balancer"), Clock: cfg.Clock, Events: f.events})
	return f.lb.Start(ctx, "127.0.0.1:0")
}

func (f *Farm) newSlot(ctx context.Context, i int) (*slot, error) {
	name := "node" + strconv.Itoa(i+1)
	host, err := offsetIP(f.cfg.Bind, i+1)
	if err != nil {
		return nil, err
	}
	link, err := f.px.Add("app-from-"+name, "127.0.0.1:0", f.appHost)
	if err != nil {
		return nil, err
	}
	nc := f.cfg.Node
	nc.Name = name
	nc.Dir = filepath.Join(f.cfg.Dir, name)
	if f.cfg.Storage == SharedStorage {
		nc.Dir = filepath.Join(f.cfg.Dir, "shared")
		nc.SharedStorage = true
	}
	if err := os.MkdirAll(nc.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("farm: %w", err)
	}
	if nc.NotificationType != node.NotifyNone {
		nc.NotificationURL = "http://" + link.Addr() + f.appPath
		if f.ext != nil {
			nc.NotifyClient = &http.Client{Transport: f.ext}
		}
	}
	if f.cfg.HostID {
		nc.HostID = host
		nc.HostIDFallbackTimeout = f.cfg.FallbackTimeout
	}
	nc.TraceCrashPoints = true
	nc.Clock, nc.Events, nc.Net = f.cfg.Clock, f.events, sim.Named(f.cfg.Net, name)
	nc.Rand = f.cfg.Seed.Fork("session-ids/" + name)
	s := &slot{idx: i, name: name, hostIP: host}
	nc.OnCrash = func(*node.Node, node.CrashPoint) { f.markDead(s); f.bury(s) }
	s.cfg = nc
	n, err := node.New(nc)
	if err != nil {
		return nil, err
	}
	if err := n.Start(ctx, "127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.node, s.addr = n, n.Addr()
	s.cfg.Prefix = n.Config().Prefix
	f.prefix = s.cfg.Prefix
	return s, nil
}

// addClientLinks creates the shared link and one link per node, all on one
// port: shared on Bind:P, node k on (Bind+k):P. A port taken on one of the
// addresses makes it try another.
func (f *Farm) addClientLinks() error {
	var last error
	for attempt := 0; attempt < 20; attempt++ {
		port := f.cfg.Port
		up := f.targetHost
		if f.lb != nil {
			up = f.lb.Addr()
		}
		shared, err := f.px.Add("shared", net.JoinHostPort(f.cfg.Bind, strconv.Itoa(port)), up)
		if err != nil {
			return err
		}
		_, ps, _ := net.SplitHostPort(shared.Addr())
		port, _ = strconv.Atoi(ps)
		ok := true
		for _, s := range f.slots {
			if _, err := f.px.Add(s.name, net.JoinHostPort(s.hostIP, ps), s.addr); err != nil {
				last, ok = err, false
				break
			}
		}
		if ok {
			f.port = port
			return nil
		}
		for _, s := range f.slots {
			_ = f.px.Remove(s.name)
		}
		_ = f.px.Remove("shared")
		if f.cfg.Port != 0 || !errors.Is(last, syscall.EADDRINUSE) && !strings.Contains(last.Error(), "address already in use") {
			return last
		}
	}
	return fmt.Errorf("farm: no free port for the farm's addresses: %w", last)
}

func addrOf(u string) string {
	u = strings.TrimPrefix(u, "http://")
	if i := strings.IndexByte(u, '/'); i >= 0 {
		u = u[:i]
	}
	return u
}

// offsetIP returns the IPv4 address k above base in the last octet.
func offsetIP(base string, k int) (string, error) {
	ip := net.ParseIP(base).To4()
	if ip == nil || int(ip[3])+k > 254 {
		return "", fmt.Errorf("farm: bind address %q cannot host %d node addresses", base, k)
	}
	ip[3] += byte(k)
	return ip.String(), nil
}

// Close stops the injector, links, balancer, nodes and app, and removes a
// temporary directory.
func (f *Farm) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		inj := f.inj
		f.inj = nil
		slots := append([]*slot(nil), f.slots...)
		f.mu.Unlock()
		if inj != nil {
			inj.Stop()
		}
		if f.px != nil {
			_ = f.px.Close()
		}
		if f.lb != nil {
			_ = f.lb.Close()
		}
		for _, s := range slots {
			f.unbury(s)
			if s.node != nil {
				if s.node.Dead() {
					s.node.Kill()
				} else {
					_ = s.node.Close()
				}
			}
		}
		if f.app != nil {
			_ = f.app.Close()
		}
		if f.ext != nil {
			f.ext.CloseIdleConnections()
		}
		if f.tmp {
			_ = os.RemoveAll(f.cfg.Dir)
		}
	})
	return nil
}

// Port returns the port of the shared and node addresses.
func (f *Farm) Port() int { return f.port }

// BaseURL returns the shared upload URL, "http://127.0.0.1:P/upload/".
func (f *Farm) BaseURL() string {
	return "http://" + net.JoinHostPort(f.cfg.Bind, strconv.Itoa(f.port)) + f.prefix
}

// UploadURL returns the shared address's URL for a remote name.
func (f *Farm) UploadURL(remote string) string { return f.BaseURL() + strings.TrimPrefix(remote, "/") }

// NodeNames returns the node names, node1 first.
func (f *Farm) NodeNames() []string {
	out := make([]string, len(f.slots))
	for i, s := range f.slots {
		out[i] = s.name
	}
	return out
}

// NodeURL returns node name's own (proxied, host-id) upload base URL.
func (f *Farm) NodeURL(name string) string {
	s := f.slot(name)
	if s == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.hostIP, strconv.Itoa(f.port)) + s.cfg.Prefix
}

// NodeDir returns node name's session root directory.
func (f *Farm) NodeDir(name string) string {
	if s := f.slot(name); s != nil {
		return s.cfg.Dir
	}
	return ""
}

// Node returns the current instance of node name (a new one after each
// restart), or nil.
func (f *Farm) Node(name string) *node.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.slots {
		if s.name == name {
			return s.node
		}
	}
	return nil
}

func (f *Farm) slot(name string) *slot {
	for _, s := range f.slots {
		if s.name == name {
			return s
		}
	}
	return nil
}

// App returns the farm's mock application, nil for an external app.
func (f *Farm) App() *app.App { return f.app }

// External reports whether the farm notifies an external app (AppURL).
func (f *Farm) External() bool { return f.ext != nil }

// Ledger returns the deliveries: the mock app's ledger, or for an external
// app the notifications the nodes wrote to it and its answers, recorded on
// the node side (Effect is never set: see extapp.Probe).
func (f *Farm) Ledger() []ledger.Delivery {
	if f.ext != nil {
		return f.ext.Ledger()
	}
	return f.app.Ledger()
}

// startApp starts the mock app, or prepares the recorder for an external
// one.
func (f *Farm) startApp(ctx context.Context) error {
	if f.cfg.AppURL == "" {
		acfg := f.cfg.App
		acfg.Clock, acfg.Events, acfg.Net = f.cfg.Clock, f.events, sim.Named(f.cfg.Net, "app")
		f.app = app.New(acfg)
		addr := "127.0.0.1:0"
		if f.cfg.Target != nil && f.cfg.Target.AppAddr != "" {
			addr = f.cfg.Target.AppAddr
		}
		if err := f.app.Start(ctx, addr); err != nil {
			return err
		}
		f.appHost, f.appPath = addrOf(f.app.URL()), app.NotifyPath
		return nil
	}
	u, err := url.Parse(f.cfg.AppURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("farm: app URL %q: want http://HOST:PORT/PATH (IIS notifies over plain http only)", f.cfg.AppURL)
	}
	f.appHost, f.appPath = u.Host, u.RequestURI()
	if u.Port() == "" {
		f.appHost = net.JoinHostPort(u.Hostname(), "80")
	}
	// Keep-alive, as IIS's back-end client ([X]: Connection: Keep-Alive):
	// an app slower than the notification time-out then holds an open
	// connection, as it would, rather than a closed one.
	if err := os.MkdirAll(f.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("farm: %w", err)
	}
	f.ext = extapp.NewRecorder(extapp.RecorderConfig{
		Next:  &http.Transport{DialContext: f.cfg.Net.DialContext, Proxy: nil},
		Clock: f.cfg.Clock, Events: f.events, ReadCheck: extapp.ReadCheckWorks(f.cfg.Dir),
	})
	return nil
}

// Balancer returns the balancer behind the shared address.
func (f *Farm) Balancer() *balancer.Balancer { return f.lb }

// Links returns the toxiproxy server holding every link.
func (f *Farm) Links() *proxy.Server { return f.px }

// Link returns the named link ("shared", "node1", "app-from-node1" ...).
func (f *Farm) Link(name string) (*proxy.Link, error) {
	l, ok := f.px.Link(name)
	if !ok {
		return nil, fmt.Errorf("farm: no link %q", name)
	}
	return l, nil
}

// APIAddr returns the toxiproxy REST API's address ("" if not served).
func (f *Farm) APIAddr() string { return f.api }

// Events returns the farm's sink: the configured history, then the fault
// injector. Clients record their events here, so a schedule can trigger on
// them (e.g. "after the client's first transport error").
func (f *Farm) Events() sim.Sink { return f.events }

// Clock returns the farm's clock.
func (f *Farm) Clock() sim.Clock { return f.cfg.Clock }

// linkUp reports whether node i's client link is enabled (it may have been
// disabled through the REST API).
func (f *Farm) linkUp(i int) bool {
	l, ok := f.px.Link(f.slots[i].name)
	return ok && l.Enabled()
}

func (f *Farm) markDead(s *slot) {
	f.mu.Lock()
	s.dead = true
	f.mu.Unlock()
	f.lb.SetDown(s.idx, true)
}

// Kill kills node name abruptly (see Node.KillWith) and takes it out of the
// balancer's rotation. It stays down until Restart.
func (f *Farm) Kill(name string, o node.KillOptions) error {
	s := f.slot(name)
	if s == nil {
		return fmt.Errorf("farm: no node %q", name)
	}
	f.markDead(s)
	f.mu.Lock()
	n := s.node
	f.mu.Unlock()
	n.KillWith(o)
	f.bury(s)
	return nil
}

// killNow kills node s at once, from any goroutine, one of its own
// handlers included (it does not wait for them).
func (f *Farm) killNow(s *slot, session string) {
	f.markDead(s)
	f.mu.Lock()
	n := s.node
	f.mu.Unlock()
	n.Abort(session)
	f.bury(s)
}

// tombstone holds a dead node's address: it resets every connection, as
// the host of a dead process does, and keeps the port from being taken by
// another listener on the machine before the node restarts (the node's
// link would then forward clients to a stranger).
type tombstone struct {
	ln   net.Listener
	done chan struct{}
}

// bury puts a tombstone on a dead node's address (best effort).
func (f *Farm) bury(s *slot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.grave != nil || !s.dead {
		return
	}
	ln, err := f.cfg.Net.Listen(context.Background(), "tcp", s.addr)
	if err != nil {
		return
	}
	t := &tombstone{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if tc, ok := c.(interface{ SetLinger(int) error }); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
		}
	}()
	s.grave = t
}

// unbury frees a dead node's address for its restart.
func (f *Farm) unbury(s *slot) {
	f.mu.Lock()
	t := s.grave
	s.grave = nil
	f.mu.Unlock()
	if t != nil {
		t.ln.Close()
		<-t.done
	}
}

// Arm arms crash point p on node name's current instance (see Node.Arm).
func (f *Farm) Arm(name string, p node.CrashPoint, nth int) error {
	n := f.Node(name)
	if n == nil {
		return fmt.Errorf("farm: no node %q", name)
	}
	n.Arm(p, nth)
	return nil
}

// Restart starts a new instance of node name on the same storage and
// address, after making sure the old one is dead and its handlers ended.
// The new node has lost everything the old one kept in memory (the notify
// cache above all) and restores its sessions from disk.
func (f *Farm) Restart(ctx context.Context, name string) error {
	s := f.slot(name)
	if s == nil {
		return fmt.Errorf("farm: no node %q", name)
	}
	f.mu.Lock()
	old, tail := s.node, s.tail
	s.tail = nil
	f.mu.Unlock()
	if tail != nil {
		old.KillWith(*tail)
	} else {
		old.Kill()
	}
	f.unbury(s)
	n, err := node.New(s.cfg)
	if err != nil {
		return err
	}
	if err := n.Start(ctx, s.addr); err != nil {
		return fmt.Errorf("farm: restart %s: %w", name, err)
	}
	f.mu.Lock()
	s.node, s.dead = n, false
	down := s.down
	inj := f.inj
	f.mu.Unlock()
	f.lb.SetDown(s.idx, down)
	if inj != nil {
		inj.rearm(name) // arms live on a node instance: the new one needs them too
	}
	return nil
}

// Down disables node name's link (its host-id address refuses connections
// and live ones are cut) and takes it out of the balancer's rotation.
func (f *Farm) Down(name string) error { return f.setDown(name, true) }

// Up re-enables node name's link and rotation (unless it is dead).
func (f *Farm) Up(name string) error { return f.setDown(name, false) }

func (f *Farm) setDown(name string, down bool) error {
	s := f.slot(name)
	if s == nil {
		return fmt.Errorf("farm: no node %q", name)
	}
	l, err := f.Link(name)
	if err != nil {
		return err
	}
	if down {
		err = l.Disable()
	} else {
		err = l.Enable()
	}
	if err != nil {
		return err
	}
	f.mu.Lock()
	s.down = down
	dead := s.dead
	f.mu.Unlock()
	if f.lb != nil {
		f.lb.SetDown(s.idx, down || dead)
	}
	return nil
}

// RunCleanup runs the cleanup task on every live node now and returns how
// many sessions it removed.
func (f *Farm) RunCleanup() int {
	total := 0
	for _, s := range f.slots {
		if n := f.Node(s.name); n != nil && n.Alive() {
			total += n.RunCleanup()
		}
	}
	return total
}

// observe passes farm events to the fault injector, if one is installed.
func (f *Farm) observe(e sim.Event) {
	f.mu.Lock()
	inj := f.inj
	f.mu.Unlock()
	if inj != nil {
		inj.observe(e)
	}
}

// Dir returns the farm's root directory.
func (f *Farm) Dir() string { return f.cfg.Dir }
