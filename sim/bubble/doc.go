// Package bubble runs functions inside testing/synctest bubbles, from a
// command as well as from a test binary, so that a scenario runs on exact
// virtual time: the bubble's clock only moves when every goroutine of the
// bubble is durably blocked (see ../../docs/virtual-time.md).
//
// Go has no public entry point for bubbles outside tests. In a command,
// Run hosts them through testing.MainStart with a minimal implementation
// of testing's (unexported, not covered by the Go 1 promise) testDeps
// interface: one long-lived test function receives work and calls
// synctest.Test once per run. TestDepsShape fails loudly when testing's
// interface changes; build with -tags bitsim_testingmain to use the
// fallback, which runs the whole command inside testing.Main's test
// function (see Main).
//
// In a test binary, register the running test with Use; Run then hosts
// bubbles as synctest tests of it.
package bubble
