// Package orderapp is an example server application for a BITS upload
// farm, written only against the contract in the README ("Testing your
// application"), without importing bitsim: each upload is an order, stored
// as a row in SQLite (modernc.org/sqlite, pure Go, no cgo).
//
// It runs in two modes. Naive inserts a row for every notification, so
// every path on which BITS delivers a file twice (spec §14 cases 4, 5, 7)
// creates a second order; bitsim catches it. Idempotent keys the table on
// the transaction id carried in the upload and answers 200 to a repeat
// without a second row; bitsim passes it.
//
// It serves the effect probe bitsim reads after a run:
//
//	GET /effects  →  {"effects": {"<txn>": <rows>, ...}}
//
// Run it and test it (see cmd/orderapp):
//
//	go run ./examples/orderapp/cmd/orderapp --mode naive --listen 127.0.0.1:8088 --db /tmp/orders.db &
//	go run ./cmd/bitsim run --app-url http://127.0.0.1:8088/notify --effects-url http://127.0.0.1:8088/effects --label seed-doc
package orderapp
