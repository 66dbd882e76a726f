// Package conform is a black-box conformance and robustness suite for any
// BITS upload server: `bitsim conform URL` runs it. It speaks raw HTTP/1.1
// over its own connections (so it controls every header, Content-Length,
// chunking and which TCP connection a packet travels on), and runs a
// catalogue of probes grouped by the sections of docs/protocol.md:
//
//	negotiation   Create-Session, the GUID list, GUID case, missing/unknown protocol  §2, §3.1, §4.2, §5.2
//	packets       packet types and their case, bodies, missing headers               §2, §4
//	fragments     contiguous, overlap, duplicate, gap, bad ranges, cut bodies          §7
//	sessions      new TCP connections, unknown/cancelled/closed sessions, id case      §4.4, §4.5, §6.3, §14
//	errors        the form of every Ack: Content-Length, BITS-Packet-Type, code, context §5, §6
//	limits        4 KB headers, 100 GUIDs, session id length, size limits if known    §2, §3.1, §7.5, §9
//	notification  notified once, not early, not again; reply download, ranges, removal §7.3, §10, §11
//
// Each probe passes, fails or is not applicable; a failure names the
// section and carries every exchange the probe made, as it went over the
// wire. A probe stops at its first violation and checks only its own
// property, so one defect fails a small, predictable set of probes (the
// package's tests pin that set for 20 deliberately defective servers).
//
// Acks are read leniently by the protocol probes, as clients read them; the
// errors probes apply the strict form. Where the sources disagree the
// probes accept both readings (K1: an overlap gets 200 or 416). Sessions
// follow BITS-Host-Id like a client (§12.4).
//
// # What the server stored
//
// Acks can look right while the stored file is wrong (an overlapping retry
// written twice, a gap acknowledged). Probes that complete an upload check
// the result through every channel configured (store.go):
//
//   - Config.LedgerURL: the ledger of a bitsim mock application (package app)
//     the server notifies: size and SHA-256 of what it handed over, and how
//     many times. `bitsim conform` starts one and prints its notification
//     URL; a calibration upload decides whether the server notifies it
//     (Config.LedgerOptional).
//   - Config.StoredDir: the directory where finished uploads appear.
//   - Config.VerifyCmd: a shell command that prints the stored file.
//
// Without a channel those checks are skipped with a note and the
// notification probes are not applicable.
//
//	rep, err := conform.Run(ctx, conform.Config{URL: "http://127.0.0.1:8080/upload/",
//		LedgerURL: "http://127.0.0.1:9000/ledger"})
//	if err != nil { ... }                       // set-up only: bad URL or pattern
//	paths, err := rep.Write("out", nil)         // report.json, junit.xml, summary.md, report.html
//	if rep.Failed() { os.Exit(1) }
//
// Adding a probe: write it in the probes_<group>.go of its group with
// probe(group, name, section, title, func(t *T) {...}), drive the server
// through T's helpers (create, frag, sendAll, closeOK, wantReceived,
// wantBadRequest, wantNotFound, expectStored, ...), make it pass against
// the node in the package's tests, and add it to the want list of every
// defect it catches (defects_test.go).
package conform
