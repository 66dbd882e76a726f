package explore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/bubble"
)

func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }

// TestGrammarCoverage: the grammar draws every registered fault action,
// every trigger kind, every crash point, every link class in both
// directions, and every draw is a valid scenario.
func TestGrammarCoverage(t *testing.T) {
	kinds := map[string]bool{}
	triggers := map[string]bool{}
	points := map[string]bool{}
	links := map[string]bool{}
	drops := map[string]bool{} // drop-sessions' trigger kinds (it had been held to one)
	for i := 0; i < 3000; i++ {
		c := CaseAt(7, i, nil, Shape{})
		if err := scenarios.Validate(c.Scenario); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if i%100 == 0 && !sameCase(c, CaseAt(7, i, nil, Shape{})) {
			t.Fatalf("run %d: not a function of (seed, i)", i)
		}
		for _, f := range c.Scenario.Faults {
			kinds[f.Action.Kind()] = true
			if f.Action.Kind() == "drop-sessions" {
				drops[triggerKind(f.Trigger)] = true
			}
			switch tr := f.Trigger.(type) {
			case nil:
				triggers["at once"] = true
			case faults.AtPoint:
				triggers["point"] = true
				points[tr.Point.String()] = true
			case faults.OnEvent:
				triggers["event"] = true
			case faults.After:
				triggers["time"] = true
			case faults.OnBytes:
				triggers["bytes"] = true
			}
			if a, ok := f.Action.(*faults.AddToxic); ok {
				class := "client-node"
				switch {
				case a.Link == "shared":
					class = "client-shared"
				case strings.HasPrefix(a.Link, "app-from-"):
					class = "node-app"
				}
				links[class+"/"+string(a.Toxic.Stream)] = true
			}
		}
	}
	for _, k := range faults.Kinds() {
		if !kinds[k] {
			t.Errorf("fault action %s never drawn", k)
		}
	}
	for _, p := range faults.Points() {
		if !points[p.String()] {
			t.Errorf("crash point %s never drawn", p)
		}
	}
	if len(triggers) != 5 {
		t.Errorf("trigger kinds drawn: %v", triggers)
	}
	for _, k := range []string{"point", "time", "bytes", "event " + string(sim.NotifySent), "event " + string(sim.NotifyAnswered),
		"event " + string(sim.SessionCompleted), "event " + string(sim.ClientResponse)} {
		if !drops[k] {
			t.Errorf("drop-sessions never drawn on %s (drawn on %v)", k, drops)
		}
	}
	for _, l := range []string{"client-shared", "client-node", "node-app"} {
		for _, d := range []sim.Direction{sim.Upstream, sim.Downstream} {
			if !links[l+"/"+string(d)] {
				t.Errorf("no toxic on %s %s", l, d)
			}
		}
	}
}

// triggerKind names a trigger's kind, an event trigger with its event.
func triggerKind(t faults.Trigger) string {
	switch tr := t.(type) {
	case nil:
		return "at once"
	case faults.AtPoint:
		return "point"
	case faults.OnEvent:
		return "event " + string(tr.Kind)
	case faults.After:
		return "time"
	case faults.OnBytes:
		return "bytes"
	}
	return fmt.Sprintf("%T", t)
}

func sameCase(a, b Case) bool {
	ya, _ := ReproYAML(Violation{Scenario: a.Scenario})
	yb, _ := ReproYAML(Violation{Scenario: b.Scenario})
	return a.Seed == b.Seed && string(ya) == string(yb)
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{
		"job job-j1.bin delivered 2 times; spec §14 case 5: x":     "job J delivered # times; spec §14 case 5: x",
		"node2 answered 503 after 12.5s (0x8020001F)":              "nodeN answered 503 after # (H)",
		"session {0123abcd-0000-1111-2222-333344445555} not found": "session H not found",
	} {
		if got := normalise(in); got != want {
			t.Errorf("normalise(%q) = %q, want %q", in, got, want)
		}
	}
	chain := []string{"(before) fault x1.kill had fired: kill", "+0s delivery #1: node1 notified the app (http://127.0.0.1:2000/upload/j1.bin)",
		"+1m0s client got a transport error on Fragment to 127.0.0.1:20005: EOF", "+10m0s delivery #2: node1 notified the app again"}
	if got, want := chainShape(chain), "delivery ##: nodeN notified the app → client got a transport error on Fragment: EOF → delivery ##: nodeN notified the app again"; got != want {
		t.Errorf("chainShape = %q, want %q", got, want)
	}
}

// case5 is case5Scenario with extra faults.
func case5(extra ...faults.Fault) record.Scenario {
	sc := case5Scenario()
	sc.Faults = append(sc.Faults, extra...)
	return sc
}

// TestShrinkSixFaults shrinks a failing 6-fault schedule (the case-5 kill
// among five harmless faults) to the kill alone and writes a
// reproducer that bitsim run -f fails.
func TestShrinkSixFaults(t *testing.T) {
	defer bubble.Use(t)()
	ctx := context.Background()
	sc, seed := SixFaultCase()
	res, err := Play(ctx, sc, seed)
	fs := Judge(res, err, nil)
	if len(fs) != 1 || fs[0].Invariant != "exactly-once-effect" {
		t.Fatalf("the 6-fault schedule does not fail as expected: %+v", fs)
	}
	start := time.Now()
	sr, err := Shrink(ctx, sc, seed, fs[0], ShrinkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shrunk 6 faults to %d in %d runs, %s: %v", len(sr.Scenario.Faults), sr.Runs, time.Since(start), sr.Steps)
	if len(sr.Scenario.Faults) != 1 || sr.Scenario.Faults[0].Name != "x1.kill-at-point" {
		t.Fatalf("shrunk to %+v", sr.Scenario)
	}
	v := Violation{Invariant: fs[0].Invariant, Shape: fs[0].Shape, Scenario: sr.Scenario, Seed: seed, jobState: sr.JobState, Steps: sr.Steps}
	v.Scenario = reproScenario(v, "repro")
	b, err := ReproYAML(v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "# shrunk from") {
		t.Errorf("no shrink steps in the reproducer:\n%s", b)
	}
	ss, err := scenarios.Parse(b)
	if err != nil {
		t.Fatalf("reproducer does not load: %v\n%s", err, b)
	}
	for _, s := range []sim.Seed{seed, 99} {
		r, err := scenarios.Run(ctx, ss[0], s, scenarios.RunOptions{})
		if err != nil || r.Passed || len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "exactly-once-effect") {
			t.Fatalf("seed %d: the reproducer should fail on exactly-once-effect only: %v %v", s, err, r.Failures)
		}
	}
}

// TestRunNaiveAndIdempotent explores a few runs with each app: the naive
// app's duplicate effect is found and shrunk to at most 2 faults; the same
// runs with the idempotent app hold every invariant.
func TestRunNaiveAndIdempotent(t *testing.T) {
	defer bubble.Use(t)()
	ctx := context.Background()
	out := t.TempDir()
	// Runs 0..11 of seed 1 include a case-5 kill (see explore.json of
	// bitsim explore --seed 1).
	base := case5()
	base.Faults = nil
	o := Options{Runs: 6, Seed: 1, Parallel: 2, Out: out, Base: &base, Shape: Shape{MaxFaults: 3}}
	o.Base.Faults = faults.Schedule{case5().Faults[0]}
	var (
		mu     sync.Mutex
		shrink []ShrinkProgress
	)
	o.OnShrink = func(p ShrinkProgress) {
		mu.Lock()
		defer mu.Unlock()
		shrink = append(shrink, p)
	}
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 6 || len(rep.Violations) == 0 {
		t.Fatalf("naive: %d runs, violations %+v", rep.Runs, rep.Violations)
	}
	v := rep.Violations[0]
	if v.Invariant != "exactly-once-effect" || v.Faults > 2 || v.Faults < 1 {
		t.Errorf("naive: violation %+v", v)
	}
	// OnShrink: each shrink's start, then each run it plays.
	last := 0
	for _, p := range shrink {
		if p.K == 1 {
			last = max(last, p.Runs)
		}
	}
	if len(shrink) == 0 || shrink[0] != (ShrinkProgress{K: 1, N: len(rep.Violations), Invariant: v.Invariant}) || last < v.ShrinkRuns {
		t.Errorf("OnShrink: first %+v of %d, %d runs for the first shrink (it played %d)", shrink[:min(len(shrink), 1)], len(shrink), last, v.ShrinkRuns)
	}
	if _, err := os.Stat(filepath.Join(out, v.Repro)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "explore.json")); err != nil {
		t.Error(err)
	}
	o.Shape.App, o.Out, o.Base.App.Mode = knob.Idempotent, "", knob.Idempotent
	rep, err = Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 0 {
		t.Errorf("idempotent: %+v", rep.Violations)
	}
}

// TestShards: the shards' runs partition the runs.
func TestShards(t *testing.T) {
	seen := map[string]int{}
	var mu sync.Mutex
	for shard := 0; shard < 3; shard++ {
		o := Options{Runs: 10, Seed: 1, Shard: shard, Shards: 3, NoShrink: true,
			Play: func(_ context.Context, sc record.Scenario, _ sim.Seed) (*record.Result, error) {
				mu.Lock()
				defer mu.Unlock()
				seen[sc.Name]++
				return &record.Result{}, nil
			}}
		if _, err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 10 {
		t.Fatalf("runs played: %v", seen)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("run %s played %d times", i, n)
		}
	}
}

// TestRates: two uploads per class and app; the idempotent app never
// applies an effect twice, the naive app delivers and applies twice in
// every class the protocol predicts (crash after the notification, lost
// final Ack + restart with K10 until-close, app time-out, fallback, session
// drop after the final Ack), never after a lost final Ack + restart with
// K10 after-answer; both apps see the same duplicate deliveries (same
// seeds), and the same seed gives the same table with one worker.
func TestRates(t *testing.T) {
	defer bubble.Use(t)()
	table, err := Rates(context.Background(), 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	rates := table.Rows
	if len(rates) != 2*len(RateClasses()) {
		t.Fatalf("%d rows", len(rates))
	}
	predicted := map[string]bool{}
	for i := 0; i < len(rates); i += 2 {
		naive, idem := rates[i], rates[i+1]
		if idem.DupEffect.Per1000 != 0 {
			t.Errorf("%s: idempotent app applied duplicate effects: %+v", idem.Class, idem)
		}
		if naive.DupDeliv != idem.DupDeliv {
			t.Errorf("%s: different duplicate deliveries on the same seeds: %+v vs %+v", naive.Class, naive.DupDeliv, idem.DupDeliv)
		}
		if naive.Predicted && (naive.DupDeliv.Per1000 == 0 || naive.DupEffect.Per1000 == 0) {
			t.Errorf("%s: the protocol predicts duplicates, naive app: %+v", naive.Class, naive)
		}
		predicted[naive.Class] = naive.Predicted
	}
	for _, c := range []string{"crash after-notify-sent", "crash after-notify-answer", "crash close-before-commit, 2 nodes", "crash close-after-commit, 2 nodes",
		"lost final Ack + node restart", "app time-out", "host-id fallback", "session drop after final Ack"} {
		if !predicted[c] {
			t.Errorf("class %q is not in the table as predicted", c)
		}
	}
	for _, c := range []string{"lost final Ack", "lost final Ack + node restart (K10 after-answer)", "crash close-before-commit", "crash close-before-commit, 2 nodes (K4 no-resend)"} {
		if p, ok := predicted[c]; !ok || p {
			t.Errorf("class %q: in the table %v, predicted %v; want there, not predicted", c, ok, p)
		}
	}
	for _, r := range rates {
		switch r.Class {
		case "lost final Ack + node restart (K10 after-answer)", "lost final Ack", "crash close-before-commit, 2 nodes (K4 no-resend)":
			if r.DupDeliv.Per1000 != 0 {
				t.Errorf("%s: no duplicate delivery expected: %+v", r.Class, r)
			}
		}
		if r.Farm == "" {
			t.Errorf("%s: no farm", r.Class)
		}
	}
	if table.SizeMin != 32<<10 || table.SizeMax != 256<<10-1 {
		t.Errorf("upload sizes %d–%d", table.SizeMin, table.SizeMax)
	}
	dir := t.TempDir()
	if err := SaveRates(dir, table); err != nil {
		t.Fatal(err)
	}
	if again, err := Rates(context.Background(), 1, 2, 1); err != nil || !reflect.DeepEqual(again, table) {
		t.Errorf("same seed, one worker: a different table (%v)", err)
	}
	var back record.RateTable
	if b, err := os.ReadFile(filepath.Join(dir, "rates.json")); err != nil || json.Unmarshal(b, &back) != nil || !reflect.DeepEqual(back, table) {
		t.Errorf("rates.json does not hold the table: %v", err)
	}
}

// TestRateClassPaths: each class's farm column says what it is played
// on, and the classes that read 0 next to a starred companion take the
// path they claim: a lost final Ack alone is answered from the notify
// cache (docs/protocol.md §14 case 8); a Close crash on 2 nodes without
// host id gets 0x8020001F from the other node, re-uploads with K4 restart
// and delivers twice (§14 case 9), and does not with K4 no-resend.
func TestRateClassPaths(t *testing.T) {
	defer bubble.Use(t)()
	classes := map[string]RateClass{}
	for _, c := range RateClasses() {
		classes[c.Name] = c
		sc, _ := c.Case(1, 0, knob.Naive)
		f := sc.Farm
		want := []string{fmt.Sprintf("%d node", f.Nodes)}
		switch {
		case f.HostID:
			want = append(want, "host id")
		case f.Nodes > 1:
			want = append(want, "no host id")
		}
		if f.RequestRetention != knob.DeleteAfterAnswer || strings.Contains(c.Name, "K10") {
			want = append(want, "K10 "+f.RequestRetention.String())
		}
		if sc.Client.CloseNotFound != knob.CloseRestart {
			want = append(want, "K4 "+sc.Client.CloseNotFound.String())
		}
		for _, w := range want {
			if !strings.Contains(c.Topology, w) {
				t.Errorf("%s: farm %q does not say %q", c.Name, c.Topology, w)
			}
		}
		if f.Nodes > 1 && !f.HostID && strings.Contains(c.Topology, ", host id") {
			t.Errorf("%s: farm %q claims a host id", c.Name, c.Topology)
		}
	}
	for _, c := range []struct {
		class      string
		cached     bool
		notFound   bool
		duplicates bool
	}{
		{"lost final Ack", true, false, false},
		{"crash close-before-commit", false, false, false},
		{"crash close-before-commit, 2 nodes", false, true, true},
		{"crash close-after-commit, 2 nodes", false, true, true},
		{"crash close-before-commit, 2 nodes (K4 no-resend)", false, true, false},
	} {
		sc, seed := classes[c.class].Case(1, 0, knob.Naive)
		res, err := Play(context.Background(), sc, seed)
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		cached, notFound := false, false
		for _, e := range res.Events {
			cached = cached || e.Kind == sim.NotifyCached
			notFound = notFound || e.Kind == sim.ClientResponse && e.Packet == "Close-Session" && e.Code == "0x8020001F"
		}
		if cached != c.cached || notFound != c.notFound || (res.Duplicates > 0) != c.duplicates || (extraEffects(res) > 0) != c.duplicates {
			t.Errorf("%s: notify cache %v, Close 0x8020001F %v, %d duplicates, %d extra effects; want %v, %v, duplicates %v (fired %v)",
				c.class, cached, notFound, res.Duplicates, extraEffects(res), c.cached, c.notFound, c.duplicates, res.Fired)
		}
		if c.class == "lost final Ack" && res.Fired["drop-final-ack"] != 1 {
			t.Errorf("%s: the final Ack was not dropped (fired %v)", c.class, res.Fired)
		}
	}
}

// TestExternalGrammar: against an external app the grammar draws none of
// the mock app's faults (every draw can run: no skip reason), the app's
// faults go on the node→app links, toxics cost no real time on the wire
// tier, and the drawn scenarios name the app, carry transaction ids that
// keep the upload's size and the explore label (serial jobs on the wire
// tier).
func TestExternalGrammar(t *testing.T) {
	sh := Shape{External: record.AppSpec{URL: "http://127.0.0.1:9/notify", EffectsURL: "http://127.0.0.1:9/effects"}, Jobs: 2}
	classes := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c := CaseAt(7, i, nil, sh)
		sc, why := scenarios.ForExternal(c.Scenario, c.Scenario.App)
		if err := scenarios.Validate(sc); err != nil || why != "" {
			t.Fatalf("run %d: %v %s", i, err, why)
		}
		if c.Scenario.App.URL != sh.External.URL || !c.Scenario.HasLabel(record.LabelExplore) || c.Scenario.Jobs[1].Txn != scenarios.TxnAutoFit {
			t.Fatalf("run %d: %+v", i, c.Scenario)
		}
		for _, f := range c.Scenario.Faults {
			classes[Class(f)] = true
			if a, ok := f.Action.(*faults.AddToxic); ok {
				if a.Toxic.Type == "latency" || a.Toxic.Type == "bandwidth" || a.Toxic.Type == "slow_close" {
					t.Errorf("run %d: %s costs real time on the wire tier", i, a.Toxic.Type)
				}
				if strings.HasPrefix(Class(f), "app-") && !strings.HasPrefix(a.Link, "app-from-node") {
					t.Errorf("run %d: %s on %s", i, f.Name, a.Link)
				}
			}
		}
	}
	for _, p := range ExternalGrammar {
		if !classes[p.Class] {
			t.Errorf("class %s never drawn", p.Class)
		}
	}
}
