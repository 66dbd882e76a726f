package scenarios_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/examples/orderapp"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
)

// startOrderApp serves the example SQLite app on loopback until the test ends.
func startOrderApp(t *testing.T, mode orderapp.Mode) record.AppSpec {
	base, _ := orderapp.Serve(t, mode)
	return record.AppSpec{URL: base + "/notify", EffectsURL: base + "/effects"}
}

// TestExternalOrderApp runs the duplicate-producing §14 cases against the
// example app: the naive app applies the order twice (exactly-once-effect
// fails with the cause chain), the idempotent app once.
func TestExternalOrderApp(t *testing.T) {
	for _, mode := range []orderapp.Mode{orderapp.Naive, orderapp.Idempotent} {
		t.Run(string(mode), func(t *testing.T) {
			appSpec := startOrderApp(t, mode)
			for _, name := range []string{"case4-fallback-duplicate", "case5-reforward-after-crash", "case7-app-timeout", "control"} {
				sc, ok := scenarios.Find(name)
				if !ok {
					t.Fatalf("no scenario %s", name)
				}
				sc.App = appSpec
				r, err := scenarios.Run(context.Background(), sc, 42, scenarios.RunOptions{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if r.Skipped != "" {
					t.Fatalf("%s skipped: %s", name, r.Skipped)
				}
				v, _ := r.Verdict("exactly-once-effect")
				wantPass := mode == orderapp.Idempotent || name == "control"
				if r.Passed != wantPass || (v.Status == check.Pass) != wantPass {
					t.Errorf("%s (%s): passed=%v, exactly-once-effect %s; want passed=%v\n%s\n%v", name, mode, r.Passed, v.Status, wantPass, v, r.Failures)
				}
				if !wantPass && (len(v.Findings) == 0 || len(v.Findings[0].Chain) == 0 || v.Findings[0].Txn == "") {
					t.Errorf("%s: the failure lacks its txn or cause chain:\n%s", name, v)
				}
				if r.Deliveries < 1 || r.External == nil || r.External.Err != "" {
					t.Errorf("%s: deliveries %d, probe %+v", name, r.Deliveries, r.External)
				}
				t.Logf("%s (%s): %d deliveries, %d effects, protocol time %s in %s\n%s", name, mode, r.Deliveries, r.Effects, r.ProtocolTime, r.Wall, v)
			}
		})
	}
}

func TestExternalSkipsMockFaults(t *testing.T) {
	sc, _ := scenarios.Find("case13-app-500")
	sc.App = record.AppSpec{URL: "http://127.0.0.1:1/notify"}
	r, err := scenarios.Run(context.Background(), sc, 1, scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Skipped, "app-status") || !r.Passed {
		t.Errorf("skipped = %q (passed %v), want a reason naming app-status", r.Skipped, r.Passed)
	}
}

// TestExternalYAML: examples/my-app.yaml names an app and a payload file
// (relative to the YAML); run against the example app, the JSON order is
// stored once.
func TestExternalYAML(t *testing.T) {
	ss, err := scenarios.LoadFile(filepath.Join("..", "examples", "my-app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc := ss[0]
	if sc.App.URL == "" || sc.App.EffectsURL == "" || sc.Jobs[0].Payload != filepath.Join("..", "examples", "orderapp", "order.json") {
		t.Fatalf("app %+v, payload %q", sc.App, sc.Jobs[0].Payload)
	}
	sc.App = startOrderApp(t, orderapp.Idempotent)
	r, err := scenarios.Run(context.Background(), sc, 3, scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed || r.Deliveries != 2 || r.Effects != 1 {
		t.Errorf("passed %v, %d deliveries, %d effects; want a pass, 2, 1: %v", r.Passed, r.Deliveries, r.Effects, r.Failures)
	}
}
