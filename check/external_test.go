package check

import (
	"strings"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

func TestExternalEffects(t *testing.T) {
	// twice: the clean job, then a second notification of the same file.
	twice := func() Input {
		h := &hist{}
		led := cleanJob(h)
		h.add(sim.Event{Kind: sim.NodeCrashed, Node: "node1", Point: "after-notify-sent"})
		h.add(sim.Event{Kind: sim.NotifySent, Node: "node1", Session: "S1"})
		h.add(sim.Event{Kind: sim.AppDelivery, Node: "node1", URL: url1, Txn: "t1", Bytes: 200, SHA256: sha1})
		d := led[0]
		d.Seq = 2
		return Input{Events: h.evs, Ledger: append(led, d)}
	}
	for _, tc := range []struct {
		name  string
		probe AppProbe
		in    func() Input
		want  Status
		text  []string
	}{
		{"no probe - unknown with how-to", AppProbe{App: "http://app"}, twice, Unknown, []string{"--effects-url"}},
		{"probe error - fail naming the probe", AppProbe{Probe: "http://app/effects", Err: "effect probe http://app/effects: not JSON"}, twice, Fail, []string{"http://app/effects", "not JSON"}},
		{"one effect for two deliveries - pass", AppProbe{Probe: "p", Effects: map[string]int{"t1": 1}}, twice, Pass, nil},
		{"two effects - fail with txn and chain", AppProbe{Probe: "p", Effects: map[string]int{"t1": 2}}, twice, Fail,
			[]string{"txn t1", "2 deliveries applied 2 effects", "case 5", "died at crash point after-notify-sent"}},
		{"answered 200 but no effect - fail", AppProbe{Probe: "p", Effects: map[string]int{}}, twice, Fail, []string{"answered 200, 200", "no effect"}},
		{"unknown transaction - fail", AppProbe{Probe: "p", Effects: map[string]int{"t1": 1, "T1\r": 1}}, twice, Fail, []string{`"T1\r"`, "no job of this run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			p := tc.probe
			in.External = &p
			v := ExactlyOnceEffect{}.Check(in)
			if v.Status != tc.want {
				t.Fatalf("status %s, want %s\n%s", v.Status, tc.want, v)
			}
			for _, s := range tc.text {
				if !strings.Contains(v.String(), s) {
					t.Errorf("verdict lacks %q:\n%s", s, v)
				}
			}
		})
	}
}

func TestIntegrityFlagsUnreadFile(t *testing.T) {
	h := &hist{}
	led := cleanJob(h)
	led[0].Unread = true
	v := Integrity{}.Check(Input{Events: h.evs, Ledger: led})
	if v.Status != Fail || !strings.Contains(v.String(), "without reading the request file") {
		t.Errorf("%s", v)
	}
}
