package faults

import "github.com/bitsim/bitsim/internal/enum"

// Point names an instant in a node's packet processing where a fault can
// strike (docs/protocol.md §17): a kill armed there dies exactly at that
// instant; other actions run synchronously there. package node reaches
// them (node.CrashPoint is this type).
type Point int

// Crash points, in processing order.
const (
	NoPoint Point = iota
	// AfterCreate: the session is on disk, the Create-Session Ack not sent.
	AfterCreate
	// BeforeBody: a valid Fragment's headers were accepted, no body byte
	// read.
	BeforeBody
	// AfterBody: the whole body was read, nothing written (the bytes are
	// lost with the process).
	AfterBody
	// AfterWrite: the body is in the request file, the Ack not sent. On
	// the final fragment this is before the notification.
	AfterWrite
	// AfterNotifySent: the notification POST was written to the app, its
	// answer not received: the node dies while the app is processing.
	AfterNotifySent
	// AfterNotifyAnswer: the app answered (any status), the final Ack not
	// sent and nothing persisted about the answer.
	AfterNotifyAnswer
	// CloseBeforeCommit: a Close-Session for a complete upload, before the
	// commit step (reached whether or not a commit applies).
	CloseBeforeCommit
	// CloseAfterCommit: after the commit step, before the session's files
	// are deleted and the Ack is sent.
	CloseAfterCommit
)

var pointNames = enum.New[Point]("faults", "crash point", "", "after-create", "before-body", "after-body", "after-write",
	"after-notify-sent", "after-notify-answer", "close-before-commit", "close-after-commit")

func (p Point) String() string {
	if p == NoPoint {
		return "none"
	}
	return pointNames.String(p)
}
func (p Point) MarshalText() ([]byte, error)  { return pointNames.MarshalText(p) }
func (p *Point) UnmarshalText(b []byte) error { return pointNames.UnmarshalText(p, b) }

// ParsePoint parses a crash point's name ("after-write").
func ParsePoint(s string) (Point, error) { return pointNames.Parse(s) }

// Points returns every crash point, in processing order.
func Points() []Point { return pointNames.Values() }

// AppPoint is where an armed crash kills the app while it handles a
// notification. A crash drops the connection without an HTTP response; the
// node sees a transport error. (app.CrashPoint is this type.)
type AppPoint int

const (
	// AppNoCrash disarms crashes.
	AppNoCrash AppPoint = iota
	// AppBeforeProcessing dies as soon as the notification's headers
	// arrive, before the upload is read: nothing is recorded in the ledger
	// and no effect is applied.
	AppBeforeProcessing
	// AppAfterProcessing dies after the delivery was recorded and its
	// effect applied (if the mode applies one), before the reply file is
	// written and before the answer: the §14 case 5 "app dies before the
	// Ack" shape.
	AppAfterProcessing
	// AppBeforeReply dies after the reply file was written (by reference)
	// and any reply delay elapsed, just before the HTTP answer. By value it
	// differs from AppAfterProcessing only in timing.
	AppBeforeReply
)

var appPointNames = enum.New[AppPoint]("faults", "app crash point", "none", "before-processing", "after-processing", "before-reply").
	Alias("", AppNoCrash)

func (p AppPoint) String() string                { return appPointNames.String(p) }
func (p AppPoint) MarshalText() ([]byte, error)  { return appPointNames.MarshalText(p) }
func (p *AppPoint) UnmarshalText(b []byte) error { return appPointNames.UnmarshalText(p, b) }

// ParseAppPoint parses an app crash point's name ("" is "none").
func ParseAppPoint(s string) (AppPoint, error) { return appPointNames.Parse(s) }
