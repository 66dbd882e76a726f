package app

import (
	"fmt"
	"strings"
)

// Mode is how the app processes repeated deliveries.
type Mode int

const (
	// Naive applies an effect for every delivery it processes, so every
	// duplicate BITS delivery is a duplicate effect. It is the zero value:
	// the harness's default is to make the protocol's duplicates visible.
	Naive Mode = iota
	// Idempotent de-duplicates on the transaction id carried in the
	// envelope (§14 case 6): a repeat of an applied transaction gets the
	// reply of the first one and applies nothing. Deliveries without an
	// envelope fall back to the key "sha256 of the file + remote URL".
	Idempotent
)

var modeNames = [...]string{"naive", "idempotent"}

// String returns "naive" or "idempotent".
func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode matches "naive" or "idempotent", case-insensitively.
func ParseMode(s string) (Mode, error) {
	s = strings.TrimSpace(s)
	for i, n := range modeNames {
		if strings.EqualFold(s, n) {
			return Mode(i), nil
		}
	}
	return Naive, fmt.Errorf("app: unknown mode %q (want naive|idempotent)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Set and Type make *Mode a pflag.Value, for `bitsim serve --mode`.
func (m *Mode) Set(s string) error { return m.UnmarshalText([]byte(s)) }

// Type implements pflag.Value.
func (*Mode) Type() string { return "naive|idempotent" }

// CrashPoint is where an armed crash kills the app while it handles a
// notification. A crash drops the connection without an HTTP response
// (panic(http.ErrAbortHandler)); the node sees a transport error.
type CrashPoint int

const (
	// CrashNone disarms crashes.
	CrashNone CrashPoint = iota
	// CrashBeforeProcessing dies as soon as the notification's headers
	// arrive, before the upload is read: nothing is recorded in the ledger
	// and no effect is applied.
	CrashBeforeProcessing
	// CrashAfterProcessing dies after the delivery was recorded and its
	// effect applied (if the mode applies one), before the reply file is
	// written and before the answer: the §14 case 5 "app dies before the
	// Ack" shape.
	CrashAfterProcessing
	// CrashBeforeReply dies after the reply file was written (by
	// reference) and any reply delay elapsed, just before the HTTP answer.
	// By value it differs from CrashAfterProcessing only in timing.
	CrashBeforeReply
)

var crashNames = [...]string{"none", "before-processing", "after-processing", "before-reply"}

// String returns the point's name, e.g. "after-processing".
func (p CrashPoint) String() string {
	if p < 0 || int(p) >= len(crashNames) {
		return fmt.Sprintf("CrashPoint(%d)", int(p))
	}
	return crashNames[p]
}

// ParseCrashPoint matches a point name case-insensitively ("" is "none").
func ParseCrashPoint(s string) (CrashPoint, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CrashNone, nil
	}
	for i, n := range crashNames {
		if strings.EqualFold(s, n) {
			return CrashPoint(i), nil
		}
	}
	return CrashNone, fmt.Errorf("app: unknown crash point %q (want %s)", s, strings.Join(crashNames[:], "|"))
}

// MarshalText implements encoding.TextMarshaler.
func (p CrashPoint) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *CrashPoint) UnmarshalText(b []byte) error {
	v, err := ParseCrashPoint(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Set and Type make *CrashPoint a pflag.Value.
func (p *CrashPoint) Set(s string) error { return p.UnmarshalText([]byte(s)) }

// Type implements pflag.Value.
func (*CrashPoint) Type() string { return "crash-point" }
