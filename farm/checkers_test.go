package farm_test

import (
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/faults"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
)

// The checkers are proven on real runs: a no-fault control run with every
// checker on gives no findings at all, and for each checker a run where it
// must fire does.

func TestCheckersControlRun(t *testing.T) {
	for _, mode := range []app.Mode{app.Naive, app.Idempotent} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, farm.Config{Nodes: 3, HostID: true, App: app.Config{Mode: mode}})
			for _, name := range []string{"c1.bin", "c2.bin", "c3.bin"} {
				if res, _ := r.upload(name, 120_000, client.Options{}, ""); res.State != client.Acknowledged {
					t.Fatalf("%s: %+v", name, res)
				}
			}
			for _, v := range check.Run(r.input(), check.All()...) {
				if v.Status != check.Pass {
					t.Errorf("%s", v)
				}
				for _, f := range v.Findings {
					if f.Status != check.Pass {
						t.Errorf("%s: finding in a control run: %s", v.Checker, f.Message)
					}
				}
			}
		})
	}
}

func TestCheckerIntegrityFires(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 1})
	// Record the source, then change the file before the job starts: what
	// is delivered is not what the history says was uploaded.
	dir := t.TempDir()
	path := filepath.Join(dir, "x.bin")
	os.WriteFile(path, testutil.Payload(50_000, 1), 0o644)
	r.hist.Record(sim.Event{Kind: sim.JobSource, Job: "j", URL: r.f.UploadURL("x.bin"), Total: 50_000, SHA256: "00"})
	os.WriteFile(path, testutil.Payload(50_000, 2), 0o644)
	job, err := client.NewJob(client.Options{Clock: r.clock, Events: r.f.Events()}, client.JobSpec{ID: "j", LocalFile: path, RemoteURL: r.f.UploadURL("x.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := job.Run(t.Context()); res.State != client.Acknowledged {
		t.Fatal(res)
	}
	v := check.Integrity{}.Check(r.input())
	if v.Status != check.Fail || !strings.Contains(v.String(), "corrupt") {
		t.Errorf("%s", v)
	}
}

func TestCheckerAtLeastOnceFires(t *testing.T) {
	// Notification type 0: the job finishes, the app never hears of it.
	r := newRig(t, farm.Config{Nodes: 1, Node: node.Config{NotificationType: node.NotifyNone}})
	if res, _ := r.upload("n.bin", 30_000, client.Options{}, ""); res.State != client.Acknowledged {
		t.Fatal(res)
	}
	if v := (check.AtLeastOnce{}).Check(r.input()); v.Status != check.Fail {
		t.Errorf("%s", v)
	}
}

// A farm without host ids loses the session to the balancer: the upload
// restarts on another node (spec §14 case 2). resume-restart reports the
// restart and the re-sent bytes; no-orphans fires on the first node's
// partial session until the session time-out's cleanup removes it.
func TestCheckersRestartAndOrphan(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 2})
	r.inject(faults.Schedule{{Name: "cut", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Node: "node1", Nth: 2},
		Action: &faults.Kill{Node: "node1", RestartAfter: time.Minute}}})
	res, data := r.upload("o.bin", 300_000, client.Options{}, "")
	if res.State != client.Acknowledged || res.Restarts != 1 {
		r.dump()
		t.Fatalf("%+v", res)
	}
	r.requireDelivered(data, 1)
	st := check.Stats(r.input())[0]
	if st.Restarts != 1 || st.BytesResent < 65536 || !strings.Contains(strings.Join(st.Outcomes, ";"), "restarted from byte 0") {
		t.Errorf("stats %+v", st)
	}
	if v := (check.NoOrphans{}).Check(r.input()); v.Status != check.Fail || !strings.Contains(v.String(), "node1") {
		t.Errorf("before cleanup: %s", v)
	}
	r.clock.Advance(15 * 24 * time.Hour) // past the 14-day session time-out (node1's restart is due too)
	r.waitFor(func() bool { return r.count(sim.NodeStarted, func(e sim.Event) bool { return e.Node == "node1" }) >= 2 })
	r.f.RunCleanup() // node1's own 12 h cleanup may already have run
	if r.count(sim.SessionExpired, func(e sim.Event) bool { return e.Node == "node1" }) != 1 {
		t.Error("node1's orphaned session was not expired")
	}
	if v := (check.NoOrphans{}).Check(r.input()); v.Status != check.Pass {
		t.Errorf("after cleanup: %s", v)
	}
}

// Shared storage: any node resumes any session, no restart (spec §14
// case 15).
func TestSharedStorageResumesOnAnotherNode(t *testing.T) {
	r := newRig(t, farm.Config{Nodes: 2, Storage: farm.SharedStorage})
	r.inject(faults.Schedule{{Name: "cut", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Node: "node1", Nth: 2},
		Action: &faults.Kill{Node: "node1"}}})
	res, data := r.upload("s.bin", 300_000, client.Options{}, "")
	if res.State != client.Acknowledged || res.Restarts != 0 || res.Sessions != 1 {
		r.dump()
		t.Fatalf("%+v", res)
	}
	r.requireDelivered(data, 1)
	if r.count(sim.PacketReceived, func(e sim.Event) bool { return e.Node == "node2" && e.Packet == "Fragment" }) == 0 {
		t.Error("node2 never continued the session")
	}
}
