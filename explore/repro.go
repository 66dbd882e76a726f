package explore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
)

// reproScenario turns a violation's scenario into an ordinary scenario
// whose expectations are everything a correct farm would give: every
// checker but the broken invariant's may say anything, so `bitsim run -f`
// fails exactly because the invariant broke.
func reproScenario(v Violation, name string) record.Scenario {
	sc := v.Scenario
	sc.Name = name
	sc.Labels = nil
	if sc.App.External() {
		// Its jobs run one after another on the wire tier, as they did
		// when it was found and shrunk.
		sc.Labels = []string{record.LabelExplore}
	}
	sc.Description = fmt.Sprintf("found by bitsim explore (seed %d, run %d): %s broken; %s", v.Seed, v.FirstRun, v.Invariant, v.Title())
	sc.Faults = append(sc.Faults[:0:0], sc.Faults...)
	for i := range sc.Faults {
		sc.Faults[i].Optional = false
	}
	e := record.Expect{Verdicts: map[string]check.Status{}}
	for _, c := range check.All() {
		if c.Name() != v.Invariant {
			e.Verdicts[c.Name()] = record.Any
		}
	}
	if v.Invariant == NoLostUpload {
		e.Effects = record.N(jobCount(sc))
	} else {
		e.JobState = v.jobState
	}
	sc.Expect = e
	return sc
}

func jobCount(sc record.Scenario) int {
	n := 0
	for _, j := range sc.Jobs {
		n += max(j.Count, 1)
	}
	return n
}

// ReproYAML is a violation's reproducer as scenario YAML, with the shrink
// steps and the replay command in a leading comment.
func ReproYAML(v Violation) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(reproFound(v))
	fmt.Fprintf(&b, "# cause: %s\n", v.Title())
	if v.Label != "" && v.Label != v.Shape {
		fmt.Fprintf(&b, "# group key: %s\n", v.Shape)
	}
	b.WriteString(reproReplay(v))
	if v.OtherSeeds != "" {
		fmt.Fprintf(&b, "# also fails with %s other seeds\n", v.OtherSeeds)
	}
	if v.NotShrunk != "" {
		fmt.Fprintf(&b, "# not shrunk (%s): the first failing schedule, %s\n", v.NotShrunk, nFaults(v.Faults))
	} else {
		fmt.Fprintf(&b, "# shrunk from %d to %s in %s (%.1fs):\n", v.ShrunkFrom, nFaults(v.Faults), Plural(v.ShrinkRuns, "run"), v.ShrinkSeconds)
	}
	for i, s := range v.Steps {
		fmt.Fprintf(&b, "#   %d. %s\n", i+1, s)
	}
	for _, l := range strings.Split(strings.TrimSpace(v.Explanation), "\n") {
		fmt.Fprintf(&b, "# | %s\n", l)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v.Scenario); err != nil {
		return nil, fmt.Errorf("explore: %s: %w", v.Repro, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("explore: %w", err)
	}
	return b.Bytes(), nil
}

// reproFound and reproReplay are a reproducer's "found" and "replay"
// comment lines (Merge rewrites them).
func reproFound(v Violation) string {
	return fmt.Sprintf("# %s: found by bitsim explore, seed %d, run %d (seen in %s)\n", v.Invariant, v.Seed, v.FirstRun, Plural(v.Seen, "run"))
}

func reproReplay(v Violation) string { return "# replay: " + v.Replay + "\n" }

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("explore: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Summary is the reproducer in a line: its faults and how it was shrunk.
func (v Violation) Summary() string {
	if v.NotShrunk != "" {
		return fmt.Sprintf("%s (not shrunk: %s)", nFaults(v.Faults), v.NotShrunk)
	}
	s := fmt.Sprintf("%s (shrunk from %d in %s, %.1fs", nFaults(v.Faults), v.ShrunkFrom, Plural(v.ShrinkRuns, "run"), v.ShrinkSeconds)
	if v.OtherSeeds != "" {
		s += "; other seeds " + v.OtherSeeds
	}
	return s + ")"
}

// nFaults is "1 fault" or "n faults".
func nFaults(n int) string { return Plural(n, "fault") }

// Plural is "1 run" or "n runs": n and the noun, in the plural unless n
// is 1.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Title is the violation as users read it: its label (Failure.Label), or
// for a violation saved without one its grouping key.
func (v Violation) Title() string {
	if v.Label != "" {
		return v.Label
	}
	return v.Shape
}

// Text is the violation as explore and report --merge print it: its
// headline, reproducer and replay command.
func (v Violation) Text() string {
	return fmt.Sprintf("VIOLATION %s\n  reproducer: %s\n  replay: %s\n", v.Headline(), v.Summary(), v.Replay)
}

// Headline is the violation in a line: "exactly-once-effect (3 runs):
// duplicate effect; spec §14 case 5: ...".
func (v Violation) Headline() string {
	return fmt.Sprintf("%s (%s): %s", v.Invariant, Plural(v.Seen, "run"), v.Title())
}
