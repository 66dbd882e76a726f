// Package reports turns a saved run into the reports people and CI read:
// report.json (a versioned schema), junit.xml, summary.md (a CI job
// summary) and report.html (one self-contained page with a sequence
// diagram and a bytes-acknowledged plot per scenario run).
//
// It only reads: its input is a run as scenarios.RunCatalogue returns it
// or record.LoadRun reads it back from a run directory (run.json and one
// subdirectory per scenario run). It never drives a farm, and never
// re-runs checkers: `bitsim report` calls Result.Recheck before Write when
// a saved run should be judged by today's checkers, and `bitsim replay`
// re-runs a scenario.
//
//	idx, results, err := record.LoadRun("out/run-42")
//	paths, err := reports.Write("out/run-42", idx, results, reports.AllFormats)
//
// Every scenario run names the command that replays it (ReplayCommand):
//
//	bitsim replay out/run-42 --scenario case4-fallback-duplicate
//	bitsim replay out/run-42 --scenario random@3054071396869722
//
// # Schema and version policy
//
// report.json is a Report; its "schema" field is "bitsim-report/N" (the
// Schema constant). Within one N, changes are additive only: new fields
// may appear (readers must ignore unknown fields), existing fields keep
// their name, type and meaning, and no field is removed. Renaming or
// removing a field, or changing its meaning or type, bumps N. Durations are
// integers in nanoseconds (fields ending in _ns) with a readable twin;
// protocol times are offsets from the run's first event. Wall-clock fields
// (run.started, run.wall_seconds, time.wall*, time.compression) are zero
// when the report is normalized (Options.Normalize), which golden tests use.
//
// With Options.Rates (`bitsim explore --rates`) the report also carries a
// duplicate-rate table (record.RateTable): report.json's "rates",
// a section of summary.md and a bar chart in report.html (each class
// labelled with the farm it is played on). A run with a
// table and no scenario runs leaves the empty scenario tables out.
//
// With Options.Exploration (`bitsim explore`) the report carries the
// exploration (record.Exploration): report.json's "explore", an
// Exploration section on top of summary.md and report.html (headline,
// violations with reproducer and replay command or every invariant held,
// coverage, an exhaustive scope's table and bounded guarantee), the
// scenario runs being its reproducers'. Without scenario runs (every
// invariant held) junit.xml holds one testsuite "bitsim.explore" with a
// testcase per invariant.
//
// junit.xml follows the common JUnit schema (testsuites, testsuite,
// testcase, failure/error, system-out): one testcase per scenario run.
// summary.md and report.html are for people and carry no compatibility
// promise beyond naming each failure's replay command.
package reports
