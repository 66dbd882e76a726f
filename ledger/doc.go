// Package ledger holds the mock application's ledger as data: one Delivery
// per notification the app read, and the Snapshot served at
// GET <base>/ledger and saved as ledger.json in a run directory.
//
// It is a leaf (standard library only) so that readers of saved runs —
// the checkers (package check), the saved-run package (record) and the
// reports — need not link the app server (package app), which writes it.
//
//	snap := a.Snapshot() // *app.App
//	for _, d := range snap.Deliveries {
//		fmt.Println(d.Seq, d.Key(), d.Effect)
//	}
package ledger
