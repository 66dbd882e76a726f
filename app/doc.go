// Package app is the mock server application that BITS server nodes notify
// when an upload completes (spec §3.2, §10, §11). It records every delivery
// in a ledger, applies "effects" naively or idempotently (de-duplicating on
// the transaction-id envelope of package txn, §14 case 6), produces a
// deterministic upload-reply, and takes runtime faults (latency, reply
// delay, injected HTTP status, crash points, down/restart), all timed on
// the injected sim.Clock and reported as app.* events on cfg.Events.
//
// Notifications are POSTs to any path under the base (documented:
// <base>/notify). By reference (BITS-Request-DataFile-Name present) the app
// reads the upload from that file and writes the reply to
// BITS-Response-DataFile-Name; by value the upload is the body and the reply
// is the response body. Uploads are hashed streamingly, never held in
// memory. The reply is ReplyFor(txn, sha256, size):
//
//	bitsim-reply txn=<txn> sha256=<hex> size=<n>\n
//
// GET <base>/ledger returns {"deliveries": [...], "effects": N}; see
// Delivery for the fields. GET <base>/reply/<sha256> serves a reply the app
// produced, for BITS-Static-Response-URL tests.
//
// De-duplication key: the txn if the upload carries an envelope, otherwise
// its sha256 plus BITS-Original-Request-URL (identical content uploaded to
// the same remote name is the same transaction). Delivery.Duplicate is set
// in both modes; only Idempotent mode skips the effect.
//
// A crash drops the connection with no response. By default only that
// answer is lost (the app restarts at once); with StayDown the app drops
// every notification until Restart. The ledger and de-dup table survive:
// they model the app's durable store.
//
// Usage:
//
//	a := app.New(app.Config{Mode: app.Idempotent, Clock: clock, Events: hist, Reply: true})
//	if err := a.Start(ctx, "127.0.0.1:0"); err != nil { ... }
//	defer a.Close()
//	// give a.NotifyURL() to the nodes as their notification URL
//	a.SetCrash(app.CrashAfterProcessing, 1) // §14 case 5: effect applied, answer lost
//	... run the upload ...
//	snap := a.Snapshot() // len(snap.Deliveries) == 2, snap.Effects == 1
package app
