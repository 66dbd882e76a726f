// Package mutant holds bitsim's mutation suite: named, realistic defects
// (a client that re-sends from byte 0, a toxic that does nothing, a
// checker that trusts the node) planted in the production code behind
//
//	if mutant.On("client-resend-from-zero") { ... the defect ... }
//
// In a normal build On is a constant false, so the compiler drops the
// defect and production code pays nothing. Built with `-tags mutants`, On
// reports whether the environment variable BITSIM_MUTANT names that
// mutant: one defect at a time. Every name used in the code is registered
// in All with the component it lives in, what it breaks and the catalogue
// scenario expected to kill it (TestRegistry checks both directions, and
// README.md's mutation table is generated from All).
//
// `bash scripts/mutants.sh` builds bitsim once with the tag, runs the
// catalogue once per mutant with a fixed seed and prints which scenario
// runs failed (killed the mutant); its last line is
// "mutation score: K/N killed".
package mutant
