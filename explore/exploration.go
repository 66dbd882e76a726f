package explore

import (
	"sort"

	"github.com/bitsim/bitsim/record"
)

// Exploration is the report as the reports show it (record.Exploration):
// the coverage in the grammar's order (an exhaustive exploration's: its
// scope classes), each violation's shrink in a line (Violation.Summary).
func (r *Report) Exploration() record.Exploration {
	e := record.Exploration{Seed: r.Seed, App: r.App, Shard: r.Shard, Shards: len(r.Shards), Missing: r.Missing,
		Runs: r.Runs, RatePerMin: r.RatePerMin, ExploreSeconds: r.ExploreSeconds, FailingRuns: r.FailingRuns,
		Invariants: r.Invariants, Violations: []record.ExploreViolation{}}
	for _, v := range r.Violations {
		e.Violations = append(e.Violations, record.ExploreViolation{Invariant: v.Invariant, Seen: v.Seen, FirstRun: v.FirstRun,
			Faults: v.Faults, ShrunkFrom: v.ShrunkFrom, Shrink: v.Summary(), Repro: v.Repro, Replay: v.Replay,
			Label: v.Title(), Shape: v.Shape, Explanation: v.Explanation})
	}
	for _, c := range r.CoverageClasses() {
		if cv := r.Coverage[c]; cv != nil {
			e.Coverage = append(e.Coverage, record.ClassCoverage{Class: c, Drawn: cv.Drawn, Fired: cv.Fired})
		}
	}
	if s := r.Scope; s != nil {
		e.Scope = &record.ExploreScope{Description: s.Description, MaxFaults: s.MaxFaults, Singles: s.Singles,
			Schedules: s.Schedules, Guarantee: s.Guarantee}
		for _, c := range ScopeClasses {
			if n := s.ByClass[c]; n != nil {
				e.Scope.Classes = append(e.Scope.Classes, record.ScopeClass{Class: c, Faults: n.Faults, Schedules: n.Schedules, Failing: n.Failing})
			}
		}
	}
	return e
}

// CoverageClasses are the fault classes of the report's coverage, in
// order: an exhaustive exploration's scope classes, or the grammar's
// (Grammar, then ExternalGrammar's own classes) that the coverage counts,
// then any other it counts, sorted.
func (r *Report) CoverageClasses() []string {
	if r.Scope != nil {
		return ScopeClasses
	}
	var classes []string
	seen := map[string]bool{}
	for _, g := range [][]Production{Grammar, ExternalGrammar} {
		for _, p := range g {
			if _, ok := r.Coverage[p.Class]; ok && !seen[p.Class] {
				seen[p.Class] = true
				classes = append(classes, p.Class)
			}
		}
	}
	var rest []string
	for c := range r.Coverage {
		if !seen[c] {
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	return append(classes, rest...)
}
