// Package scenarios is bitsim's catalogue of reproducible BITS failure
// scenarios and the runner that plays them on an in-process farm.
//
// A Scenario (package record) is data: the farm's shape (nodes, host ids,
// balancer, storage, knobs), the app's mode, the client's knobs, the jobs,
// a fault schedule (faults.Schedule) and the expected outcome. Run plays it:
//
//  1. a farm (package farm) starts on a virtual clock, every link through
//     toxiproxy, seeded from the run's seed;
//  2. each job's payload is drawn from the seed and its source recorded;
//  3. the fault injector installs the schedule (plus random draws);
//  4. the jobs run concurrently as BITS clients (package client) while the
//     clock's idle detector jumps over retry delays and time-outs;
//  5. time is advanced past the session time-out and every node's cleanup
//     runs;
//  6. the checkers (package check) judge the history and the app's ledger,
//     and the expectations are compared with the outcome;
//  7. scenario.json, history.json, ledger.json and result.json are saved
//     (record.Result.Save; package record reads them back).
//
// The same seed replays the same run: payloads, transaction ids, session
// ids, balancer choices and random faults all derive from it.
//
//	res, err := scenarios.Run(ctx, scenarios.Catalogue()[0], sim.Seed(42), scenarios.RunOptions{Dir: "out/x"})
//	fmt.Println(res.Passed, res.Failures)
package scenarios
