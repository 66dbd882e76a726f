package record

import "github.com/bitsim/bitsim/sim"

// Exploration is the outcome of `bitsim explore` as the reports show it:
// the runs, the violations with their reproducers, the coverage per fault
// class and, for an exhaustive exploration, its scope and bounded
// guarantee. Package explore fills it from its explore.json
// (explore.Report.Exploration); the reports render it (report.json's
// "explore", a section of summary.md and report.html, junit.xml's passing
// invariants when none was broken).
type Exploration struct {
	Seed sim.Seed `json:"seed"`
	App  string   `json:"app"`
	// Shard is "i/n" for one shard of an exploration; Shards the number
	// of shards a merged exploration came from, Missing the shards of a
	// merge that were not given.
	Shard   string   `json:"shard,omitempty"`
	Shards  int      `json:"shards,omitempty"`
	Missing []string `json:"missing_shards,omitempty"`
	// Runs played, at RatePerMin (runs per minute of exploring time);
	// FailingRuns broke an invariant.
	Runs           int     `json:"runs"`
	RatePerMin     float64 `json:"rate_per_min"`
	ExploreSeconds float64 `json:"explore_s"`
	FailingRuns    int     `json:"failing_runs"`
	// Invariants are the invariants every run was judged by.
	Invariants []string `json:"invariants"`
	// Violations are the distinct failures, each with its reproducer.
	Violations []ExploreViolation `json:"violations"`
	// Coverage counts, per fault class (in the grammar's order), the faults
	// drawn (placed) and fired.
	Coverage []ClassCoverage `json:"coverage"`
	// Scope is set by an exhaustive exploration.
	Scope *ExploreScope `json:"exhaustive,omitempty"`
}

// Held reports whether every invariant held in every run.
func (e Exploration) Held() bool { return len(e.Violations) == 0 && e.FailingRuns == 0 }

// ExploreViolation is one distinct failure of an exploration and its
// reproducer.
type ExploreViolation struct {
	Invariant string `json:"invariant"`
	// Seen is how many runs showed it; FirstRun the first of them.
	Seen     int `json:"seen"`
	FirstRun int `json:"first_run"`
	// Faults in the reproducer, ShrunkFrom in the first failing schedule.
	Faults     int `json:"faults"`
	ShrunkFrom int `json:"shrunk_from"`
	// Shrink says in a line how the reproducer was shrunk, or why not.
	Shrink string `json:"shrink"`
	// Repro is the reproducer's path, relative to the exploration's
	// directory; Replay the command that reproduces it.
	Repro  string `json:"repro"`
	Replay string `json:"replay"`
	// Label is the failure's cause as users read it (its documented case
	// or its cause chain, from the reproducer's run); Shape the grouping
	// key explore keeps it under (numbers and names blanked: not for
	// display); Explanation the checker's finding.
	Label       string `json:"label,omitempty"`
	Shape       string `json:"shape"`
	Explanation string `json:"explanation"`
}

// ClassCoverage is how often an exploration drew (placed) and fired the
// faults of one class.
type ClassCoverage struct {
	Class string `json:"class"`
	Drawn int    `json:"drawn"`
	Fired int    `json:"fired"`
}

// ExploreScope is an exhaustive exploration's scope: what was enumerated,
// per class the schedules played and failing, and the bounded guarantee
// when every invariant held in every schedule.
type ExploreScope struct {
	Description string `json:"description"`
	MaxFaults   int    `json:"max_faults"`
	Singles     int    `json:"singles"`
	Schedules   int    `json:"schedules"`
	// Classes: per fault class of the scope, in order.
	Classes []ScopeClass `json:"classes"`
	// Guarantee is the bounded guarantee, verbatim ("" when an invariant
	// was broken or the scope was not played in full).
	Guarantee string `json:"guarantee,omitempty"`
}

// ScopeClass is one row of an exhaustive exploration's coverage table: the
// class's single faults, the schedules containing one, and how many of
// those broke an invariant.
type ScopeClass struct {
	Class     string `json:"class"`
	Faults    int    `json:"faults"`
	Schedules int    `json:"schedules"`
	Failing   int    `json:"failing"`
}

// Title is the violation as users read it: its label, or for one recorded
// without a label its grouping key.
func (v ExploreViolation) Title() string {
	if v.Label != "" {
		return v.Label
	}
	return v.Shape
}
