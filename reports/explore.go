package reports

import (
	"fmt"
	"strings"

	"github.com/bitsim/bitsim/record"
)

// exploreVerdict is the exploration in a few words: "300 runs, every
// invariant held", "300 runs, 1 distinct violation (12 failing runs)".
func exploreVerdict(e record.Exploration) string {
	what := plural(e.Runs, "run")
	if e.Scope != nil {
		what = "exhaustive small scope, " + plural(e.Runs, "schedule")
	}
	if e.Held() {
		return what + ", every invariant held"
	}
	return fmt.Sprintf("%s, %s (%s)", what, plural(len(e.Violations), "distinct violation"), plural(e.FailingRuns, "failing run"))
}

// exploreHeadline is the exploration's figures in a line: seed, app, runs,
// rate, failing runs, distinct violations, shard.
func exploreHeadline(e record.Exploration) string {
	parts := []string{fmt.Sprintf("seed %d", e.Seed), "app " + e.App,
		fmt.Sprintf("%s in %.1f s (%.0f runs/min)", plural(e.Runs, "run"), e.ExploreSeconds, e.RatePerMin),
		plural(e.FailingRuns, "failing run"), plural(len(e.Violations), "distinct violation")}
	if e.Shard != "" {
		parts = append(parts, "shard "+e.Shard)
	}
	if e.Shards > 0 {
		parts = append(parts, "merged from "+plural(e.Shards, "shard"))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing shards "+strings.Join(e.Missing, ", "))
	}
	return strings.Join(parts, " · ")
}

// heldInvariants are the invariants no violation names.
func heldInvariants(e record.Exploration) []string {
	broken := map[string]bool{}
	for _, v := range e.Violations {
		broken[v.Invariant] = true
	}
	var held []string
	for _, n := range e.Invariants {
		if !broken[n] {
			held = append(held, n)
		}
	}
	return held
}

// scopeLine describes an exhaustive exploration's scope.
func scopeLine(s record.ExploreScope) string {
	return fmt.Sprintf("Scope: %s; %s, %s of at most %s.", s.Description, plural(s.Singles, "single fault"),
		plural(s.Schedules, "schedule"), plural(s.MaxFaults, "fault"))
}

// noGuarantee says why an exhaustive exploration states no bounded
// guarantee ("" when it states one).
func noGuarantee(e record.Exploration) string {
	switch {
	case e.Scope == nil || e.Scope.Guarantee != "":
		return ""
	case !e.Held():
		return fmt.Sprintf("No bounded guarantee for this scope: %d of the %s broke an invariant.", e.FailingRuns, plural(e.Runs, "schedule"))
	}
	return fmt.Sprintf("No bounded guarantee: the scope was not played in full (%s played).", plural(e.Runs, "schedule"))
}

// exploreCoverage is one row of the coverage table: a class's faults
// placed and fired, and, for an exhaustive exploration, its single faults
// and the schedules containing one, and how many failed.
type exploreCoverage struct {
	record.ClassCoverage
	Faults, Schedules, Failing int
}

// coverageRows joins the coverage and an exhaustive scope's per-class
// counts into one table, in the coverage's order.
func coverageRows(e record.Exploration) []exploreCoverage {
	scoped := map[string]record.ScopeClass{}
	if e.Scope != nil {
		for _, c := range e.Scope.Classes {
			scoped[c.Class] = c
		}
	}
	var rows []exploreCoverage
	for _, c := range e.Coverage {
		row := exploreCoverage{ClassCoverage: c}
		if s, ok := scoped[c.Class]; ok {
			row.Faults, row.Schedules, row.Failing = s.Faults, s.Schedules, s.Failing
		}
		rows = append(rows, row)
	}
	return rows
}

// writeExploreMarkdown writes summary.md's exploration section: the
// headline, the violations (or every invariant held), the coverage and an
// exhaustive exploration's bounded guarantee.
func writeExploreMarkdown(b *strings.Builder, e record.Exploration) {
	b.WriteString("### Exploration\n\n")
	b.WriteString(mdText(exploreHeadline(e)) + "\n\n")
	if e.Held() {
		fmt.Fprintf(b, "✅ **Every invariant held** in every run (%s).\n\n", mdText(strings.Join(e.Invariants, ", ")))
	} else {
		b.WriteString("| | Invariant | Runs seen | Faults in reproducer | Reproducer | Replay |\n|---|---|---:|---|---|---|\n")
		for _, v := range e.Violations {
			fmt.Fprintf(b, "| ❌ | %s | %d | %s | `%s` | `%s` |\n", mdCell(v.Invariant), v.Seen, mdCell(v.Shrink),
				mdCell(mdCode(v.Repro)), mdCell(mdCode(v.Replay)))
		}
		if held := heldInvariants(e); len(held) > 0 {
			fmt.Fprintf(b, "\nHeld in every run: %s.\n", mdText(strings.Join(held, ", ")))
		}
		b.WriteString("\n<details><summary>Violations explained</summary>\n\n")
		for _, v := range e.Violations {
			fmt.Fprintf(b, "**%s** (first in run %d): %s\n\n```text\n%s\n```\n\n", mdText(v.Invariant), v.FirstRun, mdText(v.Title()),
				strings.ReplaceAll(strings.TrimRight(v.Explanation, "\n"), "```", "'''"))
		}
		b.WriteString("</details>\n\n")
	}
	rows := coverageRows(e)
	if e.Scope != nil {
		b.WriteString("#### Exhaustive scope\n\n" + mdText(scopeLine(*e.Scope)) + "\n\n")
		b.WriteString("| Fault class | Single faults | Schedules | Failing | Faults placed | Fired |\n|---|---:|---:|---:|---:|---:|\n")
		for _, r := range rows {
			fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d |\n", mdCell(r.Class), r.Faults, r.Schedules, r.Failing, r.Drawn, r.Fired)
		}
		if g := e.Scope.Guarantee; g != "" {
			fmt.Fprintf(b, "\n> %s\n", mdText(g))
		} else {
			fmt.Fprintf(b, "\n%s\n", noGuarantee(e))
		}
		b.WriteString("\n")
		return
	}
	if len(rows) > 0 {
		b.WriteString("#### Coverage: faults drawn and fired per class\n\n| Fault class | Drawn | Fired |\n|---|---:|---:|\n")
		for _, r := range rows {
			fmt.Fprintf(b, "| %s | %d | %d |\n", mdCell(r.Class), r.Drawn, r.Fired)
		}
		b.WriteString("\n")
	}
}

// plural is "1 run", "2 runs" (digits grouped).
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return groupDigits(int64(n)) + " " + what + "s"
}

// exploreJUnit is the test suite of an exploration without reproducer
// runs (every invariant held): one test case per invariant, named after
// it (a stable name, so that CI test history follows it), passing unless a
// violation names it, so that a CI test view lists what was checked and
// how widely.
func exploreJUnit(r Report) JUnitSuite {
	e := *r.Explore
	su := JUnitSuite{Name: "bitsim.explore", Properties: []JUnitProperty{{"seed", fmt.Sprint(e.Seed)}, {"app", e.App},
		{"runs", fmt.Sprint(e.Runs)}, {"run_dir", r.Run.Dir}}, Time: fmt.Sprintf("%.3f", e.ExploreSeconds)}
	if e.Shard != "" {
		su.Properties = append(su.Properties, JUnitProperty{"shard", e.Shard})
	}
	if !r.Run.Started.IsZero() {
		su.Timestamp = r.Run.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, n := range e.Invariants {
		out := fmt.Sprintf("%s held in every run of the exploration (%s)\n", n, exploreHeadline(e))
		c := JUnitCase{Name: n, Classname: su.Name, Time: "0.000"}
		for _, v := range e.Violations {
			if v.Invariant == n {
				out = ""
				c.Failure = &JUnitFailure{Message: fmt.Sprintf("%s broken in %s: %s", n, plural(v.Seen, "run"), v.Title()), Type: "invariant",
					Text: fmt.Sprintf("reproducer: %s, %s\nreplay: %s\n\n%s\n", v.Repro, v.Shrink, v.Replay, v.Explanation)}
				su.Failures++
				break
			}
		}
		if c.Failure == nil && e.Scope != nil {
			out += scopeLine(*e.Scope) + "\n"
			if e.Scope.Guarantee != "" {
				out += e.Scope.Guarantee + "\n"
			}
		}
		if out != "" {
			c.SystemOut = &JUnitText{out}
		}
		su.Cases = append(su.Cases, c)
		su.Tests++
	}
	return su
}
