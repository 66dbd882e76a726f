package wire

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a BITS protocol error: the HTTP status of an error Ack with its
// BITS-Error-Code and BITS-Error-Context. Servers return it from packet
// handlers and turn it into an Ack; clients get it from Ack.Err. errors.Is
// matches two Errors by code (and by status when the target sets one).
type Error struct {
	Status  int
	Code    HRESULT
	Context Context
	// HasCode is false for Acks that carried no BITS-Error-Code (413, some
	// 404s): then only the status identifies the error.
	HasCode bool
	// Msg is a human explanation; it never goes on the wire.
	Msg string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("bits: %d %s", e.Status, http.StatusText(e.Status))
	if e.HasCode {
		s += fmt.Sprintf(", %s, context %s", e.Code, e.Context)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is matches target if it is an *Error with the same code (when the target
// has one) and the same status (when the target sets one).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.HasCode && (!e.HasCode || t.Code != e.Code) {
		return false
	}
	return t.Status == 0 || t.Status == e.Status
}

// Ack returns the error Ack for e.
func (e *Error) Ack() Ack {
	return Ack{Status: e.Status, Code: e.Code, Context: e.Context, HasError: e.HasCode}
}

// WithMsg returns a copy of e with an explanation attached.
func (e *Error) WithMsg(format string, args ...any) *Error {
	c := *e
	c.Msg = fmt.Sprintf(format, args...)
	return &c
}

// Server-side errors of §5.3 and §6.3, for errors.Is and as templates
// (use WithMsg to explain a particular occurrence).
var (
	ErrBadRequest      = &Error{Status: 400, Code: EInvalidArg, Context: ContextRemoteFile, HasCode: true}
	ErrLengthRequired  = &Error{Status: 411, Code: EInvalidArg, Context: ContextRemoteFile, HasCode: true}
	ErrAccessDenied    = &Error{Status: 403, Code: EAccessDenied, Context: ContextRemoteFile, HasCode: true}
	ErrConflict        = &Error{Status: 409, Code: EAccessDenied, Context: ContextRemoteFile, HasCode: true}
	ErrNotFound        = &Error{Status: 404}
	ErrTooLargeFrag    = &Error{Status: 413}
	ErrSessionNotFound = &Error{Status: 500, Code: BGESessionNotFound, Context: ContextRemoteFile, HasCode: true}
	ErrTooLarge        = &Error{Status: 500, Code: BGETooLarge, Context: ContextRemoteFile, HasCode: true}
	ErrDiskFull        = &Error{Status: 500, Code: EDiskFull, Context: ContextRemoteFile, HasCode: true}
	ErrNotEnabled      = &Error{Status: 501, Code: EAccessDenied, Context: ContextRemoteFile, HasCode: true}
	ErrNotifyTimeout   = &Error{Status: 408, Code: ENotifyTimeout, Context: ContextRemoteApplication, HasCode: true}
)

// AppError is the error Ack for a server application that answered status
// (§6.3 note): the app's status, BG_E_HTTP_ERROR_nnn, context 0x7.
func AppError(status int) *Error {
	return &Error{Status: status, Code: HTTPError(status), Context: ContextRemoteApplication, HasCode: true}
}

// Class is how a client treats an error.
type Class int

// Error classes.
const (
	Transient Class = iota // retry after the minimum retry delay
	Fatal                  // job goes to ERROR
)

func (c Class) String() string {
	if c == Fatal {
		return "fatal"
	}
	return "transient"
}

// Classify applies the table of §6.5 to an HTTP status: 3xx transient except
// 300–305 and 307; 4xx fatal except 408 and 409; 5xx transient except 501
// and 505; anything else non-200 transient. (416, 413 and 0x8020001F have
// their own rules in the client and never reach this table.)
func Classify(status int) Class {
	switch {
	case status >= 300 && status < 400:
		if status <= 305 || status == 307 {
			return Fatal
		}
		return Transient
	case status >= 400 && status < 500:
		if status == 408 || status == 409 {
			return Transient
		}
		return Fatal
	case status >= 500 && status < 600:
		if status == 501 || status == 505 {
			return Fatal
		}
		return Transient
	}
	return Transient
}

// IsSessionNotFound reports whether err is BG_E_SESSION_NOT_FOUND.
func IsSessionNotFound(err error) bool { return errors.Is(err, ErrSessionNotFound) }
