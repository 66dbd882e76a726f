// Package txn is the transaction-id envelope. An upload that carries a
// transaction id starts with one header line and then the payload,
// unchanged:
//
//	bitsim-txn: <id>\n
//	<payload bytes>
//
// The id is 1–128 printable ASCII characters without spaces. The envelope
// is part of the uploaded data, so it survives every retry, restart and
// re-forward: an application that de-duplicates on it (app's Idempotent
// mode) applies each transaction once however often BITS delivers the
// file.
//
//	body, _ := txn.Wrap("T-42", payload)   // the client side (or WrapReader, Header)
//	id, payload, err := txn.Unwrap(body)   // the app side; ErrNoEnvelope without one
//
// It is a leaf: it imports only the standard library, so the client and
// the application share it without depending on each other.
package txn
