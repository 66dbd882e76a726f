package reports

import (
	"encoding/json"
	"encoding/xml"
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/record"
)

var exploreInvariants = []string{"integrity", "at-least-once", "no-lost-upload", "no-orphans", "exactly-once-effect", "run-completes"}

// exploreHeld is an exploration in which every invariant held.
func exploreHeld() record.Exploration {
	return record.Exploration{Seed: 1, App: "idempotent", Runs: 50, RatePerMin: 1200, ExploreSeconds: 2.5,
		Invariants: exploreInvariants, Violations: []record.ExploreViolation{},
		Coverage: []record.ClassCoverage{{Class: "kill-at-point", Drawn: 12, Fired: 8}, {Class: "drop-ack", Drawn: 6, Fired: 6}}}
}

// exploreBroken is an exploration that found a duplicate effect, shard 1/3.
func exploreBroken() record.Exploration {
	e := exploreHeld()
	e.App, e.Shard, e.FailingRuns = "naive", "1/3", 9
	e.Violations = []record.ExploreViolation{{Invariant: "exactly-once-effect", Seen: 9, FirstRun: 4, Faults: 1, ShrunkFrom: 3,
		Shrink: "1 fault (shrunk from 3 in 19 runs, 1.5s)", Repro: "repro/exactly-once-effect-run4.yaml",
		Replay: "bitsim run -f out/repro/exactly-once-effect-run4.yaml --seed 77", Label: "duplicate effect; spec §14 case 5",
		Shape:       shapeKey,
		Explanation: "txn:j1 applied 2 effects, want exactly 1\n  → delivery #2 <node1>"}}
	return e
}

// shapeKey is a violation's grouping key: the reports show its label.
const shapeKey = "duplicate effect; spec §14 case 5: nodeN got H at byte #"

const guaranteeText = "Bounded guarantee: in this scope (2 nodes, one 3-fragment upload), each of the 51 single faults left every invariant holding: no schedule of at most 1 of these faults breaks them. 37 of the 51 faults placed fired."

// exploreExhaustive is an exhaustive exploration with its guarantee.
func exploreExhaustive() record.Exploration {
	e := exploreHeld()
	e.Runs = 51
	e.Coverage = []record.ClassCoverage{{Class: "crash-point", Drawn: 28, Fired: 14}, {Class: "app-answer", Drawn: 13, Fired: 13}}
	e.Scope = &record.ExploreScope{Description: "2 nodes, one 3-fragment upload", MaxFaults: 1, Singles: 51, Schedules: 51,
		Classes:   []record.ScopeClass{{Class: "crash-point", Faults: 28, Schedules: 28}, {Class: "app-answer", Faults: 13, Schedules: 13}},
		Guarantee: guaranteeText}
	return e
}

// writeExplore writes the reports of an exploration with the given
// reproducer runs (none: every invariant held).
func writeExplore(t *testing.T, e record.Exploration, idx *record.RunIndex, results []*record.Result, formats ...string) string {
	t.Helper()
	dir := t.TempDir()
	if idx == nil {
		idx = &record.RunIndex{Tool: "bitsim", Seed: e.Seed, Command: []string{"bitsim", "explore"}, Passed: true}
	}
	if _, err := (Options{Exploration: &e, Normalize: true}).Write(dir, idx, results, formats); err != nil {
		t.Fatal(err)
	}
	return dir
}

func wantAll(t *testing.T, file, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", file, w, text)
		}
	}
}

func junitOf(t *testing.T, dir string) JUnitSuites {
	t.Helper()
	var s JUnitSuites
	if err := xml.Unmarshal([]byte(read(t, filepath.Join(dir, "junit.xml"))), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExploreSectionHeld: an exploration without violations has the usual
// reports, made of the exploration alone: every invariant held, the
// coverage, no empty scenario table; junit.xml one passing case per
// invariant.
func TestExploreSectionHeld(t *testing.T) {
	dir := writeExplore(t, exploreHeld(), nil, nil)
	md := read(t, filepath.Join(dir, "summary.md"))
	wantAll(t, "summary.md", md, "## bitsim explore: 50 runs, every invariant held\n", "### Exploration\n",
		"seed 1 · app idempotent · 50 runs in 2.5 s (1200 runs/min) · 0 failing runs · 0 distinct violations\n",
		"✅ **Every invariant held** in every run (integrity, at-least-once, no-lost-upload, no-orphans, exactly-once-effect, run-completes).",
		"| Fault class | Drawn | Fired |", "| kill-at-point | 12 | 8 |", "| drop-ack | 6 | 6 |")
	if strings.Contains(md, "| | Scenario |") || strings.Contains(md, "scenario runs") || strings.Contains(md, "Bounded guarantee") {
		t.Errorf("summary.md of an exploration without reproducers shows a scenario table or a guarantee:\n%s", md)
	}
	page := read(t, filepath.Join(dir, "report.html"))
	wantAll(t, "report.html", page, `<section id="explore">`, `<span class="badge pass">every invariant held</span>`,
		"<title>bitsim explore: 50 runs, every invariant held</title>", "Every invariant held in every run: integrity, at-least-once",
		`id="explore-coverage"`, `<td>kill-at-point</td><td class="num">12</td><td class="num">8</td>`)
	if strings.Contains(page, `id="summary"`) || strings.Contains(page, `id="explore-violations"`) {
		t.Error("report.html of an exploration without reproducers shows a scenario or violations table")
	}
	var rep Report
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "report.json"))), &rep); err != nil || rep.Explore == nil ||
		rep.Explore.Runs != 50 || len(rep.Explore.Coverage) != 2 || !rep.Run.Passed {
		t.Errorf("report.json: explore %+v, passed %v, %v", rep.Explore, rep.Run.Passed, err)
	}
	ju := junitOf(t, dir)
	if ju.Tests != len(exploreInvariants) || ju.Failures != 0 || len(ju.Suites) != 1 || ju.Suites[0].Name != "bitsim.explore" {
		t.Fatalf("junit.xml: %d tests, %d failures, suites %+v", ju.Tests, ju.Failures, ju.Suites)
	}
	for i, c := range ju.Suites[0].Cases {
		if c.Name != exploreInvariants[i] || c.Failure != nil || c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "held in every run") {
			t.Errorf("junit case %d: %+v", i, c)
		}
	}
}

// TestExploreSectionViolations: with violations, the section lists each
// with its runs, shrink, reproducer and replay command, the invariants that
// held and the explanations, above the reproducers' scenario runs;
// junit.xml is the reproducers' runs; the run did not pass.
func TestExploreSectionViolations(t *testing.T) {
	idx, results := loadFixture(t)
	dir := writeExplore(t, exploreBroken(), idx, results)
	md := read(t, filepath.Join(dir, "summary.md"))
	wantAll(t, "summary.md", md, "## bitsim explore: 50 runs, 1 distinct violation (9 failing runs)\n",
		"· 9 failing runs · 1 distinct violation · shard 1/3\n",
		"| ❌ | exactly-once-effect | 9 | 1 fault (shrunk from 3 in 19 runs, 1.5s) | `repro/exactly-once-effect-run4.yaml` | `bitsim run -f out/repro/exactly-once-effect-run4.yaml --seed 77` |",
		"Held in every run: integrity, at-least-once, no-lost-upload, no-orphans, run-completes.",
		"**exactly-once-effect** (first in run 4): duplicate effect; spec §14 case 5", "  → delivery #2 <node1>", "| kill-at-point | 12 | 8 |")
	i, j := strings.Index(md, "### Exploration"), strings.Index(md, "### Reproducers: ")
	if k := strings.Index(md, "| | Scenario |"); i < 0 || j < i || k < j {
		t.Errorf("summary.md: exploration at %d, reproducers at %d, scenario table at %d", i, j, k)
	}
	page := read(t, filepath.Join(dir, "report.html"))
	wantAll(t, "report.html", page, `<span class="badge fail">1 distinct violation</span>`, `id="explore-violations"`,
		`<a href="repro/exactly-once-effect-run4.yaml"><code>repro/exactly-once-effect-run4.yaml</code></a>`,
		`<code class="replay">bitsim run -f out/repro/exactly-once-effect-run4.yaml --seed 77</code>`, "delivery #2 &lt;node1&gt;",
		`<h2 class="repros">Reproducers</h2>`, `id="summary"`, "<p>duplicate effect; spec §14 case 5</p>")
	for f, text := range map[string]string{"summary.md": md, "report.html": page, "junit.xml": read(t, filepath.Join(dir, "junit.xml"))} {
		if strings.Contains(text, "nodeN got H") {
			t.Errorf("%s shows the grouping key, not the label:\n%s", f, text)
		}
	}
	var rep Report
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "report.json"))), &rep); err != nil || rep.Explore == nil ||
		len(rep.Explore.Violations) != 1 || rep.Explore.Violations[0].Repro != "repro/exactly-once-effect-run4.yaml" || rep.Run.Passed {
		t.Errorf("report.json: explore %+v, passed %v, %v", rep.Explore, rep.Run.Passed, err)
	}
	if ju, plain := junitOf(t, dir), Build(idx, results).JUnit(); ju.Tests != plain.Tests || len(ju.Suites) != len(plain.Suites) {
		t.Errorf("junit.xml with reproducers: %d tests in %d suites, want the reproducers' %d in %d", ju.Tests, len(ju.Suites), plain.Tests, len(plain.Suites))
	}
}

// TestExploreSectionNoReproducerRuns: violations without reproducer runs
// (a merge whose reproducers were not run, --format without them) still
// fail in junit.xml, on the invariant's case.
func TestExploreSectionNoReproducerRuns(t *testing.T) {
	ju := junitOf(t, writeExplore(t, exploreBroken(), nil, nil, FormatJUnit))
	if ju.Tests != len(exploreInvariants) || ju.Failures != 1 {
		t.Fatalf("junit.xml: %d tests, %d failures", ju.Tests, ju.Failures)
	}
	for _, c := range ju.Suites[0].Cases {
		if (c.Failure != nil) != (c.Name == "exactly-once-effect") {
			t.Errorf("case %s: failure %+v", c.Name, c.Failure)
		}
		if c.Failure != nil && !strings.Contains(c.Failure.Text, "replay: bitsim run -f out/repro/exactly-once-effect-run4.yaml --seed 77") {
			t.Errorf("failure text lacks the replay command: %s", c.Failure.Text)
		}
		if c.Failure != nil && c.Failure.Message != "exactly-once-effect broken in 9 runs: duplicate effect; spec §14 case 5" {
			t.Errorf("failure message %q, want the label", c.Failure.Message)
		}
	}
}

// TestExploreSectionExhaustive: an exhaustive exploration shows its scope,
// one table of per-class schedules, failures and faults fired, and the
// bounded guarantee verbatim, in every report.
func TestExploreSectionExhaustive(t *testing.T) {
	dir := writeExplore(t, exploreExhaustive(), nil, nil)
	md := read(t, filepath.Join(dir, "summary.md"))
	wantAll(t, "summary.md", md, "## bitsim explore: exhaustive small scope, 51 schedules, every invariant held\n", "#### Exhaustive scope\n",
		"Scope: 2 nodes, one 3-fragment upload; 51 single faults, 51 schedules of at most 1 fault.",
		"| Fault class | Single faults | Schedules | Failing | Faults placed | Fired |", "| crash-point | 28 | 28 | 0 | 28 | 14 |",
		"\n> "+guaranteeText+"\n")
	if strings.Contains(md, "#### Coverage") {
		t.Error("summary.md of an exhaustive exploration has a second coverage table")
	}
	page := read(t, filepath.Join(dir, "report.html"))
	wantAll(t, "report.html", page, `<p class="guarantee">`+html.EscapeString(guaranteeText)+`</p>`,
		`<td>crash-point</td><td class="num">28</td><td class="num">28</td><td class="num">0</td><td class="num">28</td><td class="num">14</td>`)
	var rep Report
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "report.json"))), &rep); err != nil || rep.Explore == nil ||
		rep.Explore.Scope == nil || rep.Explore.Scope.Guarantee != guaranteeText {
		t.Errorf("report.json: explore %+v, %v", rep.Explore, err)
	}
	for _, c := range junitOf(t, dir).Suites[0].Cases {
		if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, guaranteeText) {
			t.Errorf("junit case %s lacks the guarantee", c.Name)
		}
	}

	// An invariant broke: no guarantee, and the section says why.
	e := exploreExhaustive()
	e.Scope.Guarantee, e.FailingRuns, e.Violations = "", 10, exploreBroken().Violations
	e.Scope.Classes[0].Failing = 4
	dir = writeExplore(t, e, nil, nil, FormatMarkdown, FormatHTML)
	md = read(t, filepath.Join(dir, "summary.md"))
	wantAll(t, "summary.md", md, "| crash-point | 28 | 28 | 4 | 28 | 14 |", "\nNo bounded guarantee for this scope: 10 of the 51 schedules broke an invariant.\n")
	wantAll(t, "report.html", read(t, filepath.Join(dir, "report.html")),
		`<p class="noguarantee">No bounded guarantee for this scope: 10 of the 51 schedules broke an invariant.</p>`)
	if strings.Contains(md, "Bounded guarantee:") {
		t.Errorf("summary.md states a guarantee although an invariant broke:\n%s", md)
	}
}

// TestExploreSectionInBrowser loads an exploration's report.html in
// headless Chromium: its script runs and counts the violations and the
// coverage classes.
func TestExploreSectionInBrowser(t *testing.T) {
	browser := chromium(t)
	file, err := filepath.Abs(filepath.Join(writeExplore(t, exploreBroken(), nil, nil, FormatHTML), "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	dom := string(headless(t, browser, file, "--dump-dom", "--virtual-time-budget=2000"))
	tag := regexp.MustCompile(`<section id="explore"[^>]*>`).FindString(dom)
	v, c := attr("data-violations").FindStringSubmatch(tag), attr("data-classes").FindStringSubmatch(tag)
	if v == nil || c == nil || v[1] != "1" || c[1] != "2" {
		t.Errorf("explore section in the DOM: %q, want data-violations=\"1\" data-classes=\"2\" (set by the page's script)", tag)
	}
}
