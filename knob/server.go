package knob

import (
	"encoding/json"

	"github.com/bitsim/bitsim/internal/enum"
)

// Notification is BITSServerNotificationType (§9): how a node hands a
// finished upload to the server application. The harness's default,
// the zero value, is NotifyReference (IIS's own default is 0, none); the
// parser also accepts IIS's numbers 0, 1 and 2.
type Notification int

// Notification types.
const (
	NotifyReference Notification = iota // POST with the file paths in headers (§10.2); IIS type 1
	NotifyValue                         // POST with the file as body; reply in the response body; IIS type 2
	NotifyNone                          // no notification; the upload goes to its destination path; IIS type 0
)

var notificationNames = enum.New[Notification]("knob", "notification type", "reference", "value", "none").
	Alias("1", NotifyReference).Alias("2", NotifyValue).Alias("0", NotifyNone)

func (t Notification) String() string                { return notificationNames.String(t) }
func (t Notification) MarshalText() ([]byte, error)  { return notificationNames.MarshalText(t) }
func (t *Notification) UnmarshalText(b []byte) error { return notificationNames.UnmarshalText(t, b) }

// ParseNotification parses "reference", "value" or "none" (or 1, 2, 0).
func ParseNotification(s string) (Notification, error) { return notificationNames.Parse(s) }

// Overlap is knob K1 (§15): how a Fragment starting before the next
// expected offset R is answered.
type Overlap int

// Overlap modes.
const (
	// OverlapLenient follows [W]: an overlap writes only the new bytes
	// R..L, a pure duplicate (L < R) gets 200 with the current R.
	OverlapLenient Overlap = iota
	// OverlapStrict follows [S 3.2.5.2.6]: any F != R gets 416 with R.
	OverlapStrict
)

var overlapNames = enum.New[Overlap]("knob", "overlap mode", "lenient", "strict")

func (m Overlap) String() string                { return overlapNames.String(m) }
func (m Overlap) MarshalText() ([]byte, error)  { return overlapNames.MarshalText(m) }
func (m *Overlap) UnmarshalText(b []byte) error { return overlapNames.UnmarshalText(m, b) }

// ParseOverlap parses "lenient" or "strict".
func ParseOverlap(s string) (Overlap, error) { return overlapNames.Parse(s) }

// Commit is knob K2 (§15): when an upload that is to be copied reaches its
// destination path. The app is always notified at the final fragment.
type Commit int

// Commit modes.
const (
	// CommitOnFinalFragment follows [W]: commit while answering the final
	// fragment, so a later Cancel-Session does not undo it.
	CommitOnFinalFragment Commit = iota
	// CommitOnClose follows [S]: commit at Close-Session; Cancel discards.
	CommitOnClose
)

var commitNames = enum.New[Commit]("knob", "commit mode", "on-final-fragment", "on-close")

func (m Commit) String() string                { return commitNames.String(m) }
func (m Commit) MarshalText() ([]byte, error)  { return commitNames.MarshalText(m) }
func (m *Commit) UnmarshalText(b []byte) error { return commitNames.UnmarshalText(m, b) }

// ParseCommit parses "on-final-fragment" or "on-close".
func ParseCommit(s string) (Commit, error) { return commitNames.Parse(s) }

// Conflict is knob K3 (§15): the status of Create-Session when the
// destination exists and overwrites are not allowed, always with
// 0x80070005 context 5. It is written as the status itself, a string in
// YAML and flags ("403") and a number in JSON (as saved runs always held).
type Conflict int

// Conflict statuses.
const (
	Conflict409 Conflict = iota // [W], default
	Conflict403                 // [S]
)

var conflictNames = enum.New[Conflict]("knob", "conflict status", "409", "403")

func (c Conflict) String() string                { return conflictNames.String(c) }
func (c Conflict) MarshalText() ([]byte, error)  { return conflictNames.MarshalText(c) }
func (c *Conflict) UnmarshalText(b []byte) error { return conflictNames.UnmarshalText(c, b) }

// ParseConflict parses "409" or "403".
func ParseConflict(s string) (Conflict, error) { return conflictNames.Parse(s) }

// Status returns the HTTP status, 409 or 403. (Literals, not net/http's
// constants: knob is read by record and reports, which need not link
// net/http.)
func (c Conflict) Status() int {
	if c == Conflict403 {
		return 403 // http.StatusForbidden
	}
	return 409 // http.StatusConflict
}

// MarshalJSON writes the status as a JSON number.
func (c Conflict) MarshalJSON() ([]byte, error) {
	if !conflictNames.Valid(c) {
		return nil, conflictErr(c)
	}
	return json.Marshal(c.Status())
}

// UnmarshalJSON reads a JSON number or string.
func (c *Conflict) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return c.UnmarshalText([]byte(s))
	}
	return c.UnmarshalText(b)
}

func conflictErr(c Conflict) error {
	_, err := conflictNames.MarshalText(c)
	return err
}

// Retention is knob K10 (§15): when the request file of a notified upload
// (types 1 and 2) is deleted.
type Retention int

// Retention modes.
const (
	// DeleteAfterAnswer follows [W]: once the app has answered 200, the
	// request file is deleted unless the app asked for
	// BITS-Copy-File-To-Destination. The reply file stays until Close.
	DeleteAfterAnswer Retention = iota
	// KeepUntilClose follows [S]: everything stays until Close, Cancel or
	// time-out.
	KeepUntilClose
)

var retentionNames = enum.New[Retention]("knob", "retention", "after-answer", "until-close")

func (r Retention) String() string                { return retentionNames.String(r) }
func (r Retention) MarshalText() ([]byte, error)  { return retentionNames.MarshalText(r) }
func (r *Retention) UnmarshalText(b []byte) error { return retentionNames.UnmarshalText(r, b) }

// ParseRetention parses "after-answer" or "until-close".
func ParseRetention(s string) (Retention, error) { return retentionNames.Parse(s) }

// ContentLength is what a node does with a body-less packet that has no
// Content-Length header (§2 rule 5 makes it mandatory).
type ContentLength int

// Content-Length modes.
const (
	// ContentLengthReject answers 400 / 0x80070057 as IIS does (default).
	ContentLengthReject ContentLength = iota
	// ContentLengthAccept takes a missing Content-Length on a packet other
	// than Fragment as 0, to host clients written for lenient servers. A
	// Fragment still needs it (its length is the fragment's), and a chunked
	// body is still refused.
	ContentLengthAccept
)

var contentLengthNames = enum.New[ContentLength]("knob", "missing-content-length mode", "reject", "accept")

func (m ContentLength) String() string                { return contentLengthNames.String(m) }
func (m ContentLength) MarshalText() ([]byte, error)  { return contentLengthNames.MarshalText(m) }
func (m *ContentLength) UnmarshalText(b []byte) error { return contentLengthNames.UnmarshalText(m, b) }

// ParseContentLength parses "reject" or "accept".
func ParseContentLength(s string) (ContentLength, error) { return contentLengthNames.Parse(s) }
