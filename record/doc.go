// Package record is a saved run as data: what a scenario is (Scenario and
// its specs), what it must produce (Expect), what came out (Result) and how
// a run directory is laid out on disk. It reads and writes runs; it never
// drives a farm. Package scenarios plays scenarios and fills Results;
// package reports and `bitsim report` read them back through this package
// alone, so rebuilding a report links neither the farm nor the proxy.
//
// A run directory (see RunIndex, Result.Save, LoadRun):
//
//	out/run-42/
//	  run.json                 RunIndex: seed, command, one entry per scenario run
//	  control/                 one directory per scenario run (DirName)
//	    scenario.json          the Scenario as run (expectations included)
//	    history.json           the events (sim.Event), in order, with their schema (sim.EncodeHistory)
//	    ledger.json            the app's ledger (ledger.Snapshot)
//	    result.json            the Result: verdicts, figures, job outcomes
//	  random@3054071396869722/ randomized scenarios carry their seed
//
// # Expectations
//
// Expect is declarative, so scenario.json holds all of it and `bitsim
// replay` and `bitsim report` judge a saved run exactly as the catalogue
// does. Every field is optional; unset fields are not checked. The
// vocabulary:
//
//   - totals over all jobs: deliveries, effects, restarts, sessions (exact);
//     min/max_deliveries, min/max_bytes_resent (bounds);
//   - job outcome: job_state (default ACKNOWLEDGED) and job_code, for every
//     job; jobs (JobExpect) bounds one job's or every job's client figures
//     (sessions, restarts, retries, resyncs, bytes_sent);
//   - checkers: verdicts maps a checker to pass, fail, unknown or any
//     (unlisted checkers must not fail); explain lists phrases the
//     duplicate checker's explanation must contain;
//   - history: events / no_events name kinds that must (not) occur
//     ("kind" or "kind:text"); event_counts (EventCount) bounds how many
//     events of a kind match given fields, or how many distinct nodes,
//     sessions, ... they touch;
//   - time: min_protocol_time.
//
// A failed expectation becomes one line of Result.Failures.
//
// Re-judging a saved run with today's checkers:
//
//	idx, results, err := record.LoadRun("out/run-42")
//	for _, r := range results {
//		r.Recheck() // checkers + the saved scenario's expectations
//		fmt.Println(r.Scenario, r.Passed, r.Failures)
//	}
package record
