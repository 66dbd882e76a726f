package knob

import "github.com/bitsim/bitsim/internal/enum"

// CloseNotFound is knob K4: what the client does when Close-Session is
// answered with BG_E_SESSION_NOT_FOUND (0x8020001F).
type CloseNotFound int

const (
	// CloseRestart ([MC-BUP], default) opens a new session and uploads the
	// whole file again, which may deliver it twice.
	CloseRestart CloseNotFound = iota
	// CloseNoResend ([W]) does not resend the Close: the last Fragment Ack
	// already confirmed every byte, so the job proceeds to TRANSFERRED.
	CloseNoResend
)

var closeNames = enum.New[CloseNotFound]("knob", "close-not-found", "restart", "no-resend")

func (k CloseNotFound) String() string                { return closeNames.String(k) }
func (k CloseNotFound) MarshalText() ([]byte, error)  { return closeNames.MarshalText(k) }
func (k *CloseNotFound) UnmarshalText(b []byte) error { return closeNames.UnmarshalText(k, b) }

// ParseCloseNotFound parses "restart" or "no-resend".
func ParseCloseNotFound(s string) (CloseNotFound, error) { return closeNames.Parse(s) }

// ReplyHost is knob K6: which host a relative BITS-Reply-URL is resolved
// against.
type ReplyHost int

const (
	// ReplyFromOrigin resolves against the original upload URL (default; what
	// the [X] capture shows).
	ReplyFromOrigin ReplyHost = iota
	// ReplyFromHostID resolves against the host-id URL, if one is in use.
	ReplyFromHostID
)

var replyHostNames = enum.New[ReplyHost]("knob", "reply-host", "origin", "hostid")

func (k ReplyHost) String() string                { return replyHostNames.String(k) }
func (k ReplyHost) MarshalText() ([]byte, error)  { return replyHostNames.MarshalText(k) }
func (k *ReplyHost) UnmarshalText(b []byte) error { return replyHostNames.UnmarshalText(k, b) }

// ParseReplyHost parses "origin" or "hostid".
func ParseReplyHost(s string) (ReplyHost, error) { return replyHostNames.Parse(s) }

// MissingReply is knob K7: an upload-reply job whose final Ack carries no
// BITS-Reply-URL.
type MissingReply int

const (
	// MissingReplyEmpty treats it as an empty reply (default; [W], [S 3.1.5.1.4]).
	MissingReplyEmpty MissingReply = iota
	// MissingReplyError is [S 3.1.5.2.4]: a fatal protocol error.
	MissingReplyError
)

var missingReplyNames = enum.New[MissingReply]("knob", "missing-reply", "empty", "error")

func (k MissingReply) String() string                { return missingReplyNames.String(k) }
func (k MissingReply) MarshalText() ([]byte, error)  { return missingReplyNames.MarshalText(k) }
func (k *MissingReply) UnmarshalText(b []byte) error { return missingReplyNames.UnmarshalText(k, b) }

// ParseMissingReply parses "empty" or "error".
func ParseMissingReply(s string) (MissingReply, error) { return missingReplyNames.Parse(s) }

// Fallback is knob K8: when the host-id fallback timer starts and resets.
type Fallback int

const (
	// FallbackAnyFailure (default) starts the timer on any failed request to
	// the host-id server (transport error or error Ack) and resets it on any
	// successful response from it (2xx, or a 416 resync).
	FallbackAnyFailure Fallback = iota
	// FallbackConnectFailure ([W]) starts it only when the client cannot
	// connect to the host-id server, and resets it when a connection
	// succeeds (any HTTP response).
	FallbackConnectFailure
)

var fallbackNames = enum.New[Fallback]("knob", "fallback rule", "any-failure", "connect-failure")

func (k Fallback) String() string                { return fallbackNames.String(k) }
func (k Fallback) MarshalText() ([]byte, error)  { return fallbackNames.MarshalText(k) }
func (k *Fallback) UnmarshalText(b []byte) error { return fallbackNames.UnmarshalText(k, b) }

// ParseFallback parses "any-failure" or "connect-failure".
func ParseFallback(s string) (Fallback, error) { return fallbackNames.Parse(s) }

// RangeMissing is what the client does with a 416 Fragment Ack that has no
// BITS-Received-Content-Range (§7.4 requires it). Deployed servers have been
// seen misspelling it ("Bits-Recieved-Content-Range"). The sources do not
// say what Windows does, so the default restarts the session: the offset
// the server holds is unknown, and a new session makes it known (0).
type RangeMissing int

const (
	// RangeRestart (default) drops the session and starts again with a new
	// Create-Session at byte 0.
	RangeRestart RangeMissing = iota
	// RangeNearMiss uses the value of a near-miss spelling of the header
	// (case-insensitive edit distance 2 or less), range-checked as usual;
	// without one it restarts.
	RangeNearMiss
	// RangeError is the strict reading: a fatal protocol error.
	RangeError
)

var rangeMissingNames = enum.New[RangeMissing]("knob", "range-missing", "restart", "near-miss", "error")

func (k RangeMissing) String() string                { return rangeMissingNames.String(k) }
func (k RangeMissing) MarshalText() ([]byte, error)  { return rangeMissingNames.MarshalText(k) }
func (k *RangeMissing) UnmarshalText(b []byte) error { return rangeMissingNames.UnmarshalText(k, b) }

// ParseRangeMissing parses "restart", "near-miss" or "error".
func ParseRangeMissing(s string) (RangeMissing, error) { return rangeMissingNames.Parse(s) }
