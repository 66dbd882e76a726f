package client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/bitsim/bitsim/wire"
)

// JobError is why a job went to ERROR or TRANSIENT_ERROR: an error Ack, a
// transport failure, a malformed response or a local-file problem, with the
// HRESULT and context BITS would report (IBackgroundCopyError).
//
// errors.Is matches a *JobError target by Code (ErrNoProgress,
// ErrLocalFileChanged), and reaches the wrapped *wire.Error of an error Ack
// (errors.Is(err, wire.ErrSessionNotFound)).
type JobError struct {
	// Packet is the request that failed: a BITS packet type ("Fragment") or
	// "GET" for the reply download; empty for job-level errors.
	Packet string
	// Status is the HTTP status of an error Ack or reply GET (0 otherwise).
	Status int
	// Code is the HRESULT: the Ack's BITS-Error-Code, BG_E_HTTP_ERROR_nnn
	// when the Ack had none, a WinHTTP error for transport failures, or
	// BG_E_* for client-side errors.
	Code wire.HRESULT
	// Context is BG_ERROR_CONTEXT: 5/7 from the server, 6 for transport, 4
	// for the local file.
	Context wire.Context
	// Class is Transient (retried after MinRetryDelay) or Fatal.
	Class wire.Class
	// Err is the underlying error, if any.
	Err error
}

func (e *JobError) Error() string {
	var b strings.Builder
	b.WriteString("client: ")
	if e.Packet != "" {
		b.WriteString(e.Packet + ": ")
	}
	fmt.Fprintf(&b, "%s, context %s (%s)", e.Code, e.Context, e.Class)
	if e.Status != 0 {
		fmt.Fprintf(&b, ", status %d", e.Status)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *JobError) Unwrap() error { return e.Err }

// Is matches a *JobError target with the same Code.
func (e *JobError) Is(target error) bool {
	t, ok := target.(*JobError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	// ErrNoProgress: the no-progress time-out expired (BG_E_NO_PROGRESS).
	ErrNoProgress = &JobError{Code: wire.BGENoProgress}
	// ErrLocalFileChanged: the source changed during the job
	// (BG_E_LOCAL_FILE_CHANGED).
	ErrLocalFileChanged = &JobError{Code: wire.BGELocalFileChanged}
	// ErrCancelled is returned by Run for a cancelled job.
	ErrCancelled = errors.New("client: job cancelled")
)

// dialError marks a failure to connect, for the [W] fallback rule and for
// WinHTTP's ERROR_WINHTTP_CANNOT_CONNECT.
type dialError struct{ err error }

func (d *dialError) Error() string { return "dial: " + d.err.Error() }
func (d *dialError) Unwrap() error { return d.err }

// guardTimeout is the cancellation cause of an exchange whose request or
// response guard fired.
type guardTimeout struct{ which string }

func (g *guardTimeout) Error() string { return "client: " + g.which + " timed out" }

func isDial(err error) bool {
	var d *dialError
	return errors.As(err, &d)
}

// transportError classifies a failed HTTP exchange (§6.3: transient,
// context 6) by the WinHTTP error Windows would report.
func transportError(packet string, err, cause error) *JobError {
	code := wire.WinHTTPConnectionError
	var g *guardTimeout
	var dns *net.DNSError
	switch {
	case errors.As(cause, &g):
		code = wire.WinHTTPTimeout
		err = fmt.Errorf("%w (%v)", g, err)
	case errors.As(err, &dns):
		code = wire.WinHTTPNameNotResolved
	case isDial(err):
		code = wire.WinHTTPCannotConnect
	case strings.Contains(err.Error(), "malformed HTTP"):
		code = wire.WinHTTPInvalidServerResponse
	}
	return &JobError{Packet: packet, Code: code, Context: wire.ContextGeneralTransport, Class: wire.Transient, Err: err}
}

// protocolError is a response the client cannot act on (malformed header,
// missing required header, offset outside [0, size]): fatal, reported as
// ERROR_WINHTTP_INVALID_SERVER_RESPONSE with context REMOTE_FILE. Fatal
// rather than transient so that a misbehaving server is noticed at once
// instead of after the no-progress time-out.
func protocolError(packet string, status int, err error) *JobError {
	return &JobError{Packet: packet, Status: status, Code: wire.WinHTTPInvalidServerResponse,
		Context: wire.ContextRemoteFile, Class: wire.Fatal, Err: err}
}

// localError is a problem with the local file (context 4, fatal).
func localError(code wire.HRESULT, err error) *JobError {
	return &JobError{Code: code, Context: wire.ContextLocalFile, Class: wire.Fatal, Err: err}
}

// ackError turns an error Ack to packet p into a JobError classified by the
// special rules of §6.3 and then the table of §6.5:
//
//   - BG_E_SESSION_NOT_FOUND: Class is irrelevant, the job restarts (see
//     isSessionNotFound); for Cancel-Session it is ignored.
//   - 401/407: fatal (the harness client has no credentials to offer).
//   - BG_E_TOO_LARGE (500): fatal ([S]; the table alone would say
//     transient).
//   - 409 or 403 to Create-Session from the server (not context 7): the
//     destination exists and may not be overwritten, fatal (K3).
//   - Close-Session and Cancel-Session: 5xx transient (resend), 1xx–4xx fatal
//     (do not retry) [W].
//   - everything else: wire.Classify(status), whatever the context (5 or 7).
//
// 413 and 416 never get here: the Fragment step handles them.
func ackError(p wire.PacketType, a wire.Ack) *JobError {
	we := a.Err().(*wire.Error)
	e := &JobError{Packet: p.String(), Status: a.Status, Code: a.Code, Context: a.Context, Err: we}
	if !a.HasError {
		e.Code = wire.HTTPError(a.Status)
		e.Context = wire.ContextRemoteFile
	}
	switch {
	case a.Status == http.StatusUnauthorized || a.Status == http.StatusProxyAuthRequired:
		e.Class = wire.Fatal
	case a.HasError && a.Code == wire.BGETooLarge:
		e.Class = wire.Fatal
	case p == wire.CreateSession && a.Status == http.StatusConflict && a.Context != wire.ContextRemoteApplication:
		e.Class = wire.Fatal
	case p == wire.CloseSession || p == wire.CancelSession:
		if a.Status >= 500 && a.Status <= 599 {
			e.Class = wire.Transient
		} else {
			e.Class = wire.Fatal
		}
	default:
		e.Class = wire.Classify(a.Status)
	}
	return e
}

// isSessionNotFound reports whether err is an error Ack with
// BG_E_SESSION_NOT_FOUND.
func isSessionNotFound(err error) bool {
	var je *JobError
	return errors.As(err, &je) && je.Status != 0 && je.Code == wire.BGESessionNotFound
}
