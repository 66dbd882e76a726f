package record

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// RunIndex is run.json, the index of a run directory (written by package
// scenarios' RunCatalogue): one subdirectory per scenario run
// (scenario.json, history.json, ledger.json, result.json; see Result.Save).
type RunIndex struct {
	Version  int        `json:"version"` // IndexVersion
	Tool     string     `json:"tool"`    // "bitsim"
	Started  time.Time  `json:"started"`
	Wall     float64    `json:"wall_seconds"`
	Seed     sim.Seed   `json:"seed"`    // the run's seed
	Command  []string   `json:"command"` // the command line that produced it
	Passed   bool       `json:"passed"`
	Entries  []RunEntry `json:"scenarios"`
	BasePath string     `json:"-"`
}

// IndexVersion is the version of the run directory written today (run.json
// and the files of each scenario run). LoadRun reads every version up to it.
//
// Version 2 (issue 9): scenario.json holds every expectation; the
// catalogue's former Go-only checks are declarative (Expect.EventCounts,
// Expect.Jobs). The files are otherwise those of version 1 (fields only
// added), and JobResult.Result is record.ClientResult, the same JSON as
// client.Result.
//
// Version 1: some catalogue scenarios (§14 cases 3, 10, 11, 12, 15) carried
// a Go-only check that scenario.json could not hold. A version-1 run is
// re-checked (Result.Recheck) with the expectations its scenario.json
// holds, that is without those checks; everything else is judged as
// before.
const IndexVersion = 2

// RunEntry is one scenario run in a RunIndex.
type RunEntry struct {
	Name   string   `json:"name"`
	Seed   sim.Seed `json:"seed"`
	Dir    string   `json:"dir"` // relative to the run directory
	Passed bool     `json:"passed"`
	Labels []string `json:"labels,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Skipped is why the scenario was not run ("" if it ran).
	Skipped string `json:"skipped,omitempty"`
}

// DirName is the directory of a scenario run inside a run directory: the
// scenario's name made path-safe, plus "@seed" for randomized scenarios
// (label random), which run under several seeds.
func DirName(sc Scenario, seed sim.Seed) string {
	name := strings.NewReplacer("/", "_", " ", "_", "\\", "_", ":", "_").Replace(sc.Name)
	if sc.HasLabel(LabelRandom) {
		name += fmt.Sprintf("@%d", seed)
	}
	return name
}

// WriteIndex writes idx as run.json in dir.
func WriteIndex(dir string, idx *RunIndex) error {
	return writeJSON(filepath.Join(dir, "run.json"), idx)
}

// LoadRun reads a run directory: its index and every scenario run's files.
func LoadRun(dir string) (*RunIndex, []*Result, error) {
	var idx RunIndex
	if err := readJSON(filepath.Join(dir, "run.json"), &idx); err != nil {
		return nil, nil, err
	}
	if idx.Version > IndexVersion {
		return nil, nil, fmt.Errorf("record: %s was written by a newer bitsim (version %d)", dir, idx.Version)
	}
	idx.BasePath = dir
	var out []*Result
	for _, e := range idx.Entries {
		r, err := LoadResult(filepath.Join(dir, e.Dir))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return &idx, out, nil
}
