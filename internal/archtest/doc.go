// Package archtest guards the shape of bitsim's import graph in CI: its
// test lists every package of the module with `go list -json` and fails on
// an import that breaks the layering (README.md, "Layout"):
//
//   - nothing but cmd/... depends on scenarios, reports or cmd/...;
//   - only farm/proxy imports toxiproxy (cmd/bitsim's tests may import
//     toxiproxy's REST client package);
//   - client does not depend on app (they share only txn);
//   - wire, sim, txn and ledger depend on no bitsim package;
//   - check depends on neither the farm, the client nor the app;
//   - reports and record (saved runs) depend, of bitsim, only on record,
//     check, ledger, knob (with internal/enum), faults (the schedule's
//     data) and sim: no toxiproxy, farm, app, client or scenarios;
//   - faults (schedules and the fault-action registry) depends on neither
//     the farm, the client nor the app: the farm implements faults.Target;
//   - no non-test package imports internal/testutil or goleak.
//
// The rules are data (rules.go) checked against a graph, so a rule is
// tested against a graph that breaks it as well as against the real one.
package archtest
