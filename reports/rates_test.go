package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/record"
)

// rateFixture is a small duplicate-rate table: a predicted class with
// duplicates for the naive app only, a class without, and one whose
// interval is wide.
func rateFixture() record.RateTable {
	e := func(p, lo, hi float64) record.Estimate { return record.Estimate{Per1000: p, Low: lo, High: hi} }
	return record.RateTable{Seed: 7, Uploads: 50, SizeMin: 32768, SizeMax: 262143, Notes: []string{"a note <on> the table"}, Rows: []record.Rate{
		{Class: "crash after-notify-answer", Farm: "1 node", App: "naive", Uploads: 50, Predicted: true, DupDeliv: e(1000, 1000, 1000), DupEffect: e(1000, 1000, 1000)},
		{Class: "crash after-notify-answer", Farm: "1 node", App: "idempotent", Uploads: 50, Predicted: true, DupDeliv: e(1000, 1000, 1000)},
		{Class: "crash after-create", Farm: "2 nodes, round-robin", App: "naive", Uploads: 50},
		{Class: "crash after-create", Farm: "2 nodes, round-robin", App: "idempotent", Uploads: 50},
		{Class: "link toxic", App: "naive", Uploads: 50, DupDeliv: e(20, 0, 59), DupEffect: e(20, 0, 59)},
		{Class: "link toxic", App: "idempotent", Uploads: 50, DupDeliv: e(20, 0, 59)},
	}}
}

// writeRates writes the reports of a rates-only run (no scenario runs).
func writeRates(t *testing.T, formats ...string) string {
	t.Helper()
	table := rateFixture()
	dir := t.TempDir()
	idx := &record.RunIndex{Tool: "bitsim", Seed: table.Seed, Command: []string{"bitsim", "explore", "--rates"}}
	if _, err := (Options{Rates: &table}).Write(dir, idx, nil, formats); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRatesSection: with Options.Rates, summary.md carries the table (one
// row per class and app, predicted classes marked, the notes below) and no
// empty scenario table; report.html a bar chart with one bar per row and
// measure, whiskers for the non-empty intervals, and the table; report.json
// the table.
func TestRatesSection(t *testing.T) {
	dir := writeRates(t)
	md := read(t, filepath.Join(dir, "summary.md"))
	for _, want := range []string{"## bitsim: duplicate rates, 3 fault classes × 50 uploads per app", "### Duplicate rates per 1,000 uploads",
		"| crash after-notify-answer * | 1 node | naive | 50 | 1000 (1000–1000) | 1000 (1000–1000) |",
		"| crash after-notify-answer * | 1 node | idempotent | 50 | 1000 (1000–1000) | 0 (0–0) |",
		"| crash after-create | 2 nodes, round-robin | naive | 50 | 0 (0–0) | 0 (0–0) |",
		"| link toxic |  | naive | 50 | 20 (0–59) | 20 (0–59) |", "a note <on> the table", "seed 7",
		"each one file of 32,768 to 262,143 bytes, 32 KiB to 256 KiB", record.IntervalNote} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| | Scenario |") || strings.Contains(md, "0 scenario runs") {
		t.Errorf("summary.md of a rates-only run shows an empty scenario table:\n%s", md)
	}

	page := read(t, filepath.Join(dir, "report.html"))
	svg := regexp.MustCompile(`(?s)<svg class="rates".*?</svg>`).FindString(page)
	if svg == "" {
		t.Fatalf("report.html has no rates chart")
	}
	if n, want := strings.Count(svg, `<rect class="bar naive"`), 2*3; n != want {
		t.Errorf("%d naive bars, want %d (one per class and measure)", n, want)
	}
	if n, want := strings.Count(svg, `<rect class="bar idempotent"`), 2*3; n != want {
		t.Errorf("%d idempotent bars, want %d", n, want)
	}
	if n, want := strings.Count(svg, `class="whisk"`), 3; n != want { // link toxic: both deliveries, naive effects
		t.Errorf("%d whiskers, want %d", n, want)
	}
	for _, want := range []string{`id="rates-table"`, "crash after-notify-answer *", "a note &lt;on&gt; the table", "<title>bitsim duplicate rates</title>",
		"duplicate effects / 1,000 uploads", "link toxic, naive app: 20 per 1,000 (95% interval 0–59), 50 uploads",
		"<td>crash after-create</td><td>2 nodes, round-robin</td><td>naive</td>", "<title>crash after-create on 2 nodes, round-robin</title>crash after-create</text>", `<text class="rf" x="290" y="95" text-anchor="end" dominant-baseline="middle">2 nodes, round-robin</text>`,
		"95% CI: the Wilson score interval"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, `id="summary"`) {
		t.Error("report.html of a rates-only run shows an empty scenario table")
	}

	var rep Report
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "report.json"))), &rep); err != nil || rep.Rates == nil || len(rep.Rates.Rows) != 6 {
		t.Errorf("report.json: rates %+v, %v", rep.Rates, err)
	}
}

// TestRatesWithScenarios: next to scenario runs the rates section comes
// on top of the usual tables.
func TestRatesWithScenarios(t *testing.T) {
	idx, results := loadFixture(t)
	table := rateFixture()
	dir := t.TempDir()
	if _, err := (Options{Rates: &table, Normalize: true}).Write(dir, idx, results, []string{FormatMarkdown, FormatHTML}); err != nil {
		t.Fatal(err)
	}
	md := read(t, filepath.Join(dir, "summary.md"))
	if i, j := strings.Index(md, "### Duplicate rates"), strings.Index(md, "| | Scenario |"); i < 0 || j < i {
		t.Errorf("summary.md: rates section at %d, scenario table at %d", i, j)
	}
	page := read(t, filepath.Join(dir, "report.html"))
	if !strings.Contains(page, `<svg class="rates"`) || !strings.Contains(page, `id="summary"`) {
		t.Error("report.html lacks the rates chart or the scenario table")
	}
}

func TestNiceCeil(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 10}, {7, 10}, {20, 20}, {59, 60}, {1000, 1000}, {1001, 1200}, {1960, 2000}, {2600, 3000}} {
		if got := niceCeil(c.in); got != c.want {
			t.Errorf("niceCeil(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestRatesChartInBrowser loads a rates-only report.html in headless
// Chromium: the page's script runs (it tags the chart with its bar count)
// although the page has no scenario table.
func TestRatesChartInBrowser(t *testing.T) {
	browser := chromium(t)
	file, err := filepath.Abs(filepath.Join(writeRates(t, FormatHTML), "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	dom := string(headless(t, browser, file, "--dump-dom", "--virtual-time-budget=2000"))
	tag := regexp.MustCompile(`<svg class="rates"[^>]*>`).FindString(dom)
	if bars := attr("data-bars").FindStringSubmatch(tag); bars == nil || bars[1] != "12" {
		t.Errorf("rates chart in the DOM: %q, want data-bars=\"12\" (set by the page's script)", tag)
	}
}
