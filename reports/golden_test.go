package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/check"
)

// TestGolden compares report.json, junit.xml and summary.md of the
// committed fixture run with the golden files (normalized: no wall-clock
// facts, run directory RUN_DIR). Rewrite them with go test ./reports -update.
func TestGolden(t *testing.T) {
	idx, results := loadFixture(t)
	dir := t.TempDir()
	paths, err := Options{Normalize: true}.Write(dir, idx, results, []string{FormatJSON, FormatJUnit, FormatMarkdown})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", filepath.FromSlash(t.Name()))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with go test ./reports -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got):\n%s", name, golden, diff)
			}
		})
	}
}

// TestGoldenIsDeterministic: two normalized builds of the same run are
// byte-identical, in every format (html included).
func TestGoldenIsDeterministic(t *testing.T) {
	idx, results := loadFixture(t)
	var out [2]map[string][]byte
	for i := range out {
		dir := t.TempDir()
		paths, err := Options{Normalize: true}.Write(dir, idx, results, AllFormats)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = map[string][]byte{}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out[i][filepath.Base(p)] = b
		}
	}
	for name, b := range out[0] {
		if !bytes.Equal(b, out[1][name]) {
			t.Errorf("%s differs between two normalized builds", name)
		}
	}
}

// TestReportJSONSchema decodes report.json of the fixture and checks the
// facts the schema promises.
func TestReportJSONSchema(t *testing.T) {
	idx, results := loadFixture(t)
	var buf bytes.Buffer
	if err := Build(idx, results).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var rep Report
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != Schema || Schema != "bitsim-report/1" {
		t.Errorf("schema = %q, want bitsim-report/1", rep.Schema)
	}
	if rep.Run.Seed != fixtureSeed || rep.Run.Dir != fixtureDir || rep.Run.Started.IsZero() {
		t.Errorf("run = %+v, want seed %d, dir %s and a start time", rep.Run, fixtureSeed, fixtureDir)
	}
	if rep.Totals.Runs != len(results) || rep.Totals.Failed != 1 || rep.Run.Passed {
		t.Errorf("totals = %+v (passed %v), want %d runs, 1 failed", rep.Totals, rep.Run.Passed, len(results))
	}
	saved := map[string]int{} // each run's verdicts, as saved with it
	for _, r := range results {
		saved[RunID(r)] = len(r.Verdicts)
	}
	for _, s := range rep.Scenarios {
		if s.Time.WallNS == 0 || s.Time.Wall == "" {
			t.Errorf("%s: no wall time in an unnormalized report", s.ID)
		}
		if !strings.HasPrefix(s.Replay, "bitsim replay "+fixtureDir+" --scenario ") {
			t.Errorf("%s: replay = %q", s.ID, s.Replay)
		}
		if len(s.Verdicts) != saved[s.ID] || len(s.Verdicts) == 0 || len(s.Jobs) == 0 {
			t.Errorf("%s: %d verdicts, %d jobs", s.ID, len(s.Verdicts), len(s.Jobs))
		}
		if s.Name == "random" && s.ID != s.Name+"@"+itoa(int64(s.Seed)) {
			t.Errorf("randomized run id = %q, want random@<seed>", s.ID)
		}
		if s.Name != "case4-expect-one-effect" {
			continue
		}
		if s.Passed || len(s.Duplicates) != 1 || len(s.Duplicates[0].Chain) < 3 || !strings.Contains(s.Duplicates[0].Message, "case 4") {
			t.Errorf("case 4: passed %v, duplicates %+v; want a failure with one explained duplicate", s.Passed, s.Duplicates)
		}
		if len(s.Faults) != 1 || s.Faults[0].Fired != 1 || len(s.Faults[0].Firings) != 1 || s.Faults[0].Firings[0].Node != "node1" {
			t.Errorf("case 4 faults = %+v, want kill-after-notify fired once on node1", s.Faults)
		}
		if s.Time.ProtocolNS < int64(24*3600e9) || s.Time.Compression <= 1 {
			t.Errorf("case 4 time = %+v, want >= 24h of protocol time, compressed", s.Time)
		}
		if j := s.Jobs[0]; j.Stats.Restarts != 1 || j.Client.State != "ACKNOWLEDGED" || j.Stats.BytesResent == 0 {
			t.Errorf("case 4 job = %+v", j)
		}
	}
}

// TestFixtureRecheckStable replays today's checkers over the saved
// histories: verdicts and outcomes must not drift (the fixture is a corpus);
// checkers added after the fixture was written must pass on it.
func TestFixtureRecheckStable(t *testing.T) {
	_, results := loadFixture(t)
	for _, r := range results {
		want := map[string]check.Status{}
		for _, v := range r.Verdicts {
			want[v.Checker] = v.Status
		}
		passed, failures := r.Passed, append([]string(nil), r.Failures...)
		r.Recheck()
		got := map[string]check.Status{}
		for _, v := range r.Verdicts {
			if _, saved := want[v.Checker]; saved {
				got[v.Checker] = v.Status
			} else if v.Status != check.Pass {
				// A checker newer than the fixture must pass on it.
				t.Errorf("%s: new checker %s", RunID(r), v)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: verdicts changed on re-check (-saved +today):\n%s", RunID(r), diff)
		}
		if r.Passed != passed || !cmp.Equal(failures, r.Failures) {
			t.Errorf("%s: re-check says passed=%v %q, saved passed=%v %q", RunID(r), r.Passed, r.Failures, passed, failures)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
