package scenarios_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/bubble"
)

// dirState is every file under dir with the hash of its content.
func dirState(dir string) string {
	var lines []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, fmt.Sprintf("%s %x", rel, sha256.Sum256(b)))
		return nil
	})
	sort.Strings(lines)
	return fmt.Sprint(lines)
}

// TestAbruptKillAtEveryEventKind: a node killed from an event trigger,
// whatever the event, writes nothing more to disk and answers nothing
// more, exactly like a crash-point kill: the node's directory when the
// trigger fired equals its directory when the job ended, and after its
// node.crashed the node records no Ack and no other work.
func TestAbruptKillAtEveryEventKind(t *testing.T) {
	defer bubble.Use(t)()
	kinds := []sim.Kind{sim.PacketReceived, sim.SessionCreated, sim.CrashPoint, sim.SessionCompleted, sim.NotifySent,
		sim.NotifyAnswered, sim.AckSent, sim.SessionClosed}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			nth := 1
			if kind == sim.PacketReceived || kind == sim.AckSent || kind == sim.CrashPoint {
				nth = 3 // in the middle of the upload
			}
			sc := record.Scenario{
				Name: "abrupt-" + string(kind), Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
				// The node stays dead: the client gives up after an hour.
				Client: record.ClientSpec{NoProgressTimeout: time.Hour},
				Jobs:   []record.JobSpec{{Name: "a.bin", Size: 200 << 10}},
				Faults: faults.Schedule{{Name: "kill", Trigger: faults.OnEvent{Kind: kind, Node: "node1", Nth: nth},
					Action: &faults.Kill{Node: "node1"}}},
				Expect: record.Expect{Verdicts: nil},
			}
			var mu sync.Mutex
			var dir, atKill, atEnd string
			seen := 0
			snap := sim.SinkFunc(func(e sim.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case atKill == "" && e.Kind == kind && e.Node == "node1":
					if seen++; seen == nth {
						atKill = dirState(dir)
					}
				case e.Kind == sim.JobDone:
					atEnd = dirState(dir)
				}
			})
			res, err := scenarios.Run(context.Background(), sc, sim.Seed(7), scenarios.RunOptions{Mutate: func(c *farm.Config) {
				dir = filepath.Join(c.Dir, "node1")
				c.Events = sim.Tee(snap, c.Events)
			}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Tier != record.TierExact {
				t.Fatalf("tier %s", res.Tier)
			}
			if res.Fired["kill"] != 1 {
				t.Fatalf("the kill did not fire: %v", res.Fired)
			}
			if atKill == "" || atKill != atEnd {
				t.Errorf("the dead node wrote to disk:\n at the trigger: %s\n at the end:     %s", atKill, atEnd)
			}
			dead := false
			for _, e := range res.Events {
				if e.Source != "node1" {
					continue
				}
				if e.Kind == sim.NodeCrashed {
					dead = true
					continue
				}
				if dead && e.Kind != sim.NotifyAnswered { // an orphaned notification may still be answered
					t.Errorf("node1 recorded %s after its death", e)
				}
			}
		})
	}
}

// TestKillOnNotifyAnsweredIsACrash: a kill fired by the notify.answered
// event gives the two deliveries of a kill at crash point
// after-notify-answer (the restarted node re-forwards, §14 case 5).
func TestKillOnNotifyAnsweredIsACrash(t *testing.T) {
	defer bubble.Use(t)()
	for _, trig := range []faults.Trigger{faults.AtPoint{Point: faults.AfterNotifyAnswer, Node: "node1"}, faults.OnEvent{Kind: sim.NotifyAnswered, Node: "node1"}} {
		sc := record.Scenario{
			Name: "kill-" + trig.String(), Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
			Jobs: []record.JobSpec{{Name: "a.bin", Size: 100 << 10}},
			Faults: faults.Schedule{{Name: "kill", Trigger: trig,
				Action: &faults.Kill{Node: "node1", RestartAfter: 10 * time.Minute}}},
			Expect: record.Expect{Deliveries: record.N(2), Effects: record.N(2), Verdicts: map[string]check.Status{"duplicates": check.Fail, "exactly-once-effect": check.Fail}},
		}
		res, err := scenarios.Run(context.Background(), sc, sim.Seed(7), scenarios.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Deliveries != 2 {
			t.Errorf("%s: %d deliveries, want 2 (failures %q)", trig, res.Deliveries, res.Failures)
		}
	}
}

// playYielding plays sc with seed 7 and returns its result; with yield,
// every event's recording yields the processor a hundred times after the
// farm acted on it, as a loaded machine may, so that anything the history
// owes to the Go scheduler's order shows up as another digest.
func playYielding(t *testing.T, sc record.Scenario, yield bool) *record.Result {
	t.Helper()
	yielder := sim.SinkFunc(func(sim.Event) {
		for range 100 {
			runtime.Gosched()
		}
	})
	res, err := scenarios.Run(context.Background(), sc, sim.Seed(7), scenarios.RunOptions{Mutate: func(c *farm.Config) {
		if yield {
			c.Events = sim.Tee(c.Events, yielder)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestKillOnNotifySentIsACrash: a kill fired by the notify.sent event is a
// death at crash point after-notify-sent — the app still gets the
// notification and processes it while the node dies (two deliveries once
// the restarted node notifies again) — whatever the goroutine order: the
// event is emitted on the notification's transport goroutine, and the
// kill cancels the node's context, which cut the notification in a
// goroutine of its own unless the exchange was already detached. Before
// the exchange was detached ahead of the event, the yielding run cut the
// notification (another history).
func TestKillOnNotifySentIsACrash(t *testing.T) {
	defer bubble.Use(t)()
	for _, trig := range []faults.Trigger{faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"}, faults.OnEvent{Kind: sim.NotifySent, Node: "node1"}} {
		sc := record.Scenario{
			Name: "kill-sent", Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
			Jobs: []record.JobSpec{{Name: "a.bin", Size: 100 << 10}},
			Faults: faults.Schedule{{Name: "kill", Trigger: trig,
				Action: &faults.Kill{Node: "node1", RestartAfter: 10 * time.Minute}}},
			Expect: record.Expect{Deliveries: record.N(2), Verdicts: map[string]check.Status{"duplicates": check.Fail}},
		}
		digests := map[bool]string{}
		for _, yield := range []bool{false, true} {
			res := playYielding(t, sc, yield)
			if res.Deliveries != 2 {
				t.Errorf("%s (yield %v): %d deliveries, want 2 (failures %q)", trig, yield, res.Deliveries, res.Failures)
			}
			digests[yield] = record.HistoryDigest(res.Events)
		}
		if digests[false] != digests[true] {
			t.Errorf("%s: the history depends on the goroutine order: %s, %s after a yield", trig, digests[false], digests[true])
		}
	}
}

// TestFaultsOfOneEventActInOrder: two faults fired by one event (two
// lose-tail kills), and the two restarts their node.crashed fires, act in
// schedule order whatever the goroutine order — the restarts, started at
// once in goroutines of their own, raced each other (the loser failing
// with "address already in use") and the second kill (explore run 166 of
// seed 1).
func TestFaultsOfOneEventActInOrder(t *testing.T) {
	defer bubble.Use(t)()
	onAck := faults.OnEvent{Kind: sim.AckSent, Node: "node1", Packet: "Fragment"}
	onCrash := faults.OnEvent{Kind: sim.NodeCrashed, Node: "node1"}
	sc := record.Scenario{
		Name: "two-tails", Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
		Jobs: []record.JobSpec{{Name: "a.bin", Size: 100 << 10}},
		Faults: faults.Schedule{
			{Name: "x1", Trigger: onAck, Action: &faults.LoseTail{Node: "node1", Bytes: 22240}},
			{Name: "x1.restart", Trigger: onCrash, Action: &faults.Restart{Node: "node1"}},
			{Name: "x2", Trigger: onAck, Action: &faults.LoseTail{Node: "node1", Bytes: 52009}},
			{Name: "x2.restart", Trigger: onCrash, Action: &faults.Restart{Node: "node1"}},
		},
	}
	a, b := playYielding(t, sc, false), playYielding(t, sc, true)
	if da, db := record.HistoryDigest(a.Events), record.HistoryDigest(b.Events); da != db {
		t.Errorf("the history depends on the goroutine order: %d events %s, %d events %s after a yield", len(a.Events), da, len(b.Events), db)
	}
	for _, e := range a.Events {
		if e.Kind == sim.FaultFired && e.Err != "" {
			t.Errorf("%s", e)
		}
	}
}

// TestCase4AssertsTheDayByItsTimer: case 4's wait for a day is asserted by
// the fallback timer that fired, so a farm falling back after one hour
// misses the expectation whatever the run's total time.
func TestCase4AssertsTheDayByItsTimer(t *testing.T) {
	defer bubble.Use(t)()
	sc, ok := scenarios.Find("case4-fallback-duplicate")
	if !ok {
		t.Fatal("no case 4")
	}
	res, err := scenarios.Run(context.Background(), sc, sim.Seed(1), scenarios.RunOptions{})
	if err != nil || !res.Passed || res.ProtocolTime != 24*time.Hour {
		t.Fatalf("case 4: err %v, passed %v %q, protocol time %s (want 24h0m0s exactly)", err, res.Passed, res.Failures, res.ProtocolTime)
	}
	sc.Farm.FallbackTimeout = time.Hour
	res, err = scenarios.Run(context.Background(), sc, sim.Seed(1), scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || !strings.Contains(fmt.Sprint(res.Failures), "1-day host-id fallback") {
		t.Fatalf("a 1-hour fallback passed case 4: %q", res.Failures)
	}
}
