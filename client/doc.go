// Package client is bitsim's BITS upload client: it runs upload and
// upload-reply jobs against a BITS upload server (a farm node, a farm's
// shared address, or a real IIS) the way the Windows BITS client does,
// reporting every packet, error, state change and timer to a sim.Sink so
// that scenarios and checkers can replay what happened. The spec digest
// (docs/protocol.md) is the reference; section numbers
// below point into it.
//
// # Usage
//
//	job, err := client.NewJob(client.Options{
//		Clock:  clock,      // sim.Real{} by default; sim.Virtual to compress days
//		Events: history,    // every request, response, state and timer
//		FragmentSize: 1 << 20,
//	}, client.JobSpec{
//		ID:        "job-1",
//		Type:      client.UploadReply,
//		LocalFile: "report.dat",
//		RemoteURL: "http://127.0.0.1:8080/upload/inbox/report.dat",
//		ReplyFile: "reply.bin",
//		Txn:       "T-42", // optional transaction-id envelope (package txn)
//	})
//	if err != nil { ... }
//	res, err := job.Run(ctx) // res.State == client.Acknowledged on success
//
// Run drives the protocol state machine of §12.1: Create-Session, a Ping
// whenever a BITS-Host-Id arrives and on every resume, Fragments (§7.4),
// the reply download for upload-reply jobs (§11), Close-Session, then
// TRANSFERRED and ACKNOWLEDGED (§12.2). Cancel sends Cancel-Session and
// ends in CANCELLED. Cancelling Run's context suspends the job; calling
// Run again resumes it (Ping, same session, same offset).
//
// # Behaviour in brief
//
//   - Offsets follow BITS-Received-Content-Range forwards and backwards on
//     200 and 416, range-checked against [0, size]; 413 halves the fragment
//     (never below 5 KB; a 413 at 5 KB is fatal); 0x8020001F opens a new
//     session and restarts at byte 0 (Result.Restarts).
//   - Errors are classified by §6.3 and the table of §6.5 (see ackError);
//     transport failures are transient with context 6 and a WinHTTP
//     HRESULT. Transient errors are retried after MinRetryDelay until
//     NoProgressTimeout, then ERROR with BG_E_NO_PROGRESS; the time-out
//     also bounds a hung request (see Options.NoProgressTimeout).
//   - Liberal in what it accepts from deployed servers: error headers on a
//     2xx Ack are recorded as a client.warning event and ignored; a 416
//     without BITS-Received-Content-Range follows Options.RangeMissing and
//     messages name a near-miss spelling of the header.
//   - BITS-Host-Id rewrites the host of every later packet (keeping the
//     original port; "host:port" is a harness extension); the fallback timer
//     follows knob K8 and reverts to the original URL when it expires.
//   - The source is read from disk by offset and re-checked before every
//     Fragment; a change fails the job with BG_E_LOCAL_FILE_CHANGED.
//   - Headers are read case-insensitively; Acks may omit BITS-Session-Id,
//     use 201 for Create-Session, BITS-Error instead of BITS-Error-Code, hex
//     with or without 0x; session ids are opaque.
//
// # Time
//
// Retry delays are waits (Clock.Sleep); request and response timeouts are
// guards (Clock.WithTimeout) around the two phases of every exchange, and
// the no-progress deadline is a third guard on every exchange; the host-id
// fallback deadline is compared with Clock.Now before each step. On a sim.Virtual clock with AutoAdvance a one-day
// fallback scenario runs in well under a second; the job also keeps a
// short guard pending while it runs (see holdClock), so the idle detector
// cannot jump over other components' timers while the client is busy.
//
// Knobs and defaults are documented on Options; choices the spec leaves
// open are documented where they are made (NewJob, Complete, Cancel,
// protocolError, uploaded).
package client
