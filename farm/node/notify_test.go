package node

import (
	"github.com/bitsim/bitsim/faults"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

func notifyNode(t *testing.T, a *mockApp, cfg Config) (*Node, *sim.History) {
	if cfg.NotificationURL == "" {
		cfg.NotificationURL = a.url()
	}
	return startNode(t, cfg)
}

func appErr(status int, code string) map[string]string {
	return map[string]string{wire.HdrErrorCode: code, wire.HdrErrorContext: "0x7", wire.HdrReceivedContentRange: ""}
}

// TestNotifyOutcomes covers §10.4 row by row, and §7.3 steps 2-4. It is
// long because it is the table: one unrolled exchange per row of §10.4.
func TestNotifyOutcomes(t *testing.T) {
	data := payload(500)
	final := func(status int) step { return frag(data, 250, 499, status, 500) }
	for _, typ := range []NotifyType{NotifyReference, NotifyValue} {
		t.Run(typ.String(), func(t *testing.T) {
			t.Run("200 then cached", func(t *testing.T) {
				a := newMockApp(t)
				a.set(func(a *mockApp) { a.reply = []byte("reply!") })
				n, h := notifyNode(t, a, Config{NotificationType: typ})
				x := newExchange(t, n)
				x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250))
				ok := final(200)
				ok.want[wire.HdrReplyURL] = `BITS-Sessions\Replies\` + x.sid + `\responsefile.bin`
				x.run(ok, ok) // the repeat is answered from the notify cache
				d := a.deliveries()
				if len(d) != 1 {
					t.Fatalf("%d deliveries, want 1", len(d))
				}
				sameBytes(t, "delivered", d[0].body, data)
				if countKind(h, sim.NotifyCached) != 1 {
					t.Error("no notify.cached event for the repeated final fragment")
				}
				// the reply is downloadable until Close (§11)
				c := testClient(t)
				replyURL := n.UploadURL("BITS-Sessions/Replies/" + x.sid + "/responsefile.bin")
				req, _ := http.NewRequest("GET", replyURL, nil)
				req.Header.Set("Range", "bytes=2-4")
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 206 || string(b) != "ply" || resp.Header.Get("Content-Range") != "bytes 2-4/6" {
					t.Errorf("ranged reply GET: %d %q %q", resp.StatusCode, b, resp.Header.Get("Content-Range"))
				}
				resp, _ = c.Head(replyURL)
				resp.Body.Close()
				if resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "6" || resp.Header.Get("Accept-Ranges") != "bytes" {
					t.Errorf("reply HEAD: %d %v", resp.StatusCode, resp.Header)
				}
				x.run(step{pkt: "Close-Session", sid: "$", status: 200})
				resp, _ = c.Get(replyURL)
				resp.Body.Close()
				if resp.StatusCode != 404 {
					t.Errorf("reply after Close: %d, want 404", resp.StatusCode)
				}
				rowsCovered.Add(3)
			})
			t.Run("app error then retry notifies again", func(t *testing.T) {
				a := newMockApp(t)
				a.set(func(a *mockApp) { a.status, a.statusTimes = 500, 1 })
				n, _ := notifyNode(t, a, Config{NotificationType: typ})
				x := newExchange(t, n)
				fail := final(500)
				fail.want = appErr(500, "0x801901F4")
				x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), fail, final(200))
				if d := a.deliveries(); len(d) != 2 {
					t.Errorf("%d deliveries, want 2 (the retry re-notifies)", len(d))
				}
			})
			t.Run("403 is never posted again", func(t *testing.T) {
				a := newMockApp(t)
				a.set(func(a *mockApp) { a.status = 403 })
				n, _ := notifyNode(t, a, Config{NotificationType: typ})
				x := newExchange(t, n)
				fail := final(403)
				fail.want = appErr(403, "0x80190193")
				x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), fail, fail)
				if d := a.deliveries(); len(d) != 1 {
					t.Errorf("%d deliveries, want 1", len(d))
				}
				// and it survives a restart (persisted flag)
				n.Kill()
				n2, err := New(n.Config())
				if err != nil {
					t.Fatal(err)
				}
				defer n2.Close()
				if err := n2.Start(t.Context(), n.Addr()); err != nil {
					t.Fatal(err)
				}
				x.n = n2
				x.run(fail)
				if d := a.deliveries(); len(d) != 1 {
					t.Errorf("%d deliveries after restart, want 1", len(d))
				}
			})
		})
	}
	t.Run("timeout", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.block = make(chan struct{}) })
		n, _ := notifyNode(t, a, Config{NotificationTimeout: 100 * time.Millisecond})
		x := newExchange(t, n)
		to := final(408)
		to.want = appErr(408, "0x80070112")
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), to)
		a.set(func(a *mockApp) { close(a.block); a.block = nil })
		x.run(final(200))
		if d := a.deliveries(); len(d) != 2 {
			t.Errorf("%d deliveries, want 2", len(d))
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		n, _ := startNode(t, Config{NotificationType: NotifyReference, NotificationURL: "http://127.0.0.1:1/notify"})
		x := newExchange(t, n)
		un := final(503)
		un.want = appErr(503, "0x801901F7")
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), un)
	})
	t.Run("static response URL", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.static = "http://elsewhere.test/reply.bin" })
		n, _ := notifyNode(t, a, Config{})
		x := newExchange(t, n)
		ok := final(200)
		ok.want[wire.HdrReplyURL] = "http://elsewhere.test/reply.bin"
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), ok)
	})
	t.Run("static response URL too long", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.static = "http://elsewhere.test/" + strings.Repeat("r", 2200) })
		n, _ := notifyNode(t, a, Config{})
		x := newExchange(t, n)
		bad := final(400)
		bad.want = badRequest()
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), bad)
	})
	t.Run("reply file by reference", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.replyFile = []byte("from file") })
		n, _ := notifyNode(t, a, Config{})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250))
		ok := final(200)
		ok.want[wire.HdrReplyURL] = `BITS-Sessions\Replies\` + x.sid + `\responsefile.bin`
		x.run(ok)
		si, _ := n.Session(x.sid)
		if got := mustRead(t, si.ReplyFile); string(got) != "from file" {
			t.Errorf("reply file %q", got)
		}
	})
	t.Run("no reply means no Reply-URL", func(t *testing.T) {
		a := newMockApp(t)
		n, _ := notifyNode(t, a, Config{})
		x := newExchange(t, n)
		ok := final(200)
		ok.want[wire.HdrReplyURL] = ""
		x.run(step{pkt: create, status: 200}, frag(data, 0, 249, 200, 250), ok)
	})
}

// TestNotifyRequest checks the notification POST of §10.2 and the URL
// resolution of §9.
func TestNotifyRequest(t *testing.T) {
	data := payload(64)
	cases := []struct{ notify, upload, want string }{
		{"myasp.asp", "http://myserver/myvdir/file.txt", "http://myserver/myvdir/myasp.asp"},
		{"http://otherserver/myvdir2/bag.asp", "http://myserver/myvdir/file.asp?ACCOUNT=86433", "http://otherserver/myvdir2/bag.asp?ACCOUNT=86433"},
		{"/abs/n.asp?x=1", "http://h/v/f?y=2", "http://h/abs/n.asp?x=1&y=2"},
	}
	for _, c := range cases {
		if got, err := resolveNotifyURL(c.notify, c.upload); err != nil || got != c.want {
			t.Errorf("resolve(%q, %q) = %q, %v; want %q", c.notify, c.upload, got, err, c.want)
		}
		rowsCovered.Add(1)
	}
	for _, typ := range []NotifyType{NotifyReference, NotifyValue} {
		t.Run(typ.String(), func(t *testing.T) {
			a := newMockApp(t)
			n, _ := startNode(t, Config{Name: "nodeX", NotificationType: typ, NotificationURL: a.url()})
			x := newExchange(t, n)
			x.run(step{pkt: create, path: "inbox/a.bin", status: 200},
				step{pkt: "Fragment", path: "inbox/a.bin", sid: "$", rng: "bytes 0-63/64", body: string(data), status: 200})
			d := a.deliveries()
			if len(d) != 1 {
				t.Fatalf("%d deliveries", len(d))
			}
			h := d[0].hdr
			if h.Get(wire.HdrOriginalRequestURL) != n.UploadURL("inbox/a.bin") || h.Get(NodeHeader) != "nodeX" {
				t.Errorf("headers %v", h)
			}
			_, hasReq := h[http.CanonicalHeaderKey(wire.HdrRequestDataFileName)]
			_, hasResp := h[http.CanonicalHeaderKey(wire.HdrResponseDataFileName)]
			if hasReq != (typ == NotifyReference) || hasResp != (typ == NotifyReference) {
				t.Errorf("DataFile headers for %s: %v", typ, h)
			}
			if typ == NotifyReference && (!filepath.IsAbs(h.Get(wire.HdrRequestDataFileName)) || h.Get("Content-Length") != "0") {
				t.Errorf("by reference: %v", h)
			}
			sameBytes(t, "delivered", d[0].body, data)
			rowsCovered.Add(1)
		})
	}
}

// TestCommitKnobs covers K2 both ways, BITS-Copy-File-To-Destination and
// K10 both ways.
func TestCommitKnobs(t *testing.T) {
	data := payload(100)
	dest := func(n *Node) string { return filepath.Join(n.cfg.Dir, "file.bin") }
	t.Run("K2 on-final-fragment, cancel keeps it", func(t *testing.T) {
		n, _ := startNode(t, Config{Commit: CommitOnFinalFragment})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
		sameBytes(t, "destination at final Ack", mustRead(t, dest(n)), data)
		x.run(step{pkt: "Cancel-Session", sid: "$", status: 200})
		sameBytes(t, "destination after Cancel", mustRead(t, dest(n)), data)
	})
	t.Run("K2 on-close, cancel discards", func(t *testing.T) {
		n, _ := startNode(t, Config{Commit: CommitOnClose})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
		if exists(dest(n)) {
			t.Error("committed before Close")
		}
		x.run(step{pkt: "Cancel-Session", sid: "$", status: 200})
		if exists(dest(n)) {
			t.Error("committed after Cancel")
		}
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100), step{pkt: "Close-Session", sid: "$", status: 200})
		sameBytes(t, "destination after Close", mustRead(t, dest(n)), data)
	})
	t.Run("copy header and K10 after-answer", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.copy = true })
		n, _ := notifyNode(t, a, Config{})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
		sameBytes(t, "copied destination", mustRead(t, dest(n)), data)
		si, _ := n.Session(x.sid)
		if !exists(si.RequestFile) {
			t.Error("K10 deleted a request file that is to be copied")
		}
	})
	t.Run("K10 after-answer deletes request, keeps reply", func(t *testing.T) {
		a := newMockApp(t)
		a.set(func(a *mockApp) { a.reply = []byte("r") })
		n, _ := notifyNode(t, a, Config{RequestRetention: DeleteAfterAnswer})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
		si, _ := n.Session(x.sid)
		if exists(si.RequestFile) || !exists(si.ReplyFile) || exists(dest(n)) {
			t.Errorf("after answer: request %v reply %v dest %v", exists(si.RequestFile), exists(si.ReplyFile), exists(dest(n)))
		}
		x.run(frag(data, 0, 99, 200, 100), step{pkt: "Close-Session", sid: "$", status: 200})
		if exists(si.ReplyFile) {
			t.Error("reply survived Close")
		}
	})
	t.Run("K10 until-close keeps request", func(t *testing.T) {
		a := newMockApp(t)
		n, _ := notifyNode(t, a, Config{RequestRetention: KeepUntilClose})
		x := newExchange(t, n)
		x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
		si, _ := n.Session(x.sid)
		if !exists(si.RequestFile) || exists(dest(n)) {
			t.Error("until-close: request file gone or destination written without copy header")
		}
		x.run(step{pkt: "Close-Session", sid: "$", status: 200})
		if exists(si.RequestFile) || exists(dest(n)) {
			t.Error("after Close: request file left or destination written")
		}
	})
}

func TestCrashPointsRoundTrip(t *testing.T) {
	for _, p := range faults.Points() {
		if q, err := faults.ParsePoint(p.String()); err != nil || q != p {
			t.Errorf("CrashPoint %v", p)
		}
	}
	if _, err := faults.ParsePoint("bogus"); err == nil || !strings.Contains(err.Error(), "after-notify-sent") {
		t.Errorf("bad parse error %v", err)
	}
}
