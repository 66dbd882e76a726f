package scenarios_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/bubble"
)

// eventKinds are the events an OnEvent trigger can fire on during one
// upload, with where each is emitted: in a node's handler, most while it
// holds the session (crash.point, session.completed, notify.answered,
// session.closed, file.committed: a type-0 farm, the node commits the
// upload itself), or in the transport writing the notification
// (notify.sent); in the app's handler (app.*); in the client.
var eventKinds = []sim.Kind{sim.PacketReceived, sim.SessionCreated, sim.CrashPoint, sim.SessionCompleted, sim.NotifySent,
	sim.NotifyAnswered, sim.AckSent, sim.SessionClosed, sim.AppDelivery, sim.AppEffect, sim.AppReplied, sim.ClientResponse,
	sim.FileCommitted}

// holdsSession are the event kinds recorded while node1 holds the
// session the upload uses: a drop-sessions fired on them finds it busy.
var holdsSession = map[sim.Kind]bool{sim.CrashPoint: true, sim.SessionCompleted: true, sim.NotifySent: true,
	sim.NotifyAnswered: true, sim.AppDelivery: true, sim.AppEffect: true, sim.AppReplied: true, sim.FileCommitted: true}

// dropDeferred asserts that the history shows a drop deferred for a busy
// session: session.doomed, then session.expired of that session.
func dropDeferred(t *testing.T, events []sim.Event) {
	t.Helper()
	doomed := ""
	for _, e := range events {
		switch {
		case e.Kind == sim.SessionDoomed && doomed == "":
			doomed = e.Session
		case doomed != "" && e.Kind == sim.SessionExpired && e.Session == doomed:
			return
		}
	}
	t.Errorf("no session.doomed followed by session.expired (doomed %q)", doomed)
}

// actionCases are one fault per registered action, fired by the trigger
// given, with the companions that let the upload end (a restart after a
// kill, a heal after a link goes down).
func actionCases(trig faults.Trigger) map[string]faults.Schedule {
	act := func(a faults.Action, companions ...faults.Fault) faults.Schedule {
		return append(faults.Schedule{{Name: "act", Trigger: trig, Action: a}}, companions...)
	}
	restart := faults.Fault{Name: "restart", Trigger: faults.OnEvent{Kind: sim.NodeCrashed}, Action: &faults.Restart{Node: "node1"}, Optional: true}
	linkUp := faults.Fault{Name: "up", Trigger: faults.OnEvent{Kind: sim.ClientError}, Action: &faults.LinkUp{Link: "shared"}, Optional: true}
	toxic := &sim.Toxic{Name: "slow", Type: "latency", Stream: sim.Downstream, Attributes: map[string]any{"latency": 100}}
	return map[string]faults.Schedule{
		"kill":          act(&faults.Kill{Node: "node1", RestartAfter: 10 * time.Minute}),
		"restart":       act(&faults.Restart{Node: "node1"}),
		"lose-tail":     act(&faults.LoseTail{Node: "node1", Bytes: 1000}, restart),
		"drop-sessions": act(&faults.DropSessions{Node: "node1"}),
		"link-down":     act(&faults.LinkDown{Link: "shared"}, linkUp),
		"link-up":       act(&faults.LinkUp{Link: "shared"}),
		"add-toxic":     act(&faults.AddToxic{Link: "shared", Toxic: toxic}),
		"remove-toxic": append(faults.Schedule{{Name: "toxic", Action: &faults.AddToxic{Link: "shared", Toxic: toxic}}},
			act(&faults.RemoveToxic{Link: "shared", ToxicName: "slow"})...),
		"app-latency":     act(&faults.AppLatency{Latency: time.Minute}),
		"app-reply-delay": act(&faults.AppReplyDelay{Latency: time.Minute}),
		"app-status":      act(&faults.AppStatus{Status: 503, Times: 1}),
		"app-crash": act(&faults.AppCrash{Point: faults.AppAfterProcessing, Times: 1},
			faults.Fault{Name: "app-back", Trigger: faults.OnEvent{Kind: sim.AppCrashed}, Action: &faults.AppRestart{}, Optional: true}),
		"app-restart": act(&faults.AppRestart{}),
		"slow-disk":   act(&faults.SlowDisk{Node: "node1", Delay: time.Minute, Times: 1}),
		"node-status": act(&faults.NodeStatus{Node: "node1", Packet: "Fragment", Nth: 2, Status: 503}),
	}
}

// TestEveryActionFromEveryEventKind: every fault action fired by an event
// trigger, for each kind of event an upload records, runs to the end on
// the exact tier. The farm's injector runs an event-triggered action
// synchronously in the goroutine that emits the event, which may hold a
// node's session (drop-sessions used to wait for it there for good) or be
// the app's or a proxy's; a hang shows as a run that does not end within
// its wall-time bound (the bubble cannot see a goroutine blocked on a
// mutex).
func TestEveryActionFromEveryEventKind(t *testing.T) {
	defer bubble.Use(t)()
	if len(actionCases(nil)) != len(faults.Kinds()) {
		t.Fatalf("%d action cases for %d registered actions %v", len(actionCases(nil)), len(faults.Kinds()), faults.Kinds())
	}
	for _, kind := range eventKinds {
		nth := 1
		if kind == sim.PacketReceived || kind == sim.AckSent || kind == sim.CrashPoint || kind == sim.ClientResponse {
			nth = 3 // in the middle of the upload
		}
		playActions(t, string(kind), faults.OnEvent{Kind: kind, Nth: nth}, nil, holdsSession[kind], kind == sim.FileCommitted)
	}
}

// TestEveryActionFromBytesAndTime: the same for the other trigger kinds
// run outside the injector's caller: bytes on the shared link (in the
// proxy's goroutine carrying them, in the middle of the second fragment)
// and protocol time while the app is slow (the final fragment's
// notification in flight, the node holding the session).
func TestEveryActionFromBytesAndTime(t *testing.T) {
	defer bubble.Use(t)()
	playActions(t, "bytes", faults.OnBytes{Link: "shared", Bytes: 100_000}, nil, false, false)
	slow := faults.Schedule{{Name: "slow-app", Action: &faults.AppLatency{Latency: time.Minute}}}
	playActions(t, "time-while-app-slow", faults.After{D: 30 * time.Second}, slow, true, false)
}

// playActions runs every action case fired by trig (with extra faults) as
// subtests of t named label/action: each run ends within its bound, the
// action fires once and the job is acknowledged. busy says the trigger
// finds the upload's session held by a packet (drop-sessions defers the
// drop); typeZero plays on a type-0 farm.
func playActions(t *testing.T, label string, trig faults.Trigger, extra faults.Schedule, busy, typeZero bool) {
	cases := actionCases(trig)
	for _, action := range slices.Sorted(maps.Keys(cases)) {
		sched := append(append(faults.Schedule(nil), extra...), cases[action]...)
		t.Run(label+"/"+action, func(t *testing.T) {
			sc := record.Scenario{
				Name: "action-" + label + "-" + action, Farm: record.FarmSpec{Nodes: 1}, App: record.AppSpec{Mode: knob.Naive},
				Client: record.ClientSpec{NoProgressTimeout: 2 * time.Hour},
				Jobs:   []record.JobSpec{{Name: "a.bin", Size: 200 << 10}},
				Faults: sched,
			}
			want := "ACKNOWLEDGED"
			if typeZero {
				sc.Farm.Notification = knob.NotifyNone
				if action == "drop-sessions" {
					// Dropped once committed: the client's new session finds
					// the destination taken (K3, no overwrites).
					want = "ERROR"
				}
			}
			res := runBounded(t, sc, 30*time.Second)
			if res.Fired["act"] != 1 {
				t.Errorf("the action fired %d times, want 1 (fired %v)", res.Fired["act"], res.Fired)
			}
			if len(res.Jobs) != 1 || res.Jobs[0].Result.State != want {
				t.Errorf("jobs %+v, want %s", res.Jobs, want)
			}
			if action == "drop-sessions" && busy {
				dropDeferred(t, res.Events)
			}
		})
	}
}

// runBounded plays sc on the exact tier and fails the test if the run
// does not end within d of wall time (the run is then abandoned).
func runBounded(t *testing.T, sc record.Scenario, d time.Duration) *record.Result {
	t.Helper()
	type out struct {
		res *record.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		res, err := scenarios.Run(context.Background(), sc, sim.Seed(7), scenarios.RunOptions{})
		ch <- out{res, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case o := <-ch:
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.res.Tier != record.TierExact {
			t.Fatalf("tier %s", o.res.Tier)
		}
		return o.res
	case <-timer.C:
		t.Fatalf("%s: the run did not end within %s (a deadlock the bubble cannot see)", sc.Name, d)
	}
	return nil
}
