package client

// Integration tests against the real server node (package farm/node) and the
// mock app over loopback.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/farm/balancer"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// testNode is a farm node that a test can kill and restart on the same
// address and directory.
type testNode struct {
	t    testing.TB
	cfg  node.Config
	addr string
	mu   sync.Mutex
	n    *node.Node
}

func startNode(t testing.TB, cfg node.Config, addr string) *testNode {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.NotificationURL == "" {
		cfg.NotificationType = node.NotifyNone // no app to notify
	}
	tn := &testNode{t: t, cfg: cfg}
	tn.addr = tn.boot(addr).Addr()
	return tn
}

// boot starts a new node on addr; it is closed when the test ends.
func (tn *testNode) boot(addr string) *node.Node {
	tn.t.Helper()
	return testutil.Start(tn.t, addr, func() (*node.Node, error) {
		n, err := node.New(tn.cfg)
		if err == nil {
			tn.mu.Lock()
			tn.n = n
			tn.mu.Unlock()
		}
		return n, err
	})
}

func (tn *testNode) node() *node.Node {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return tn.n
}

// restart kills the node (waiting for a crashed one) and starts a new one
// on the same directory and address: durable sessions survive.
func (tn *testNode) restart(o node.KillOptions) {
	tn.node().KillWith(o)
	tn.boot(tn.addr)
}

func (tn *testNode) url(p string) string { return "http://" + tn.addr + "/upload/" + p }

// committed returns the file the node committed for remote path p.
func (tn *testNode) committed(p string) []byte {
	b, _ := os.ReadFile(filepath.Join(tn.cfg.Dir, filepath.FromSlash(p)))
	return b
}

// runAsync runs the job in a goroutine; the returned func waits for it.
func runAsync(t testing.TB, j *Job) func() Result {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	done := make(chan Result, 1)
	go func() {
		res, _ := j.Run(ctx)
		done <- res
	}()
	return func() Result {
		defer cancel()
		return <-done
	}
}

func newTestJob(t testing.TB, opts Options, spec JobSpec) (*Job, *sim.History) {
	t.Helper()
	h := sim.NewHistory()
	opts.Events = sim.Tee(opts.Events, h)
	j, err := NewJob(opts, spec)
	if err != nil {
		t.Fatal(err)
	}
	return j, h
}

func TestFarmUpload(t *testing.T) {
	n := startNode(t, node.Config{Name: "n1"}, "")
	path, data := testFile(t, 1<<20+123)
	res, h := run(t, Options{}, JobSpec{LocalFile: path, RemoteURL: n.url("inbox/a.bin"), Txn: "t-1"})
	if res.State != Acknowledged || res.Sessions != 1 || res.Retries != 0 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	want, _ := wrapAll("t-1", data)
	if !bytes.Equal(n.committed("inbox/a.bin"), want) {
		t.Fatal("committed file differs")
	}
	if res.BytesSent != int64(len(want)) {
		t.Errorf("bytes sent %d, want %d", res.BytesSent, len(want))
	}
}

// cutNet is a sim.Network whose listeners cut the first connection that
// has read more than after bytes, in the middle of whatever it is reading
// (an RST, as a dying link would).
type cutNet struct {
	after int64
	fired atomic.Bool
}

func (c *cutNet) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	ln, err := sim.TCP{}.Listen(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &cutListener{Listener: ln, net: c}, nil
}

func (c *cutNet) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return sim.TCP{}.DialContext(ctx, network, address)
}

type cutListener struct {
	net.Listener
	net *cutNet
}

func (l *cutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: c, net: l.net}, nil
}

type cutConn struct {
	net.Conn
	net  *cutNet
	read int64
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read += int64(n)
	if over := c.read - c.net.after; over > 0 && c.net.fired.CompareAndSwap(false, true) {
		if tc, ok := c.Conn.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Conn.Close()
		return n - int(over), nil
	}
	return n, err
}

// §14 case 1: the link dies in the middle of a Fragment; the node keeps
// the bytes that arrived, the client retries after the delay, resumes the
// same session with a Ping, and never re-sends a byte the server had
// acknowledged.
func TestFarmCutMidFragmentResumes(t *testing.T) {
	const frag = 64 << 10
	cut := &cutNet{after: 2*frag + frag/2 + 1000} // inside the third Fragment
	n := startNode(t, node.Config{Name: "n1", Net: cut}, "")
	path, data := testFile(t, 5*frag)
	res, h := run(t, Options{Clock: virtualClock(t), FragmentSize: frag}, JobSpec{LocalFile: path, RemoteURL: n.url("a.bin")})
	if res.State != Acknowledged || res.Retries != 1 || res.Sessions != 1 || res.Restarts != 0 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	if !cut.fired.Load() {
		t.Fatal("the link was never cut")
	}
	if !bytes.Equal(n.committed("a.bin"), data) {
		t.Fatal("committed file differs")
	}
	// After the cut the client resumes at the last acknowledged offset or
	// later: no acknowledged byte is sent twice.
	var acked int64
	var packets []string
	for _, e := range h.OfKind(sim.ClientRequest, sim.ClientResponse, sim.ClientError) {
		switch {
		case e.Kind == sim.ClientResponse && e.Packet == "Fragment":
			acked = e.Offset
		case e.Kind == sim.ClientRequest && e.Packet == "Fragment" && e.First < acked:
			t.Errorf("fragment %d-%d re-sends acknowledged bytes (acked %d)", e.First, e.Last, acked)
		}
		if e.Kind == sim.ClientRequest {
			packets = append(packets, fmt.Sprintf("%s %d", e.Packet, e.First))
		} else if e.Kind == sim.ClientError {
			packets = append(packets, "error")
		}
	}
	want := fmt.Sprint([]string{"Create-Session 0", "Fragment 0", "Fragment 65536", "Fragment 131072", "error",
		"Ping 0", "Fragment 131072", "Fragment 196608", "Fragment 262144", "Close-Session 0"})
	if got := fmt.Sprint(packets); got != want {
		t.Errorf("packets\n got %s\nwant %s", got, want)
	}
	// Bytes sent: the file, plus the part of the cut fragment the client had
	// already handed to the network.
	if res.BytesSent < int64(len(data)) || res.BytesSent > int64(len(data))+frag {
		t.Errorf("bytes sent %d for %d", res.BytesSent, len(data))
	}
}

// §14 case 11 and K1: after a node restart the server's offset may be
// behind the client's (lost tail: 416 backwards) or ahead of it (the Ack
// was lost after the write, strict overlap: 416 forwards). The client
// follows both.
func TestFarm416Resync(t *testing.T) {
	const frag = 32 << 10
	cases := []struct {
		name     string
		overlap  node.OverlapMode
		loseTail int64
		// wantAt is where the client must continue after the 416.
		wantAt int64
	}{
		{"backwards-lost-tail", node.OverlapLenient, frag + frag/2, 3*frag - (frag + frag/2)},
		{"forwards-strict-overlap", node.OverlapStrict, 0, 3 * frag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := startNode(t, node.Config{Name: "n1", Overlap: tc.overlap}, "")
			n.node().Arm(node.AfterWrite, 3) // the third Fragment is written, its Ack lost
			path, data := testFile(t, 5*frag)
			j, h := newTestJob(t, Options{Clock: virtualClock(t), FragmentSize: frag}, JobSpec{LocalFile: path, RemoteURL: n.url("a.bin")})
			wait := runAsync(t, j)
			<-n.node().Crashed()
			n.restart(node.KillOptions{LoseTail: tc.loseTail})
			res := wait()
			if res.State != Acknowledged || res.Resyncs != 1 || res.Sessions != 1 {
				dumpEvents(t, h)
				t.Fatalf("%+v", res)
			}
			if !bytes.Equal(n.committed("a.bin"), data) {
				t.Fatal("committed file differs")
			}
			var after416 []int64
			seen := false
			for _, e := range h.OfKind(sim.ClientRequest, sim.ClientResponse) {
				if e.Kind == sim.ClientResponse && e.Status == 416 {
					seen = true
					if e.Offset != tc.wantAt {
						t.Errorf("416 reports %d, want %d", e.Offset, tc.wantAt)
					}
				}
				if seen && e.Kind == sim.ClientRequest && e.Packet == "Fragment" {
					after416 = append(after416, e.First)
				}
			}
			if len(after416) == 0 || after416[0] != tc.wantAt {
				t.Errorf("fragments after the 416 start at %v, want %d first", after416, tc.wantAt)
			}
		})
	}
}

// 413: the node's fragment limit makes the client halve until it fits.
func TestFarm413Shrink(t *testing.T) {
	n := startNode(t, node.Config{Name: "n1", MaxFragmentSize: 100_000}, "")
	path, data := testFile(t, 300_000)
	res, h := run(t, Options{FragmentSize: 1 << 20}, JobSpec{LocalFile: path, RemoteURL: n.url("a.bin")})
	if res.State != Acknowledged || !bytes.Equal(n.committed("a.bin"), data) {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	var sizes []int64
	for _, e := range h.OfKind(sim.ClientRequest) {
		if e.Packet == "Fragment" {
			sizes = append(sizes, e.Bytes)
		}
	}
	// 300000 (413) → 150000 (413) → 75000 ×4.
	want := fmt.Sprint([]int64{300_000, 150_000, 75_000, 75_000, 75_000, 75_000})
	if got := fmt.Sprint(sizes); got != want {
		t.Errorf("fragment sizes %s, want %s", got, want)
	}
}

// §14 case 2: a farm without BITSHostId; the node holding the session dies
// and the balancer sends the reconnect to another node, which does not
// know the session (0x8020001F): the client restarts from byte 0 there and
// re-sends the whole file.
func TestFarmSessionNotFoundRestarts(t *testing.T) {
	const frag = 32 << 10
	n1 := startNode(t, node.Config{Name: "n1"}, "")
	n2 := startNode(t, node.Config{Name: "n2"}, "")
	lb := balancer.New(balancer.Config{Policy: balancer.Policy{Kind: balancer.Pin, Node: 1}, Failover: true, Backends: []string{n1.addr, n2.addr}})
	if err := lb.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	n1.node().Arm(node.AfterWrite, 3)
	path, data := testFile(t, 5*frag)
	j, h := newTestJob(t, Options{Clock: virtualClock(t), FragmentSize: frag}, JobSpec{LocalFile: path, RemoteURL: "http://" + lb.Addr() + "/upload/a.bin"})
	res := runAsync(t, j)()
	if res.State != Acknowledged || res.Restarts != 1 || res.Sessions != 2 {
		dumpEvents(t, h)
		t.Fatalf("%+v", res)
	}
	if !bytes.Equal(n2.committed("a.bin"), data) {
		t.Fatal("n2 did not commit the file")
	}
	if got := fmt.Sprint(fragmentStarts(h)); got != fmt.Sprint([]int64{0, frag, 2 * frag, 2 * frag, 0, frag, 2 * frag, 3 * frag, 4 * frag}) {
		t.Errorf("fragment starts %s", got)
	}
	if res.BytesSent != int64(len(data))+4*frag {
		t.Errorf("bytes sent %d", res.BytesSent)
	}
}

// sharedPortAddrs returns three loopback addresses on one port, for a
// host-id farm whose nodes keep the shared address's port (§12.4 item 5):
// 127.0.0.1 (the shared address), 127.0.0.2 and 127.0.0.3.
func sharedPort(t testing.TB) string {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		free := true
		for _, ip := range []string{"127.0.0.2", "127.0.0.3"} {
			l, err := net.Listen("tcp", ip+":"+port)
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port
		}
	}
	t.Skip("no port free on 127.0.0.1-3")
	return ""
}

type hostFarm struct {
	port   string
	nodes  []*testNode
	lb     *balancer.Balancer
	shared string
}

// startHostFarm starts two nodes with BITSHostId = their own IP on a
// shared port, behind a balancer pinned to node 1 with failover.
func startHostFarm(t testing.TB, clock sim.Clock, events sim.Sink, fallback time.Duration) *hostFarm {
	port := sharedPort(t)
	hf := &hostFarm{port: port}
	for i, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		cfg := node.Config{Name: fmt.Sprintf("n%d", i+1), HostID: ip, HostIDFallbackTimeout: fallback, Clock: clock, Events: events}
		hf.nodes = append(hf.nodes, startNode(t, cfg, ip+":"+port))
	}
	hf.lb = balancer.New(balancer.Config{Policy: balancer.Policy{Kind: balancer.Pin, Node: 1}, Failover: true,
		Backends: []string{hf.nodes[0].addr, hf.nodes[1].addr}, Events: events, Clock: clock})
	if err := hf.lb.Start(context.Background(), "127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hf.lb.Close() })
	hf.shared = "http://127.0.0.1:" + port + "/upload/"
	return hf
}

// §14 case 3: with BITSHostId every packet after Create-Session goes
// straight to the node that created the session, even across a cut, and
// never through the shared address again.
func TestFarmHostIDAffinity(t *testing.T) {
	hist := sim.NewHistory()
	hf := startHostFarm(t, nil, hist, 0)
	// The shared address's balancer would send a new connection to n2.
	hf.lb.SetPolicy(balancer.Policy{Kind: balancer.RoundRobin})
	path, data := testFile(t, 200_000)
	res, _ := run(t, Options{Events: hist, FragmentSize: 40_000}, JobSpec{LocalFile: path, RemoteURL: hf.shared + "a.bin"})
	if res.State != Acknowledged || res.Sessions != 1 {
		dumpEvents(t, hist)
		t.Fatalf("%+v", res)
	}
	if !bytes.Equal(hf.nodes[0].committed("a.bin"), data) {
		t.Fatal("n1 did not commit the file")
	}
	var perNode = map[string][]string{}
	for _, e := range hist.OfKind(sim.PacketReceived) {
		perNode[e.Source] = append(perNode[e.Source], e.Packet)
	}
	if got := fmt.Sprint(perNode["n1"]); got != "[Create-Session Ping Fragment Fragment Fragment Fragment Fragment Close-Session]" {
		t.Errorf("n1 got %s", got)
	}
	if len(perNode["n2"]) != 0 {
		t.Errorf("n2 got %v", perNode["n2"])
	}
	var urls []string
	for _, e := range hist.OfKind(sim.ClientRequest) {
		urls = append(urls, e.URL)
	}
	for i, u := range urls {
		want := "http://127.0.0.2:" + hf.port + "/upload/a.bin"
		if i == 0 {
			want = hf.shared + "a.bin"
		}
		if u != want {
			t.Errorf("request %d to %s, want %s", i, u, want)
		}
	}
	if routes := len(hist.OfKind(sim.BalancerRoute)); routes != 1 {
		t.Errorf("%d connections through the shared address", routes)
	}
}

// The one-day fallback scenario on virtual time (§12.4, §14 case 4): the
// node holding the session dies for good; the client retries every 600 s
// until the 86,400 s fallback time-out, reverts to the shared address,
// gets 0x8020001F from the other node and restarts there.
func TestFarmHostIDFallbackOneDay(t *testing.T) {
	clock := virtualClock(t)
	hist := sim.NewHistory()
	hf := startHostFarm(t, clock, hist, 0) // 0: the IIS default, one day
	const frag = 40_000
	hf.nodes[0].node().Arm(node.AfterWrite, 2)
	path, data := testFile(t, 200_000)
	start, wall := clock.Now(), time.Now()
	j, _ := newTestJob(t, Options{Clock: clock, Events: hist, FragmentSize: frag}, JobSpec{LocalFile: path, RemoteURL: hf.shared + "a.bin"})
	res := runAsync(t, j)()
	elapsedWall := time.Since(wall)
	protocol := clock.Now().Sub(start)
	if res.State != Acknowledged || res.Restarts != 1 || res.Sessions != 2 {
		dumpEvents(t, hist)
		t.Fatalf("%+v", res)
	}
	if !bytes.Equal(hf.nodes[1].committed("a.bin"), data) {
		t.Fatal("n2 did not commit the file")
	}
	// Timeline from the client's own events.
	var firstErr, fallback time.Time
	var retries int
	for _, e := range hist.Events() {
		switch {
		case e.Source != "client":
		case e.Kind == sim.ClientError && firstErr.IsZero():
			firstErr = e.At
		case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback:
			fallback = e.At
		case e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerRetry:
			retries++
		}
	}
	if d := fallback.Sub(firstErr); d < 24*time.Hour || d > 24*time.Hour+10*time.Minute {
		t.Errorf("fell back %s after the first error, want one day (+ at most one retry delay)", d)
	}
	if protocol < 24*time.Hour {
		t.Errorf("protocol time %s, want at least a day", protocol)
	}
	if retries != 144 {
		t.Errorf("%d retries, want 144 (86,400 s / 600 s)", retries)
	}
	var after []string
	for _, e := range hist.OfKind(sim.ClientRequest) {
		if !e.At.Before(fallback) {
			after = append(after, e.Packet+" "+e.URL)
		}
	}
	t.Logf("after the fallback: %v", after)
	if len(after) < 3 || after[0] != "Ping "+hf.shared+"a.bin" || after[1] != "Fragment "+hf.shared+"a.bin" || after[2] != "Create-Session "+hf.shared+"a.bin" {
		t.Errorf("after the fallback the client sent %v", after[:min(3, len(after))])
	}
	t.Logf("fallback scenario: protocol time %s in %s wall time, compression factor %.0fx, %d retries, %d clock jumps",
		protocol, elapsedWall.Round(time.Millisecond), protocol.Seconds()/elapsedWall.Seconds(), retries, clock.Jumps())
	if elapsedWall > time.Second {
		t.Errorf("took %s of wall time, want < 1s", elapsedWall)
	}
}

// K8 [W] rule: error Acks from the host-id server do not start the
// fallback timer; only connection failures do.
func TestFallbackRuleConnectFailure(t *testing.T) {
	node := newFake(t)
	shared := newFake(t)
	nodeHost := node.srv.Listener.Addr().String()
	shared.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		if c.Packet == "Create-Session" {
			node.mu.Lock()
			node.sess["S1"] = &fakeSession{}
			node.mu.Unlock()
			rawAck(w, 200, "BITS-Packet-Type", "Ack", "BITS-Session-Id", "S1", "BITS-Host-Id", nodeHost, "BITS-Host-Id-Fallback-Timeout", "1800")
			return true
		}
		return false
	}
	var failures atomic.Int32
	node.script = func(w http.ResponseWriter, r *http.Request, c fakeCall) bool {
		// Every packet fails (Pings included, so no success resets the
		// timer) until 5 have failed: transient errors from a live server.
		if failures.Add(1) <= 5 {
			io.Copy(io.Discard, r.Body)
			wire.ErrDiskFull.Ack().Write(w)
			return true
		}
		return false
	}
	for _, rule := range []FallbackRule{FallbackAnyFailure, FallbackConnectFailure} {
		t.Run(rule.String(), func(t *testing.T) {
			failures.Store(0)
			path, _ := testFile(t, 6000)
			res, h := run(t, Options{Clock: virtualClock(t), Fallback: rule}, JobSpec{LocalFile: path, RemoteURL: shared.url("x")})
			fell := len(h.Filter(func(e sim.Event) bool { return e.Kind == sim.ClientTimerFired && e.Timer == sim.TimerHostFallback })) > 0
			// Failures at 0, 600, 1200 s, ...: the any-failure rule falls back at
			// 1800 s; the connect-failure rule never (the server is reachable).
			if fell != (rule == FallbackAnyFailure) || res.State != Acknowledged {
				dumpEvents(t, h)
				t.Fatalf("fell back %v, %+v", fell, res)
			}
		})
	}
}

// Upload-reply round trip through a node and the mock app, in both
// notification modes: the reply is the app's ReplyFor(txn, sha256, size).
func TestFarmUploadReply(t *testing.T) {
	for _, mode := range []node.NotifyType{node.NotifyReference, node.NotifyValue} {
		t.Run(mode.String(), func(t *testing.T) {
			a := app.New(app.Config{Reply: true})
			if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			n := startNode(t, node.Config{Name: "n1", NotificationType: mode, NotificationURL: a.NotifyURL()}, "")
			path, data := testFile(t, 100_000)
			res, h := run(t, Options{FragmentSize: 30_000}, JobSpec{Type: UploadReply, LocalFile: path, RemoteURL: n.url("inbox/report.dat"), Txn: "tx-9"})
			if res.State != Acknowledged {
				dumpEvents(t, h)
				t.Fatalf("%+v", res)
			}
			body, _ := wrapAll("tx-9", data)
			sum := sha256.Sum256(body)
			want := app.ReplyFor("tx-9", hex.EncodeToString(sum[:]), int64(len(body)))
			got, _ := os.ReadFile(path + ".reply")
			if !bytes.Equal(got, want) || res.ReplySize != int64(len(want)) {
				t.Errorf("reply %q, want %q", got, want)
			}
			if d := a.Snapshot().Deliveries; len(d) != 1 || d[0].Txn != "tx-9" {
				t.Errorf("deliveries %+v", d)
			}
			var order []string
			for _, e := range h.OfKind(sim.ClientRequest) {
				order = append(order, e.Method+" "+e.Packet)
			}
			if got := fmt.Sprint(order); got != "[BITS_POST Create-Session BITS_POST Fragment BITS_POST Fragment BITS_POST Fragment BITS_POST Fragment GET  BITS_POST Close-Session]" {
				t.Errorf("order %s", got)
			}
		})
	}
}

func TestFarmCancel(t *testing.T) {
	hist := sim.NewHistory()
	n := startNode(t, node.Config{Name: "n1", Events: hist}, "")
	path, _ := testFile(t, 200_000)
	var j *Job
	var err error
	j, err = NewJob(Options{Events: hist, FragmentSize: 20_000, OnProgress: func(acked, _ int64) {
		if acked >= 60_000 {
			j.Cancel()
		}
	}}, JobSpec{LocalFile: path, RemoteURL: n.url("a.bin")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Run(context.Background())
	if !errors.Is(err, ErrCancelled) || res.State != Cancelled || res.BytesAcked != 60_000 {
		t.Fatalf("%+v", res)
	}
	if c := hist.OfKind(sim.SessionCancelled); len(c) != 1 {
		dumpEvents(t, hist)
		t.Fatalf("node cancelled %d sessions", len(c))
	}
	if n.committed("a.bin") != nil {
		t.Error("cancelled upload was committed")
	}
}

func TestFarmLocalFileChanged(t *testing.T) {
	n := startNode(t, node.Config{Name: "n1"}, "")
	path, _ := testFile(t, 200_000)
	j, err := NewJob(Options{FragmentSize: 20_000, OnProgress: func(acked, _ int64) {
		if acked == 40_000 {
			os.WriteFile(path, []byte("different"), 0o644)
		}
	}}, JobSpec{LocalFile: path, RemoteURL: n.url("a.bin")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Run(context.Background())
	if res.State != Error || !errors.Is(err, ErrLocalFileChanged) || res.BytesAcked != 40_000 {
		t.Fatalf("%+v", res)
	}
}
