package explore

import (
	"strconv"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/record"
)

const (
	kind13 = "; spec §14 case 13: the app answered 500 (transient), the retried final fragment notified it again"
	kind9  = "; spec §14 case 9: Close-Session got 0x8020001F and the client re-uploaded"
	kind5  = "; spec §14 case 5: final fragment re-forwarded after a crash before the Ack"
)

// dupRun is a run of one job (transaction t1) delivered len(effect) times,
// delivery i+1 applying an effect if effect[i], the duplicates checker
// explaining delivery i+2 by kinds[i].
func dupRun(effect []bool, kinds ...string) *record.Result {
	res := &record.Result{}
	for i, e := range effect {
		res.Ledger = append(res.Ledger, ledger.Delivery{Seq: i + 1, Node: "node2", Txn: "t1", Effect: e, Status: 200})
	}
	d := check.Verdict{Checker: "duplicates", Status: check.Fail}
	for i, k := range kinds {
		d.Findings = append(d.Findings, check.Finding{Status: check.Fail, Job: "job-j1.bin", Txn: "t1", Node: "node2",
			Message: "job job-j1.bin delivered " + strconv.Itoa(len(effect)) + " times: delivery #" + strconv.Itoa(i+2) + " (node2) repeats #" + strconv.Itoa(i+1) + " (node2)" + k})
	}
	res.Verdicts = []check.Verdict{d, {Checker: "exactly-once-effect", Status: check.Fail}}
	return res
}

// TestDuplicateEffectLabelledByTheDoublingDelivery: the label and shape of
// a duplicate effect come from the delivery that applied the effect a
// second time, not from the first duplicate delivery (run 160 of explore
// --app naive --seed 1: two case-13 retries the app answered 500 without
// an effect, then the case-9 re-upload that doubled it).
func TestDuplicateEffectLabelledByTheDoublingDelivery(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  *record.Result
		want string
	}{
		{"doubled by the third duplicate", dupRun([]bool{false, false, true, true}, kind13, kind13, kind9), kind9},
		{"doubled by the first duplicate", dupRun([]bool{true, true, false}, kind5, kind9), kind5},
		{"external app: the first duplicate of the transaction", func() *record.Result {
			r := dupRun([]bool{false, false, false}, kind13, kind9)
			r.External = &check.AppProbe{Probe: "http://127.0.0.1:9/effects", Effects: map[string]int{"t1": 2}}
			return r
		}(), kind13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Judge(tc.res, nil, nil)
			if len(fs) != 1 || fs[0].Invariant != "exactly-once-effect" {
				t.Fatalf("Judge = %+v, want one exactly-once-effect", fs)
			}
			if want := "duplicate effect" + tc.want; fs[0].Label != want {
				t.Errorf("label %q, want %q", fs[0].Label, want)
			}
			if want := "duplicate effect" + normalise(tc.want); fs[0].Shape != want {
				t.Errorf("shape %q, want %q", fs[0].Shape, want)
			}
		})
	}
}

// TestDuplicatesLabelledByTheFirstDuplicate: --invariant duplicates is
// labelled by the first duplicate delivery.
func TestDuplicatesLabelledByTheFirstDuplicate(t *testing.T) {
	res := dupRun([]bool{true, false, false}, kind13, kind9)
	var got *Failure
	for _, f := range Judge(res, nil, []string{"duplicates"}) {
		if f.Invariant == "duplicates" {
			got = &f
		}
	}
	if got == nil || got.Label != "duplicate delivery"+kind13 || got.Shape != "duplicate delivery"+normalise(kind13) {
		t.Fatalf("duplicates failure %+v, want the case-13 label", got)
	}
}

// TestLabelsShowNoPlaceholders: labels keep the run's own node names,
// HRESULTs and byte counts; shapes (the grouping key) blank them; a Go
// HTTP client error's quoted request leaves no stray quote in either.
func TestLabelsShowNoPlaceholders(t *testing.T) {
	chain := []string{"(before) fault x1.kill had fired: kill",
		"+0s delivery #1: node1 notified the app (http://127.0.0.1:2000/upload/j1.bin)",
		"+0s fault x2.link-flap fired: link-down link=shared",
		`+1m0s client got a transport error on Close-Session to 127.0.0.1:20005: Bits_post "http://127.0.0.1:20005/upload/j1.bin": EOF`,
		"+10m0s 127.0.0.1:20005 answered 500 0x8020001F (context 0x5) to Close-Session",
		"+10m0s client opens a new session (session not found on Close-Session): upload restarts from byte 0",
		"client retried 1 times (10m0s of retry delay)",
		"client sent 65588 fragment bytes between the two deliveries",
		"+10m0s delivery #2: node1 notified the app again"}
	if got, want := chainShape(chain), "delivery ##: nodeN notified the app → client got a transport error on Close-Session: EOF → "+
		"answered 500 H to Close-Session → client opens a new session: upload restarts from byte # → "+
		"client retried # times → client sent # fragment bytes between the two deliveries → delivery ##: nodeN notified the app again"; got != want {
		t.Errorf("chainShape =\n %q, want\n %q", got, want)
	}
	if got, want := chainLabel(chain), "delivery #1: node1 notified the app → client got a transport error on Close-Session: EOF → "+
		"the farm answered 500 0x8020001F to Close-Session → client opens a new session: upload restarts from byte 0 → "+
		"client retried 1 time → client sent 65588 fragment bytes between the two deliveries → delivery #2: node1 notified the app again"; got != want {
		t.Errorf("chainLabel =\n %q, want\n %q", got, want)
	}
	res := dupRun([]bool{true, true})
	res.Verdicts[0].Findings = []check.Finding{{Status: check.Fail, Txn: "t1", Chain: chain,
		Message: "job job-j1.bin delivered 2 times: delivery #2 (node1) repeats #1 (node1)"}}
	fs := Judge(res, nil, nil)
	if len(fs) != 1 {
		t.Fatalf("Judge = %+v", fs)
	}
	for _, s := range []string{"#:", "##", "nodeN", " H ", `"`, "byte #"} {
		if strings.Contains(fs[0].Label, s) {
			t.Errorf("label %q shows %q", fs[0].Label, s)
		}
	}
	if strings.Contains(fs[0].Shape, `"`) {
		t.Errorf("shape %q keeps a quote", fs[0].Shape)
	}
	msg := `harness: Post "http://127.0.0.1:9/notify": EOF`
	if f := runFailure(msg); f.Label != "harness: EOF" || f.Shape != "harness: EOF" || f.Explanation != msg {
		t.Errorf("runFailure(%q) = %+v", msg, f)
	}
}

// TestViolationText: the lines explore prints, the reproducer's comments
// and its description show the label, in the singular where it is one.
func TestViolationText(t *testing.T) {
	v := Violation{Invariant: "exactly-once-effect", Seen: 1, FirstRun: 160, Seed: 5, Faults: 1, ShrunkFrom: 4, ShrinkRuns: 1,
		Shape: "duplicate effect" + normalise(kind9), Label: "duplicate effect" + kind9, Replay: "bitsim run -f r.yaml --seed 5"}
	want := "VIOLATION exactly-once-effect (1 run): duplicate effect" + kind9 + "\n" +
		"  reproducer: 1 fault (shrunk from 4 in 1 run, 0.0s)\n  replay: bitsim run -f r.yaml --seed 5\n"
	if got := v.Text(); got != want {
		t.Errorf("Text =\n%s\nwant\n%s", got, want)
	}
	v.Scenario = reproScenario(v, "r")
	if !strings.HasSuffix(v.Scenario.Description, "exactly-once-effect broken; duplicate effect"+kind9) {
		t.Errorf("description %q", v.Scenario.Description)
	}
	b, err := ReproYAML(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"(seen in 1 run)\n", "# cause: duplicate effect" + kind9 + "\n",
		"# group key: duplicate effect" + normalise(kind9) + "\n", "# shrunk from 4 to 1 fault in 1 run "} {
		if !strings.Contains(string(b), l) {
			t.Errorf("reproducer lacks %q:\n%s", l, b)
		}
	}
	if strings.Contains(string(b), "# shape:") {
		t.Errorf("reproducer still says shape:\n%s", b)
	}
	v.Label = "" // an explore.json saved before labels
	if !strings.Contains(v.Headline(), v.Shape) {
		t.Errorf("headline %q without a label does not fall back to the shape", v.Headline())
	}
}
