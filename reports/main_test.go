package reports

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files under testdata/golden")
	fixture = flag.Bool("fixture", false, "regenerate the saved run under testdata/run (then run with -update)")
)

// fixtureDir is a small saved run, committed so golden files do not depend
// on timing: control, a failing §14 case 4 (testdata/case4-expect-one-effect.yaml),
// §14 cases 11 and 13 and one randomized run.
const fixtureDir = "testdata/run"

// fixtureSeed is the fixture's run seed.
const fixtureSeed = sim.Seed(42)

// TestMain checks for leaked goroutines, ignoring toxiproxy's documented
// leaks (the full-catalogue run kills nodes mid-transfer), and removes the
// shared full-catalogue run afterwards.
func TestMain(m *testing.M) {
	testutil.VerifyTestMain(cleanupM{m})
}

type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if full.dir != "" {
		os.RemoveAll(full.dir)
	}
	return code
}

// full is the full catalogue, run once per test binary (tests and the
// benchmark share it; -count=N does not re-run it).
var full struct {
	once    sync.Once
	dir     string
	idx     *record.RunIndex
	results []*record.Result
	err     error
}

// fullCatalogue runs scenarios.PlanRuns(Catalogue(), 7, 3) once, without
// the scenarios labelled slow (scale-1000, scale-10000).
func fullCatalogue(tb testing.TB) (*record.RunIndex, []*record.Result) {
	tb.Helper()
	full.once.Do(func() {
		full.dir, full.err = os.MkdirTemp("", "bitsim-reports-full-")
		if full.err != nil {
			return
		}
		plans := scenarios.PlanRuns(scenarios.Select(scenarios.Catalogue(), "!"+record.LabelSlow), 7, 3)
		full.idx, full.results, full.err = scenarios.RunCatalogue(context.Background(), plans,
			scenarios.BatchOptions{Out: filepath.Join(full.dir, "run"), Seed: 7, Parallel: 2, Command: []string{"bitsim", "run", "--seed", "7"}})
	})
	if full.err != nil {
		tb.Fatalf("full catalogue run: %v", full.err)
	}
	return full.idx, full.results
}

// fixturePlans are the scenario runs saved in the fixture.
func fixturePlans(tb testing.TB) []scenarios.Plan {
	tb.Helper()
	failing, err := scenarios.LoadFile("testdata/case4-expect-one-effect.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var list []record.Scenario
	for _, name := range []string{"control", "case11-lost-tail-rewind", "case13-app-503", "random"} {
		s, ok := scenarios.Find(name)
		if !ok {
			tb.Fatalf("no catalogue scenario %q", name)
		}
		list = append(list, s)
	}
	list = append(list[:1], append(failing, list[1:]...)...)
	return scenarios.PlanRuns(list, fixtureSeed, 1)
}

// loadFixture reads the committed run, regenerating it first with -fixture.
func loadFixture(tb testing.TB) (*record.RunIndex, []*record.Result) {
	tb.Helper()
	if *fixture {
		regenerateFixture.Do(func() {
			if err := os.RemoveAll(fixtureDir); err != nil {
				tb.Fatal(err)
			}
			_, _, err := scenarios.RunCatalogue(context.Background(), fixturePlans(tb),
				scenarios.BatchOptions{Out: fixtureDir, Seed: fixtureSeed, Command: []string{"bitsim", "run", "--seed", "42"}})
			if err != nil {
				tb.Fatal(err)
			}
		})
	}
	idx, results, err := record.LoadRun(fixtureDir)
	if err != nil {
		tb.Fatalf("load fixture (regenerate with go test ./reports -fixture -update): %v", err)
	}
	return idx, results
}

var regenerateFixture sync.Once
