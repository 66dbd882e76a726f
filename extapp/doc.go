// Package extapp connects a farm to the user's own server application (an
// "external app"): a service outside bitsim that the farm's nodes notify
// exactly as the IIS BITS extension does (spec §10), through the same
// toxiproxy links (app-from-nodeK) as the mock application.
//
// bitsim cannot see inside an external app, so this package provides the
// two views it can have:
//
//   - the node side: Recorder is the http.RoundTripper the nodes notify
//     through. It records each notification the app was sent (the bytes it
//     was given, their SHA-256, the transaction id, the node) and the answer
//     (status, or why none came) as an ledger.Delivery, and emits the
//     app.delivery / app.replied events the checkers and reports read. By
//     reference it also notices an app that answers 200 without opening the
//     file (ReadCheck).
//   - the app's side: Probe reads the app's own count of effects per
//     transaction, from an HTTP endpoint (GET → {"effects": {"<txn>": N}})
//     or a shell command printing the same JSON, e.g. a query on the app's
//     database. Diff gives the effects of one run.
//
// Usage:
//
//	if err := extapp.CheckReachable(ctx, appURL); err != nil { ... }   // fail fast
//	rec := extapp.NewRecorder(extapp.RecorderConfig{Clock: clock, Events: hist})
//	// nodes: NotifyClient = &http.Client{Transport: rec}
//	p := extapp.Probe{URL: effectsURL}
//	before, _ := p.Read(ctx)
//	... run the jobs ...
//	after, err := p.Read(ctx)
//	delta := extapp.Diff(before, after) // effects applied during the run
//	ledger := rec.Ledger()
package extapp
