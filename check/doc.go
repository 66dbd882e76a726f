// Package check judges a finished run from what it left behind: the
// history of events (package sim) and the application's ledger (package
// ledger). Checkers never drive the farm; they read, so they can be re-run on
// saved runs (bitsim report) and a new checker applies to old runs.
//
// Every checker returns a Verdict: pass, fail or unknown (the history does
// not allow a conclusion, e.g. a job whose final Ack was lost may or may not
// have been delivered), with findings that explain it in words. The
// duplicate checker explains each extra delivery with its cause chain: the
// fault, the protocol step it hit, the client's retries and restarts, and
// the node whose second notification delivered the file again.
//
//	in := check.Input{Events: hist.Events(), Ledger: a.Ledger(), Schedule: sched}
//	for _, v := range check.Run(in, check.All()...) {
//		fmt.Println(v)
//	}
//
// # Writing a checker
//
// A checker is one file (hostid.go is a worked example) plus its line in
// All; nothing else changes: scenarios judge every run with All, `bitsim
// report` re-checks saved runs with today's checkers, and the reports list
// whatever verdicts a run has. The rules:
//
//   - Read only Input. Use the typed fields of sim.Event (Step, Reason,
//     Timer, HostID, SHA256, Fault, Trigger, Action, Link, Listen, ...),
//     never Detail: it is human text, and a test fails if check/ or
//     reports/ mention it. If a fact you need is only in Detail, add a
//     typed field to sim (vocab.go), set it in the emitter, and teach
//     sim.Upgrade to fill it from schema-1 histories.
//   - Pair requests with answers through sim.Exchanges (the index keeps
//     one: ix.ops), not by walking events: a request whose answer was lost
//     is OutcomeUnknown, not failed.
//   - Return pass, fail or unknown with findings that say which job, node
//     and event (#seq) and why; put counts in Figures (scenario
//     expectations and reports read them). A run the property does not
//     apply to passes with "nothing to check" in its summary.
//   - Test it passing on a control history and failing on one where it
//     must (hostid_test.go: a saved run, then the same run with one packet
//     redirected). Saved runs written before the checker existed are
//     re-checked with it: it must pass on the fixtures.
package check
