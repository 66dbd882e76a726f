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
package check
