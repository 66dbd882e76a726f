package faults_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/sim"
)

// savedSchedules returns the "faults" of every scenario.json kept as test
// data: run directories written before the registry existed.
func savedSchedules(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, glob := range []string{"../testdata/*/*/scenario.json", "../reports/testdata/run/*/scenario.json"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var sc struct {
				Faults json.RawMessage `json:"faults"`
			}
			if err := json.Unmarshal(b, &sc); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if len(sc.Faults) > 0 {
				out[p] = sc.Faults
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d saved schedules found", len(out))
	}
	return out
}

// TestSavedSchedulesRoundTrip: schedules saved by earlier versions load,
// validate, and are written back identically (the syntax did not change).
func TestSavedSchedulesRoundTrip(t *testing.T) {
	for path, raw := range savedSchedules(t) {
		var s faults.Schedule
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if err := s.Validate(nil); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		back, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var want, got any
		_ = json.Unmarshal(raw, &want)
		_ = json.Unmarshal(back, &got)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: round trip (-saved +written):\n%s", path, d)
		}
	}
}

// everyAction is a YAML schedule using every action kind and trigger form.
const everyAction = `
- {name: k, trigger: {point: after-write, node: node1, nth: 2}, action: {kind: kill, restart_after: 10m}}
- {trigger: {event: ack.sent, packet: Fragment, status: 200, nth: 3}, action: {kind: restart, node: node1}}
- {trigger: {at: 1h}, action: {kind: lose-tail, node: node1, bytes: 1000}}
- {trigger: {bytes: 5000, link: shared, stream: downstream}, action: {kind: drop-sessions, node: node2}}
- {action: {kind: link-down, link: shared}}
- {action: {kind: link-up, link: node1}}
- {action: {kind: add-toxic, link: shared, toxic: {type: latency, attributes: {latency: 100}}}}
- {action: {kind: remove-toxic, link: shared, toxic_name: latency_downstream}}
- {action: {kind: app-latency, latency: 2m}}
- {action: {kind: app-reply-delay, latency: 90s}}
- {action: {kind: app-status, status: 503, times: 1}}
- {action: {kind: app-crash, point: after-processing, times: 2}, optional: true}
- {action: {kind: app-restart}}
- {trigger: {event: packet.received, packet: Fragment, nth: 2}, action: {kind: slow-disk, node: node1, delay: 30s, times: 1}}
- {action: {kind: node-status, node: node1, packet: Fragment, nth: 2, status: 302, header: {Location: "http://elsewhere/"}}}
`

func TestYAMLEveryAction(t *testing.T) {
	var s faults.Schedule
	dec := yaml.NewDecoder(strings.NewReader(everyAction))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(nil); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range s {
		kinds[f.Action.Kind()] = true
	}
	for _, k := range faults.Kinds() {
		if !kinds[k] {
			t.Errorf("action %s missing from the example", k)
		}
	}
	want := []string{
		"k: crash point after-write reached (#2) on node1 → kill restart_after=10m0s",
		"f2: event ack.sent #3 packet Fragment status 200 → restart node=node1",
		"f3: protocol time +1h0m0s → lose-tail node=node1 bytes=1000",
		"f4: 5000 bytes on link shared → drop-sessions node=node2",
		"f5: protocol time +0s → link-down link=shared",
		"f7: protocol time +0s → add-toxic link=shared toxic=latency( map[latency:100])",
		"f8: protocol time +0s → remove-toxic link=shared toxic=latency_downstream",
		"f12: protocol time +0s → app-crash point=after-processing times=2",
		"f14: event packet.received #2 packet Fragment → slow-disk node=node1 delay=30s times=1",
		"f15: protocol time +0s → node-status node=node1 packet=Fragment nth=2 status=302",
	}
	for _, w := range want {
		found := false
		for i, f := range s {
			if s.FaultName(i)+": "+f.When()+" → "+f.What() == w {
				found = true
			}
		}
		if !found {
			t.Errorf("no fault reads %q", w)
		}
	}
	// YAML → JSON → YAML keeps everything.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var viaJSON faults.Schedule
	if err := json.Unmarshal(b, &viaJSON); err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(viaJSON)
	if err != nil {
		t.Fatal(err)
	}
	var back faults.Schedule
	if err := yaml.Unmarshal(y, &back); err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("YAML round trip changed the schedule:\n%s\n%s", b, b2)
	}
}

func TestBadSchedules(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown kind", `[{action: {kind: explode}}]`, `unknown action "explode" (known: [add-toxic`},
		{"misspelt parameter", `[{action: {kind: kill, nod: node1}}]`, "field nod not found"},
		{"misspelt trigger field", `[{trigger: {pont: after-write}, action: {kind: kill}}]`, "field pont not found"},
		{"bad crash point", `[{trigger: {point: after-lunch}, action: {kind: kill}}]`, "want after-create|"},
		{"bad app point", `[{action: {kind: app-crash, point: later}}]`, "want none|before-processing"},
		{"two trigger forms", `[{trigger: {point: after-write, at: 1s}, action: {kind: kill}}]`, "more than one trigger form"},
		{"stray trigger field", `[{trigger: {at: 1s, packet: Fragment}, action: {kind: app-restart}}]`, "takes no other fields"},
		{"node action without node", `[{trigger: {at: 1s}, action: {kind: kill}}]`, "kill needs a node"},
		{"link action without link", `[{action: {kind: link-down}}]`, "link-down needs a link"},
		{"toxic without type", `[{action: {kind: add-toxic, link: shared}}]`, "needs a link and a toxic type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s faults.Schedule
			err := yaml.Unmarshal([]byte(tc.yaml), &s)
			if err == nil {
				err = s.Validate(nil)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// topo is a two-node farm's shape.
type topo struct{}

func (topo) HasNode(n string) bool { return n == "node1" || n == "node2" }
func (topo) HasLink(l string) bool {
	return l == "shared" || topo{}.HasNode(l) || strings.HasPrefix(l, "app-from-")
}

func TestValidateAgainstTopology(t *testing.T) {
	for _, tc := range []struct {
		f    faults.Fault
		want string
	}{
		{faults.Fault{Action: &faults.Kill{Node: "node3"}}, `no node "node3"`},
		{faults.Fault{Trigger: faults.OnEvent{Kind: sim.AckSent, Node: "node9"}, Action: &faults.AppRestart{}}, `no node "node9"`},
		{faults.Fault{Action: &faults.LinkDown{Link: "node7"}}, `no link "node7"`},
		{faults.Fault{Trigger: faults.OnBytes{Link: "sharde", Bytes: 1}, Action: &faults.AppRestart{}}, `no link "sharde"`},
		{faults.Fault{Trigger: faults.AtPoint{Point: faults.AfterWrite}, Action: &faults.Kill{}}, ""},
		{faults.Fault{Trigger: faults.After{D: time.Second}, Action: &faults.SlowDisk{Node: "node2", Delay: time.Second}}, ""},
	} {
		err := faults.Schedule{tc.f}.Validate(topo{})
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: %v, want %q", tc.f.When(), tc.f.What(), err, tc.want)
		}
	}
}

// FuzzScheduleJSON: whatever decodes writes back to JSON that decodes to
// the same schedule, and validation never panics.
func FuzzScheduleJSON(f *testing.F) {
	for _, raw := range savedSchedules(f) {
		f.Add(string(raw)) // schedules saved by earlier runs
	}
	f.Add(`[{"action":{"kind":"app-restart"}}]`)                                     // the smallest fault
	f.Add(`[{"trigger":{"point":"after-write","nth":-1},"action":{"kind":"kill"}}]`) // odd nth
	f.Add(`[{"trigger":{"at":-5},"action":{"kind":"app-latency","latency":-1}}]`)    // negative durations
	f.Fuzz(func(t *testing.T, in string) {
		var s faults.Schedule
		if json.Unmarshal([]byte(in), &s) != nil {
			return
		}
		_ = s.Validate(topo{})
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s decoded but does not encode: %v", in, err)
		}
		var back faults.Schedule
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s → %s does not decode: %v", in, b, err)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Fatalf("unstable: %s → %s", b, b2)
		}
	})
}
