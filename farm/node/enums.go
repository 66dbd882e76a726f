package node

import "github.com/bitsim/bitsim/knob"

// The node's knobs are package knob's types (one vocabulary for Go, YAML,
// saved runs and flags); these names keep call sites short.
type (
	// NotifyType is BITSServerNotificationType (§9); see knob.Notification.
	NotifyType = knob.Notification
	// OverlapMode is knob K1; see knob.Overlap.
	OverlapMode = knob.Overlap
	// CommitMode is knob K2; see knob.Commit.
	CommitMode = knob.Commit
	// Retention is knob K10; see knob.Retention.
	Retention = knob.Retention
	// ContentLengthMode is what a body-less packet without Content-Length
	// gets; see knob.ContentLength.
	ContentLengthMode = knob.ContentLength
)

// Knob values.
const (
	NotifyReference       = knob.NotifyReference
	NotifyValue           = knob.NotifyValue
	NotifyNone            = knob.NotifyNone
	OverlapLenient        = knob.OverlapLenient
	OverlapStrict         = knob.OverlapStrict
	CommitOnFinalFragment = knob.CommitOnFinalFragment
	CommitOnClose         = knob.CommitOnClose
	DeleteAfterAnswer     = knob.DeleteAfterAnswer
	KeepUntilClose        = knob.KeepUntilClose
	ContentLengthReject   = knob.ContentLengthReject
	ContentLengthAccept   = knob.ContentLengthAccept
)
