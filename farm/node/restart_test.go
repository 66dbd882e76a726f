package node

import (
	"context"
	"github.com/bitsim/bitsim/faults"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitsim/bitsim/wire"
)

// uploader drives the protocol packet by packet like a BITS client (§7.4,
// §12), restarting the node whenever a request fails at the transport
// level (the node crashed): New on the same config, Start on the same
// address.
type uploader struct {
	t        *testing.T
	c        *http.Client
	n        *Node
	cfg      Config
	addr     string
	sid      string
	restarts int
}

func (u *uploader) send(pkt wire.PacketType, rg *wire.Range, body []byte) (wire.Ack, bool) {
	u.t.Helper()
	var req *http.Request
	var err error
	url := u.n.UploadURL("dest.bin")
	if rg != nil {
		req, err = wire.NewRequest(context.Background(), url, pkt, u.sid, bytesReader(body), int64(len(body)))
		wire.SetExact(req.Header, wire.HdrContentRange, rg.String())
	} else {
		req, err = wire.NewRequest(context.Background(), url, pkt, u.sid, nil, 0)
	}
	if err != nil {
		u.t.Fatal(err)
	}
	if pkt == wire.CreateSession {
		wire.SetExact(req.Header, wire.HdrSupportedProtocols, wire.ProtocolGUID)
	}
	resp, err := u.c.Do(req)
	if err != nil {
		u.restart()
		return wire.Ack{}, false
	}
	resp.Body.Close()
	ack, err := wire.ParseAck(resp.StatusCode, resp.Header)
	if err != nil {
		u.t.Fatal(err)
	}
	return ack, true
}

func (u *uploader) restart() {
	u.t.Helper()
	select {
	case <-u.n.Crashed():
	case <-time.After(10 * time.Second):
		u.t.Fatal("transport error but the node did not crash")
	}
	u.n.Kill()
	n, err := New(u.cfg)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := n.Start(context.Background(), u.addr); err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { n.Close() })
	u.n = n
	u.restarts++
	u.c.CloseIdleConnections()
}

// upload runs a whole upload: Create-Session, Fragments from the node's
// offset, Close-Session, retrying each packet after a restart.
func (u *uploader) upload(data []byte, fragSize int64) {
	u.t.Helper()
	T := int64(len(data))
	for u.sid == "" {
		if ack, ok := u.send(wire.CreateSession, nil, nil); ok {
			if ack.Status != 200 {
				u.t.Fatalf("Create-Session: %d", ack.Status)
			}
			u.sid = ack.SessionID
		}
	}
	var off int64
	for steps := 0; off < T; steps++ {
		if steps > 100 {
			u.t.Fatal("upload does not progress")
		}
		last := min(off+fragSize, T) - 1
		ack, ok := u.send(wire.Fragment, &wire.Range{First: off, Last: last, Total: T}, data[off:last+1])
		if !ok {
			continue
		}
		if ack.Status != 200 && ack.Status != 416 {
			u.t.Fatalf("Fragment %d-%d: %v", off, last, ack.Err())
		}
		if err := wire.CheckOffset(ack.Received, T); err != nil {
			u.t.Fatal(err)
		}
		off = ack.Received
	}
	for {
		ack, ok := u.send(wire.CloseSession, nil, nil)
		if ok {
			if ack.Status != 200 {
				u.t.Fatalf("Close-Session: %v", ack.Err())
			}
			return
		}
	}
}

// TestRestartAtEveryCrashPoint kills a node at each crash point during an
// upload, restarts it on the same directory and address, and completes the
// upload by re-sending per the protocol. The destination must be
// byte-identical; the app sees two deliveries exactly where §14 case 5
// says (a crash after the notification was sent), never a corrupt one.
func TestRestartAtEveryCrashPoint(t *testing.T) {
	data := payload(40_000)
	for _, p := range faults.Points() {
		for _, commit := range []CommitMode{CommitOnFinalFragment, CommitOnClose} {
			t.Run(p.String()+"/"+commit.String(), func(t *testing.T) {
				a := newMockApp(t)
				a.set(func(a *mockApp) { a.copy = true })
				dir := t.TempDir()
				cfg := Config{Name: "node1", Dir: dir, NotificationType: NotifyReference, NotificationURL: a.url(), Commit: commit}
				n, h := startNode(t, cfg)
				cfg.Events = h
				nth := 1
				if p == BeforeBody || p == AfterBody || p == AfterWrite {
					nth = 2
				}
				n.Arm(p, nth)
				u := &uploader{t: t, c: testClient(t), n: n, cfg: cfg, addr: n.Addr()}
				u.upload(data, 10_000)
				if u.restarts != 1 {
					t.Errorf("%d restarts, want 1", u.restarts)
				}
				sameBytes(t, "destination", mustRead(t, filepath.Join(dir, "dest.bin")), data)
				want := 1
				if p == AfterNotifySent || p == AfterNotifyAnswer {
					want = 2
				}
				d := a.deliveries()
				if len(d) != want {
					t.Errorf("%d deliveries, want %d", len(d), want)
				}
				for i := range d {
					sameBytes(t, "delivery", d[i].body, data)
				}
				if countKind(h, "crash.point") != 1 || countKind(h, "node.crashed") < 1 {
					t.Errorf("crash events: %d points, %d crashed", countKind(h, "crash.point"), countKind(h, "node.crashed"))
				}
			})
		}
	}
}

// TestRestartLosesTail: a node that lost the unflushed tail of a request
// file reports the lower R and the client rewinds (§14 case 11).
func TestRestartLosesTail(t *testing.T) {
	data := payload(30_000)
	dir := t.TempDir()
	cfg := Config{Dir: dir}
	n, _ := startNode(t, cfg)
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 19_999, 200, 20_000))
	n.KillWith(KillOptions{LoseTail: 5000, Session: x.sid})
	n2, err := New(n.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if err := n2.Start(t.Context(), n.Addr()); err != nil {
		t.Fatal(err)
	}
	x.n = n2
	x.c.CloseIdleConnections()
	gap := frag(data, 20_000, 29_999, 416, 15_000)
	gap.want = outOfSync(15_000)
	x.run(step{pkt: "Ping", status: 200}, gap, frag(data, 15_000, 29_999, 200, 30_000))
	sameBytes(t, "destination", mustRead(t, filepath.Join(dir, "file.bin")), data)
}
