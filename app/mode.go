package app

import (
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
)

// Mode is how the app processes repeated deliveries: knob.AppMode (Naive,
// the default, or Idempotent).
type Mode = knob.AppMode

// Modes.
const (
	Naive      = knob.Naive
	Idempotent = knob.Idempotent
)

// CrashPoint is where an armed crash kills the app while it handles a
// notification: faults.AppPoint. A crash drops the connection without an
// HTTP response (panic(http.ErrAbortHandler)); the node sees a transport
// error.
type CrashPoint = faults.AppPoint

// Crash points.
const (
	CrashNone             = faults.AppNoCrash
	CrashBeforeProcessing = faults.AppBeforeProcessing
	CrashAfterProcessing  = faults.AppAfterProcessing
	CrashBeforeReply      = faults.AppBeforeReply
)
