// Package testutil holds the helpers bitsim's tests share across
// packages: the goroutine-leak options every test binary uses (goleak,
// with toxiproxy's documented leaks ignored, see proxy.LeakyTopFunctions),
// starting a BITS node, deterministic payloads and a buffer safe for
// concurrent writers.
//
// Only test code imports it (the import guard in internal/archtest checks
// this), so goleak never links into the binaries.
package testutil
