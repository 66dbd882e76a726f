// Package wire is the BITS upload protocol's vocabulary, shared by the
// server nodes, the mock application and the client: the BITS_POST method,
// packet types, header names in IIS's spelling, the protocol GUID,
// HRESULTs and error contexts, Content-Range and BITS-Received-Content-Range
// parsing and formatting, session ids, and building and parsing Acks.
//
// It is a leaf: it imports only the standard library. Names follow the
// protocol digest (docs/protocol.md); headers are read
// case-insensitively and written with the exact spelling IIS uses.
//
//	req, _ := wire.NewRequest(ctx, url, wire.Fragment, sid, body, r.Len())
//	wire.SetExact(req.Header, wire.HdrContentRange, r.String())
//	resp, _ := http.DefaultClient.Do(req)
//	ack, err := wire.ParseAck(resp.StatusCode, resp.Header)
package wire
