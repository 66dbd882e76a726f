package reports

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/sim"
)

func TestReplayCommand(t *testing.T) {
	tests := []struct {
		name, dir, scenario, want string
	}{
		{"plain names stay bare", "out/run-42", "case4-fallback-duplicate", "bitsim replay out/run-42 --scenario case4-fallback-duplicate"},
		{"randomized runs carry their seed", "/tmp/r", "random@1234", "bitsim replay /tmp/r --scenario random@1234"},
		{"slashes in toxics names need no quotes", "r", "toxics/client-shared/timeout-downstream", "bitsim replay r --scenario toxics/client-shared/timeout-downstream"},
		{"spaces are quoted", "my runs/a", "x", "bitsim replay 'my runs/a' --scenario x"},
		{"quotes are escaped", "it's", "x", `bitsim replay 'it'\''s' --scenario x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReplayCommand(tc.dir, tc.scenario); got != tc.want {
				t.Errorf("ReplayCommand(%q, %q) = %q, want %q", tc.dir, tc.scenario, got, tc.want)
			}
		})
	}
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"json,junit,markdown,html", AllFormats, false},
		{"all", AllFormats, false},
		{"md, xml ,json,md", []string{FormatMarkdown, FormatJUnit, FormatJSON}, false},
		{"pdf", nil, true},
		{"", nil, true},
	}
	for _, tc := range tests {
		got, err := ParseFormats(tc.in)
		if (err != nil) != tc.wantErr || !cmp.Equal(got, tc.want) {
			t.Errorf("ParseFormats(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestTimelineCollapses: the 144 failed retries of §14 case 4 become one
// row, fragment runs are summarized, and every drawn kind is there.
func TestTimelineCollapses(t *testing.T) {
	_, results := loadFixture(t)
	for _, r := range results {
		if r.Scenario != "case4-expect-one-effect" {
			continue
		}
		tl := buildTimeline(r.Events, r.Ledger, 240)
		var labels []string
		for _, rw := range tl.rows {
			if !rw.hidden {
				labels = append(labels, rw.class+": "+rw.label)
			}
		}
		text := strings.Join(labels, "\n")
		for _, want := range []string{"sumerr: 143× Ping failed", "sum: Fragments 0–196607 (3 packets) — acked to 196608",
			"fault: ⚡ fault kill-after-notify: kill", "crash: node1 crashed at after-notify-sent", "dlv: #1 delivered from node1, effect applied",
			"dup: #2 DUPLICATE from node2, effect applied", "crash: new session: upload restarts from byte 0", "notify: notify (reference)"} {
			if !strings.Contains(text, want) {
				t.Errorf("timeline lacks %q:\n%s", want, text)
			}
		}
		if n := tl.visible(); n > 60 {
			t.Errorf("%d rows for one job's case 4, want a compact diagram:\n%s", n, text)
		}
		var names []string
		for _, l := range tl.lanes {
			names = append(names, l.label)
		}
		if diff := cmp.Diff([]string{"order.dat", "balancer", "node1", "node2", "node3", "app"}, names); diff != "" {
			t.Errorf("lanes (-want +got):\n%s", diff)
		}
		return
	}
	t.Fatal("fixture lacks case4-expect-one-effect")
}

// TestPlotMarksRewindsAndRestarts: the bytes plot drops on a restart and
// marks a 416 rewind.
func TestPlotMarksRewindsAndRestarts(t *testing.T) {
	_, results := loadFixture(t)
	kinds := map[string]map[string]int{}
	for _, r := range results {
		kinds[r.Scenario] = map[string]int{}
		for _, s := range plotSeries(r.Events) {
			for _, m := range s.marks {
				kinds[r.Scenario][m.kind]++
			}
		}
	}
	if kinds["case4-expect-one-effect"]["restart"] != 1 || kinds["case4-expect-one-effect"]["err"] < 100 {
		t.Errorf("case 4 marks = %v, want 1 restart and the retry storm", kinds["case4-expect-one-effect"])
	}
	if kinds["case11-lost-tail-rewind"]["resync"] != 1 {
		t.Errorf("case 11 marks = %v, want one 416 rewind", kinds["case11-lost-tail-rewind"])
	}
	if len(kinds["control"]) != 0 {
		t.Errorf("control marks = %v, want none", kinds["control"])
	}
}

func TestRunID(t *testing.T) {
	_, results := loadFixture(t)
	var ids []string
	for _, r := range results {
		ids = append(ids, RunID(r))
	}
	want := []string{"control", "case4-expect-one-effect", "case11-lost-tail-rewind", "case13-app-503", "random@" + itoa(int64(sim.Seed(3054071396869722)))}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("run ids (-want +got):\n%s", diff)
	}
}
