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
// Re-judging a saved run with today's checkers:
//
//	idx, results, err := record.LoadRun("out/run-42")
//	for _, r := range results {
//		r.Recheck() // checkers + the saved scenario's expectations
//		fmt.Println(r.Scenario, r.Passed, r.Failures)
//	}
package record
