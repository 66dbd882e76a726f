package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium finds a Chromium or Chrome binary on PATH. The browser test
// needs one: CI installs Debian's chromium (see .ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: .ci/run installs Debian's chromium; run apt-get install chromium")
	return ""
}

// headless runs the browser on a file with extra flags and returns stdout.
func headless(t *testing.T, browser, file string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}, flags...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, browser, args...)
	cmd.WaitDelay = 10 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", browser, flags, err, errb.String())
	}
	return out.Bytes()
}

var attr = func(name string) *regexp.Regexp { return regexp.MustCompile(name + `="(\d+)"`) }

// TestHTMLInBrowser loads report.html of the fixture in headless Chromium:
// after its script ran, the DOM has the summary table and a timeline SVG in
// every scenario section; a screenshot is saved as an artifact.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromium(t)
	idx, results := loadFixture(t)
	dir := t.TempDir()
	paths, err := Write(dir, idx, results, []string{FormatHTML})
	if err != nil {
		t.Fatal(err)
	}
	file, err := filepath.Abs(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	dom := string(headless(t, browser, file, "--dump-dom", "--virtual-time-budget=2000"))
	summary := regexp.MustCompile(`<table id="summary"[^>]*>`).FindString(dom)
	if summary == "" {
		t.Fatalf("no #summary table in the DOM:\n%.2000s", dom)
	}
	sections, timelines := attr("data-sections").FindStringSubmatch(summary), attr("data-timelines").FindStringSubmatch(summary)
	if sections == nil || timelines == nil {
		t.Fatalf("the page's script did not run (no data-sections/data-timelines on #summary): %s", summary)
	}
	if want := fmt.Sprint(len(results)); sections[1] != want || timelines[1] != want {
		t.Errorf("browser counted %s sections with %s timelines, want %s of each", sections[1], timelines[1], want)
	}
	// Independently of the script: each section holds a timeline and a plot.
	parts := strings.Split(dom, `<details class="scenario`)[1:]
	if len(parts) != len(results) {
		t.Fatalf("%d scenario sections in the DOM, want %d", len(parts), len(results))
	}
	for i, p := range parts {
		p = p[:strings.Index(p, "</details>")]
		if !strings.Contains(p, `<svg class="timeline"`) || !strings.Contains(p, `<svg class="bytes`) {
			t.Errorf("section %d (%s) lacks a timeline or bytes plot", i, RunID(results[i]))
		}
		if failed := strings.HasPrefix(p, ` fail"`); failed != strings.Contains(p[:80], " open") {
			t.Errorf("section %d (%s): failed=%v but open=%v (failures open, others collapsed)", i, RunID(results[i]), failed, !failed)
		}
	}
	shot := filepath.Join(t.ArtifactDir(), "report.png")
	headless(t, browser, file, "--screenshot="+shot, "--window-size=1400,2000", "--virtual-time-budget=2000")
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("no screenshot at %s (%d bytes): %v", shot, len(png), err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}

// TestHTMLSelfContained: no external assets, no network.
func TestHTMLSelfContained(t *testing.T) {
	idx, results := loadFixture(t)
	var b bytes.Buffer
	rep := Options{}.Build(idx, results)
	if err := (Options{}).writeHTML(&b, rep, results); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, bad := range []string{`src="http`, `href="http`, `<link `, `@import`, `url(http`, `<script src`} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html refers to an external asset (%q)", bad)
		}
	}
	for _, want := range []string{`id="summary"`, `class="timeline"`, `class="bytes`, "bitsim replay " + fixtureDir + " --scenario case4-expect-one-effect",
		"DUPLICATE", "kill-after-notify", "Fragments ", "416 resync", "failed: "} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestHTMLSizeFullCatalogue: report.html of the full catalogue (3 seeds per
// randomized scenario) stays under 5 MB, every diagram within its row cap.
func TestHTMLSizeFullCatalogue(t *testing.T) {
	idx, results := fullCatalogue(t)
	dir := t.TempDir()
	start := time.Now()
	paths, err := Write(dir, idx, results, AllFormats)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var html int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".html") {
			html = fi.Size()
		}
	}
	t.Logf("%d scenario runs: reports written in %s, report.html %.2f MB", len(results), took, float64(html)/1e6)
	if html > 5<<20 {
		t.Errorf("report.html is %d bytes, want under 5 MB", html)
	}
	for _, r := range results {
		tl := buildTimeline(r.Events, r.Ledger, 240)
		if n := tl.visible(); n > 2*240+1 {
			t.Errorf("%s: %d rows drawn, want at most %d", RunID(r), n, 2*240+1)
		}
	}
}

// BenchmarkReportsFullCatalogue times Write of every format for the full
// catalogue (PlanRuns(Catalogue(), seed, 3)); the run is generated once.
func BenchmarkReportsFullCatalogue(b *testing.B) {
	idx, results := fullCatalogue(b)
	dir := b.TempDir()
	var size int64
	b.ResetTimer()
	for b.Loop() {
		paths, err := Write(dir, idx, results, AllFormats)
		if err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(paths[len(paths)-1])
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
	}
	b.ReportMetric(float64(size)/1e6, "html-MB")
	b.ReportMetric(float64(len(results)), "runs")
}
