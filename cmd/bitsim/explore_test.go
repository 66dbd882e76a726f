package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/examples/orderapp"
	"github.com/bitsim/bitsim/explore"
)

// TestExploreCommand: the naive app's duplicate effect is found, shrunk to
// a reproducer that `bitsim run -f` fails, and the command exits 1; the
// idempotent app on the same runs holds every invariant.
func TestExploreCommand(t *testing.T) {
	scenarioLeaks(t)
	out := filepath.Join(t.TempDir(), "ex")
	// Runs 0..3 of seed 1 include a case-5 kill.
	stdout, err := runBitsim(t, "explore", "--app", "naive", "--runs", "4", "--seed", "1", "--out", out, "--no-progress", "--format", "json")
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 {
		t.Fatalf("naive: want exit 1, got %v\n%s", err, stdout)
	}
	var rep struct {
		Runs       int `json:"runs"`
		Violations []struct {
			Invariant string `json:"invariant"`
			Repro     string `json:"repro"`
			Faults    int    `json:"faults"`
		} `json:"violations"`
	}
	b, err := os.ReadFile(filepath.Join(out, "explore.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 4 || len(rep.Violations) == 0 || rep.Violations[0].Invariant != "exactly-once-effect" || rep.Violations[0].Faults > 2 {
		t.Fatalf("explore.json: %s", b)
	}
	if !strings.Contains(stdout, "replay: bitsim run -f ") {
		t.Errorf("no replay command:\n%s", stdout)
	}
	stdout, err = runBitsim(t, "run", "-f", filepath.Join(out, rep.Violations[0].Repro), "--out", filepath.Join(out, "replay"), "--no-progress", "--format", "json")
	if !errors.As(err, &ec) || ec != 1 || !strings.Contains(stdout, "exactly-once-effect") {
		t.Fatalf("the reproducer should fail: %v\n%s", err, stdout)
	}
	stdout, err = runBitsim(t, "explore", "--app", "idempotent", "--runs", "4", "--seed", "1", "--out", filepath.Join(out, "i"), "--no-progress")
	if err != nil || !strings.Contains(stdout, "every invariant held") {
		t.Fatalf("idempotent: %v\n%s", err, stdout)
	}
}

// TestExploreRatesCommand: explore --rates prints the table and writes it
// as rates.json and into the usual reports (a section of summary.md, a bar
// chart in report.html).
func TestExploreRatesCommand(t *testing.T) {
	scenarioLeaks(t)
	out := filepath.Join(t.TempDir(), "rates")
	stdout, err := runBitsim(t, "explore", "--rates", "--uploads", "1", "--seed", "1", "--out", out)
	if err != nil || !strings.Contains(stdout, "| lost final Ack + node restart * | 1 node, K10 until-close | naive | 1 | 1000 (207–1000) | 1000 (207–1000) |") {
		t.Fatalf("%v\n%s", err, stdout)
	}
	for file, want := range map[string]string{"summary.md": "### Duplicate rates per 1,000 uploads", "report.html": `<svg class="rates"`,
		"rates.json": `"rows"`, "report.json": `"rates"`} {
		if b, err := os.ReadFile(filepath.Join(out, file)); err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q (%v)", file, want, err)
		}
	}
}

func TestParseShard(t *testing.T) {
	for in, ok := range map[string]bool{"": true, "0/1": true, "2/3": true, "3/3": false, "-1/2": false, "a/b": false, "1": false} {
		if _, _, err := parseShard(in); (err == nil) != ok {
			t.Errorf("parseShard(%q): %v", in, err)
		}
	}
}

// TestExploreAgainstOrderApp: explore --app-url against the example order
// app. Naive, it finds a duplicate effect and writes a reproducer that
// names the app (app.url, the explore label) and that bitsim run -f fails
// against it; idempotent, every invariant holds on the same runs. The
// app's faults are drawn on the node→app links, never the mock's.
func TestExploreAgainstOrderApp(t *testing.T) {
	scenarioLeaks(t)
	dir := t.TempDir()
	base, _ := orderapp.Serve(t, orderapp.Naive)
	out := filepath.Join(dir, "naive")
	// Run 0 of seed 1 kills the node after it notified the app (§14 case 5).
	stdout, err := runBitsim(t, "explore", "--app-url", base+"/notify", "--effects-url", base+"/effects", "--runs", "3", "--seed", "1",
		"--out", out, "--no-progress", "--format", "json")
	if exitStatus(err) != 1 || !strings.Contains(stdout, "notifying your application at "+base+"/notify") {
		t.Fatalf("naive: exit %d (%v), want 1\n%s", exitStatus(err), err, stdout)
	}
	var rep struct {
		App        string `json:"app"`
		Violations []struct {
			Invariant string `json:"invariant"`
			Repro     string `json:"repro"`
			Faults    int    `json:"faults"`
		} `json:"violations"`
		Coverage map[string]any `json:"coverage"`
	}
	b, _ := os.ReadFile(filepath.Join(out, "explore.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.App != base+"/notify" || len(rep.Violations) == 0 || rep.Violations[0].Invariant != "exactly-once-effect" || rep.Violations[0].Faults > 2 {
		t.Fatalf("explore.json: %s", b)
	}
	if _, ok := rep.Coverage["app-status"]; ok {
		t.Errorf("coverage lists the mock app's faults: %v", rep.Coverage)
	}
	repro := filepath.Join(out, rep.Violations[0].Repro)
	y, _ := os.ReadFile(repro)
	if !strings.Contains(string(y), "url: "+base+"/notify") || !strings.Contains(string(y), "- explore") {
		t.Errorf("the reproducer does not name the app:\n%s", y)
	}
	stdout, err = runBitsim(t, "run", "-f", repro, "--out", filepath.Join(dir, "replay"), "--no-progress", "--format", "json")
	if exitStatus(err) != 1 || !strings.Contains(stdout, "exactly-once-effect") {
		t.Fatalf("the reproducer should fail against the naive app: %v\n%s", err, stdout)
	}

	base, _ = orderapp.Serve(t, orderapp.Idempotent)
	stdout, err = runBitsim(t, "explore", "--app-url", base+"/notify", "--effects-url", base+"/effects", "--runs", "3", "--seed", "1",
		"--out", filepath.Join(dir, "idempotent"), "--no-progress")
	if err != nil || !strings.Contains(stdout, "every invariant held") {
		t.Fatalf("idempotent: %v\n%s", err, stdout)
	}
}

// TestExploreAppURLRefusals: an unreachable app stops explore at once
// (exit 2 naming the URL), as run; --app, --rates and --exhaustive do not
// go with --app-url.
func TestExploreAppURLRefusals(t *testing.T) {
	u := closedURL(t)
	for _, args := range [][]string{
		{"--app-url", u},
		{"--app-url", u, "--app", "idempotent"},
		{"--app-url", u, "--rates"},
		{"--app-url", u, "--exhaustive"},
		{"--effects-url", u},
	} {
		_, err := runBitsim(t, append([]string{"explore", "--runs", "1", "--out", t.TempDir()}, args...)...)
		if exitStatus(err) != 2 || (len(args) == 2 && args[0] == "--app-url" && !strings.Contains(err.Error(), u)) {
			t.Errorf("explore %v: exit %d (%v), want 2", args, exitStatus(err), err)
		}
	}
}

// TestExploreFlagRefusals: a flag explore would ignore in a combination,
// or a count out of range, is a usage error (exit 2) naming the flags.
func TestExploreFlagRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--exhaustive", "-f", "x.yaml", "--nodes", "3", "--size", "9"}, "does not take -f, --nodes, --size"},
		{[]string{"--exhaustive", "--runs", "5"}, "does not take --runs"},
		{[]string{"--exhaustive", "--max-faults", "3"}, "--max-faults 3: --exhaustive enumerates schedules of 1 or 2 faults"},
		{[]string{"--rates", "--shard", "0/2", "-f", "x.yaml", "--jobs", "2"}, "does not take -f, --jobs, --shard"},
		{[]string{"--max-faults", "0"}, "--max-faults 0: want at least 1"},
		{[]string{"--max-faults", "-2"}, "--max-faults -2: want at least 1"},
		{[]string{"--runs", "-1"}, "--runs -1: want at least 1"},
		{[]string{"--uploads", "5"}, "--uploads is the uploads per fault class of --rates"},
		{[]string{"--invariant", "bogus"}, "duplicates, resume-restart"},
	} {
		_, err := runBitsim(t, append([]string{"explore", "--out", t.TempDir(), "--no-progress"}, c.args...)...)
		if exitStatus(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("explore %v: exit %d (%v), want 2 and %q", c.args, exitStatus(err), err, c.want)
		}
	}
}

// TestExploreExhaustiveBudget: --budget stops the enumeration and says
// that the scope was not played in full (no guarantee).
func TestExploreExhaustiveBudget(t *testing.T) {
	scenarioLeaks(t)
	out := t.TempDir()
	stdout, err := runBitsim(t, "explore", "--exhaustive", "--max-faults", "1", "--budget", "1ns", "--seed", "1",
		"--out", out, "--no-progress", "--format", "json")
	if err != nil || !strings.Contains(stdout, "the --budget 1ns ran out after 0 of the scope's 51 schedules: no bounded guarantee") ||
		!strings.Contains(stdout, "51 single faults, 51 schedules of at most 1 fault\n") ||
		strings.Contains(stdout, "Bounded guarantee") {
		t.Fatalf("%v\n%s", err, stdout)
	}
	// explore.json's coverage holds the scope's classes only.
	b, err := os.ReadFile(filepath.Join(out, "explore.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Coverage map[string]any `json:"coverage"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for c := range rep.Coverage {
		got = append(got, c)
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(explore.ScopeClasses)); !slices.Equal(got, want) {
		t.Errorf("coverage classes %v, want the scope's %v", got, want)
	}
}

// TestExploreBaseAppMode: -f base.yaml plays the base's app.mode unless
// --app is given, and then says that --app overrides it.
func TestExploreBaseAppMode(t *testing.T) {
	scenarioLeaks(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	yaml := "name: base\nfarm: {nodes: 1}\napp: {mode: idempotent}\njobs: [{name: a.bin, size: 1000, txn: auto}]\n"
	if err := os.WriteFile(base, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args      []string
		app, note string
	}{
		{nil, "idempotent", ""},
		{[]string{"--app", "naive"}, "naive", "--app naive overrides the app.mode idempotent of " + base},
	} {
		out := filepath.Join(dir, c.app)
		stdout, _ := runBitsim(t, append([]string{"explore", "-f", base, "--runs", "1", "--max-faults", "1", "--no-shrink", "--seed", "1",
			"--out", out, "--no-progress", "--format", "json"}, c.args...)...)
		b, err := os.ReadFile(filepath.Join(out, "explore.json"))
		if err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		var rep struct {
			App string `json:"app"`
		}
		if err := json.Unmarshal(b, &rep); err != nil || rep.App != c.app || !strings.Contains(stdout, "app "+c.app+",") ||
			(c.note != "") != strings.Contains(stdout, "overrides") || !strings.Contains(stdout, c.note) ||
			!strings.Contains(stdout, "app "+c.app+", 1 run;") || !strings.Contains(stdout, "\n1 run in ") {
			t.Errorf("%v: explore.json app %q, want %q\n%s", c.args, rep.App, c.app, stdout)
		}
	}
}
