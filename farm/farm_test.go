package farm_test

import (
	"context"
	"github.com/bitsim/bitsim/faults"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

func TestFarmAddressesAndHostID(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 3, HostID: true})
	f := r.f
	if !strings.HasPrefix(f.BaseURL(), "http://127.0.0.1:") {
		t.Fatalf("BaseURL %s", f.BaseURL())
	}
	for i, n := range f.NodeNames() {
		want := "http://127.0.0." + string(rune('2'+i)) + ":"
		if !strings.HasPrefix(f.NodeURL(n), want) {
			t.Errorf("%s url %s, want prefix %s", n, f.NodeURL(n), want)
		}
	}
	var names []string
	for _, l := range f.Links().Links() {
		names = append(names, l.Name())
	}
	if got := strings.Join(names, ","); got != "app-from-node1,app-from-node2,app-from-node3,node1,node2,node3,shared" {
		t.Errorf("links %s", got)
	}
	// A Create-Session through the shared address comes back with the
	// node's own host as BITS-Host-Id and a one-day fallback.
	req, _ := wire.NewRequest(context.Background(), f.UploadURL("a.bin"), wire.CreateSession, "", nil, 0)
	wire.SetExact(req.Header, wire.HdrSupportedProtocols, wire.ProtocolGUID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ack, err := wire.ParseAck(resp.StatusCode, resp.Header)
	if err != nil || !ack.OK() {
		t.Fatalf("ack %+v %v", ack, err)
	}
	if !strings.HasPrefix(ack.HostID, "127.0.0.") || ack.FallbackTimeout != 86400 {
		t.Errorf("host id %q fallback %d", ack.HostID, ack.FallbackTimeout)
	}
}

// Every packet after Create-Session reaches the host-id node (spec §14
// case 3), and the upload is delivered once, intact.
func TestHostIDPinsTheClient(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 3, HostID: true})
	res, data := r.upload("pinned.bin", 300_000, client.Options{}, "")
	if res.State != client.Acknowledged {
		t.Fatalf("result %+v", res)
	}
	r.requireDelivered(data, 1)
	nodes := map[string]bool{}
	for _, e := range r.hist.OfKind(sim.PacketReceived) {
		nodes[e.Node] = true
	}
	if len(nodes) != 1 {
		t.Errorf("packets reached %v, want one node", nodes)
	}
	for _, v := range r.verdicts() {
		if v.Status != check.Pass {
			t.Errorf("%s", v)
		}
	}
}

// Kill at every crash point on a single node, restart it on its storage:
// the upload completes with a byte-identical file; the notification points
// deliver twice (spec §14 case 5), never a corrupt file.
func TestKillAtEveryCrashPoint(t *testing.T) {
	for _, p := range faults.Points() {
		t.Run(p.String(), func(t *testing.T) {
			r := newRig(t, farm.Config{Nodes: 1})
			r.inject(faults.Schedule{{Name: "crash", Trigger: faults.AtPoint{Point: p, Node: "node1"},
				Action: &faults.Kill{RestartAfter: 10 * time.Minute}}})
			res, data := r.upload("f.bin", 200_000, client.Options{}, "")
			if res.State != client.Acknowledged {
				r.dump()
				t.Fatalf("result %+v", res)
			}
			want := 1
			if p == node.AfterNotifySent || p == node.AfterNotifyAnswer {
				want = 2
			}
			r.requireDelivered(data, want)
			v := r.verdicts()
			for _, name := range []string{"integrity", "at-least-once", "faults-fired"} {
				if v[name].Status != check.Pass {
					t.Errorf("%s", v[name])
				}
			}
			if want == 2 && !strings.Contains(v["duplicates"].String(), "case 5") {
				t.Errorf("duplicate not explained as case 5:\n%s", v["duplicates"])
			}
			if r.count(sim.NodeStarted, func(e sim.Event) bool { return e.Node == "node1" }) < 2 {
				t.Error("node1 was not restarted")
			}
		})
	}
}

// A node killed after notifying, down past the fallback time-out: the
// client falls back, another node takes a full re-upload and notifies again
// (spec §14 case 4); the duplicate checker names the kill and the fallback.
func TestCase4DuplicateAfterFallback(t *testing.T) {
	for _, mode := range []app.Mode{app.Naive, app.Idempotent} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, farm.Config{Nodes: 3, HostID: true, App: app.Config{Mode: mode}})
			r.inject(faults.Schedule{{Name: "kill-after-notify", Trigger: faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"},
				Action: &faults.Kill{}}})
			start := time.Now()
			res, data := r.upload("c4.bin", 150_000, client.Options{}, "")
			wall := time.Since(start)
			if res.State != client.Acknowledged {
				r.dump()
				t.Fatalf("result %+v", res)
			}
			r.requireDelivered(data, 2)
			v := r.verdicts()
			dup := v["duplicates"].String()
			for _, want := range []string{"case 4", "kill-after-notify", "fallback", "node1", "node2"} {
				if !strings.Contains(dup, want) {
					t.Errorf("explanation lacks %q:\n%s", want, dup)
				}
			}
			wantEffect := check.Fail
			if mode == app.Idempotent {
				wantEffect = check.Pass
			}
			if got := v["exactly-once-effect"].Status; got != wantEffect {
				t.Errorf("exactly-once-effect %s, want %s", got, wantEffect)
			}
			pt := r.clock.Now().Sub(sim.Epoch)
			t.Logf("case 4 (%s): %v protocol time in %v wall (x%.0f)", mode, pt, wall, float64(pt)/float64(wall))
			if pt < 24*time.Hour {
				t.Errorf("protocol time %v, want more than the 1-day fallback", pt)
			}
		})
	}
}

// Each fault action, driven through the schedule API, fires and has its
// effect. Long on purpose: one short subtest per action, side by side.
func TestFaultActions(t *testing.T) {
	t.Run("link-down by event, link-up by event", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{
			{Name: "down", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Nth: 1}, Action: &faults.LinkDown{Link: "shared"}},
			{Name: "up", Trigger: faults.OnEvent{Kind: sim.ClientTimerFired, Nth: 3}, Action: &faults.LinkUp{Link: "shared"}},
		})
		res, data := r.upload("l.bin", 200_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries < 3 {
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 1)
		if v := r.verdicts()["faults-fired"]; v.Status != check.Pass {
			t.Error(v)
		}
	})
	t.Run("link-up by protocol time", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		l, err := r.f.Link("shared")
		if err != nil {
			t.Fatal(err)
		}
		l.Disable() // down from the start: nothing can happen before the timer
		r.inject(faults.Schedule{{Name: "up", Trigger: faults.After{D: 2 * time.Hour}, Action: &faults.LinkUp{Link: "shared"}}})
		res, data := r.upload("t.bin", 100_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries < 12 {
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 1)
		if got := r.clock.Now().Sub(sim.Epoch); got < 2*time.Hour {
			t.Errorf("finished at +%v, before the link came back", got)
		}
	})
	t.Run("add-toxic drops the final ack then remove-toxic", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{
			{Name: "drop", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: "drop", Type: "bits_drop_ack",
				Attributes: map[string]any{"pattern": "BITS-Received-Content-Range: 100000", "times": 1}}}},
		})
		res, data := r.upload("d.bin", 100_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries != 1 {
			t.Fatalf("result %+v", res)
		}
		// spec §14 case 8: the retried final fragment gets the cached Ack.
		r.requireDelivered(data, 1)
		if r.count(sim.NotifyCached, nil) != 1 {
			t.Error("no cached Ack")
		}
	})
	t.Run("app-status then recovery", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{{Name: "503", Action: &faults.AppStatus{Status: 503, Times: 1}}})
		res, data := r.upload("s.bin", 50_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries != 1 {
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 2) // the rejected delivery is recorded, no effect
		if r.f.App().Effects() != 1 {
			t.Errorf("effects %d", r.f.App().Effects())
		}
	})
	t.Run("app-latency beyond the notification timeout", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1, Node: node.Config{NotificationTimeout: time.Minute}})
		r.inject(faults.Schedule{
			{Name: "slow", Action: &faults.AppLatency{Latency: 2 * time.Minute}},
			{Name: "fast", Trigger: faults.OnEvent{Kind: sim.AckSent, Status: 408}, Action: &faults.AppLatency{}},
		})
		res, data := r.upload("t.bin", 50_000, client.Options{}, "")
		if res.State != client.Acknowledged {
			r.dump()
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 2)
		if r.count(sim.AckSent, func(e sim.Event) bool { return e.Status == 408 && e.Context == "0x7" }) != 1 {
			t.Error("no 408 context 7 Ack")
		}
	})
	t.Run("app-crash then app-restart", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1, App: app.Config{Mode: app.Idempotent}})
		r.inject(faults.Schedule{{Name: "crash", Action: &faults.AppCrash{Point: faults.AppAfterProcessing}}})
		res, data := r.upload("a.bin", 50_000, client.Options{}, "")
		if res.State != client.Acknowledged {
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 2)
		if r.f.App().Effects() != 1 {
			t.Errorf("effects %d, want 1", r.f.App().Effects())
		}
	})
	t.Run("app stays down after a crash until app-restart", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1, App: app.Config{Mode: app.Idempotent, StayDown: true}})
		r.inject(faults.Schedule{
			{Name: "crash", Action: &faults.AppCrash{Point: faults.AppAfterProcessing}},
			{Name: "back", Trigger: faults.OnEvent{Kind: sim.ClientTimerFired, Nth: 3}, Action: &faults.AppRestart{}},
		})
		res, data := r.upload("r.bin", 50_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries < 3 {
			r.dump()
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 2) // the crashed delivery and the one after the restart
		if r.f.App().Effects() != 1 || r.count(sim.AppRestarted, nil) != 1 {
			t.Errorf("effects %d, restarts %d", r.f.App().Effects(), r.count(sim.AppRestarted, nil))
		}
	})
	t.Run("drop-sessions answers 0x8020001F and the client restarts", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{{Name: "drop", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Nth: 2},
			Action: &faults.DropSessions{Node: "node1"}}})
		res, data := r.upload("d2.bin", 300_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Restarts != 1 {
			r.dump()
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 1)
	})
	t.Run("lose-tail rewinds the client", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{
			{Name: "tail", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Nth: 2}, Action: &faults.LoseTail{Node: "node1", Bytes: 100_000}},
			{Name: "back", Trigger: faults.OnEvent{Kind: sim.NodeCrashed}, Action: &faults.Restart{Node: "node1"}},
		})
		res, data := r.upload("t.bin", 300_000, client.Options{}, "")
		if res.State != client.Acknowledged {
			r.dump()
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 1)
		if res.Resyncs == 0 {
			t.Errorf("no rewind: %+v", res)
		}
	})
	t.Run("bytes trigger cuts the node link", func(t *testing.T) {
		r := newRig(t, farm.Config{Nodes: 1})
		r.inject(faults.Schedule{
			{Name: "cut", Trigger: faults.OnBytes{Bytes: 100_000, Link: "shared"}, Action: &faults.AddToxic{Link: "shared",
				Toxic: &sim.Toxic{Name: "reset", Type: "bits_limit_data_safe", Stream: sim.Upstream, Attributes: map[string]any{"bytes": 0}}}},
			{Name: "heal", Trigger: faults.OnEvent{Kind: sim.ClientError}, Action: &faults.RemoveToxic{Link: "shared", ToxicName: "reset"}},
		})
		res, data := r.upload("b.bin", 400_000, client.Options{}, "")
		if res.State != client.Acknowledged || res.Retries == 0 {
			r.dump()
			t.Fatalf("result %+v", res)
		}
		r.requireDelivered(data, 1)
	})
}

// A fault that never fires is reported.
func TestUnfiredFaultIsReported(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 1})
	r.inject(faults.Schedule{{Name: "never", Trigger: faults.AtPoint{Point: faults.CloseAfterCommit, Nth: 5}, Action: &faults.Kill{Node: "node1"}}})
	res, _ := r.upload("n.bin", 10_000, client.Options{}, "")
	if res.State != client.Acknowledged {
		t.Fatal(res)
	}
	v := r.verdicts()["faults-fired"]
	if v.Status != check.Fail || !strings.Contains(v.String(), "never fired") {
		t.Errorf("%s", v)
	}
}
