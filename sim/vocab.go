package sim

import (
	"fmt"
	"slices"
)

// The typed event vocabulary. Each enum below is a string type whose values
// are stable (they are saved in histories); each has String and a Parse
// that rejects unknown values, so a reader can switch on constants instead
// of matching prose. Event.Detail stays human text only.
//
// Why strings and not internal/enum's integer tables: sim depends on no
// other bitsim package (internal/archtest), and a string type saves as its
// own spelling with "" meaning "not set", which keeps schema-1 histories
// and omitempty working without a names table.

// Step says what a client.session or client.hostid event records.
type Step string

// Steps.
const (
	// client.session
	StepCreated   Step = "created"    // Create-Session succeeded: a new server session
	StepRestarted Step = "restarted"  // the session was dropped; the upload starts again at byte 0 (Reason says why, Packet on which packet)
	StepNotResent Step = "not-resent" // Close-Session got 0x8020001F and was not resent (K4 no-resend)
	// client.hostid
	StepPinned   Step = "pinned"   // a BITS-Host-Id was returned: later packets go to that host (HostID, URL)
	StepFallback Step = "fallback" // the host-id fallback timer fired: back to the original URL
)

var steps = []Step{StepCreated, StepRestarted, StepNotResent, StepPinned, StepFallback}

func (s Step) String() string { return string(s) }

// ParseStep parses a Step's String.
func ParseStep(s string) (Step, error) { return parseEnum("step", s, steps) }

// TimerKind names a client timer (client.timer.armed / client.timer.fired).
type TimerKind string

// Client timers.
const (
	TimerRetry        TimerKind = "retry"            // the retry delay after a transient error (K7)
	TimerHostFallback TimerKind = "host-fallback"    // the host-id fallback time-out (K8)
	TimerNoProgress   TimerKind = "no-progress"      // the no-progress time-out
	TimerRequest      TimerKind = "request-timeout"  // sending one request (its body included)
	TimerResponse     TimerKind = "response-timeout" // waiting for a response or reply data
)

var timerKinds = []TimerKind{TimerRetry, TimerHostFallback, TimerNoProgress, TimerRequest, TimerResponse}

func (k TimerKind) String() string { return string(k) }

// ParseTimerKind parses a TimerKind's String.
func ParseTimerKind(s string) (TimerKind, error) { return parseEnum("timer", s, timerKinds) }

// LinkChange says what a link.changed event records.
type LinkChange string

// Link changes (farm/proxy).
const (
	LinkAdded        LinkChange = "added"         // a link was created (Listen, Upstream)
	LinkRemoved      LinkChange = "removed"       // a link was deleted
	LinkUpstream     LinkChange = "upstream"      // the link now forwards to Upstream (a node restarted on a new port)
	LinkDisabled     LinkChange = "disabled"      // the link refuses connections
	LinkEnabled      LinkChange = "enabled"       // the link accepts connections again
	LinkToxicAdded   LinkChange = "toxic-added"   // a toxic was added (Detail: its JSON)
	LinkToxicUpdated LinkChange = "toxic-updated" // a toxic was changed
	LinkToxicRemoved LinkChange = "toxic-removed" // a toxic was removed
	LinkToxicsReset  LinkChange = "toxics-reset"  // every toxic was removed
)

var linkChanges = []LinkChange{LinkAdded, LinkRemoved, LinkUpstream, LinkDisabled, LinkEnabled,
	LinkToxicAdded, LinkToxicUpdated, LinkToxicRemoved, LinkToxicsReset}

func (c LinkChange) String() string { return string(c) }

// ParseLinkChange parses a LinkChange's String.
func ParseLinkChange(s string) (LinkChange, error) { return parseEnum("link change", s, linkChanges) }

// Reason says why something happened. It is an open set (an expiry may
// name the fault that caused it); the constants are the values readers
// compare against.
type Reason string

// Reasons.
const (
	ReasonSessionNotFound Reason = "session-not-found" // client.session restarted: the server answered 0x8020001F (Packet: to which packet)
	ReasonRangeMissing    Reason = "range-missing"     // client.session restarted: a 416 without a usable offset (K: RangeMissing restart)
	ReasonTimeout         Reason = "timeout"           // session.expired: idle longer than the session time-out
	ReasonSessionLimit    Reason = "session limit"     // session.expired: evicted to stay under the session limit
	ReasonOrphaned        Reason = "orphaned"          // notify.answered: the app answered a node that had died meanwhile
	ReasonBodyCut         Reason = "body-cut"          // request.rejected: a Fragment body ended early (the connection was cut)
	// ReasonMissingContentLength: request.rejected or request.tolerated: a
	// body-less packet without Content-Length (IIS answers 400).
	ReasonMissingContentLength Reason = "missing-content-length"
)

func (r Reason) String() string { return string(r) }

// parseEnum returns the value of all whose text is s.
func parseEnum[T ~string](what, s string, all []T) (T, error) {
	if i := slices.Index(all, T(s)); i >= 0 {
		return all[i], nil
	}
	return "", fmt.Errorf("sim: unknown %s %q", what, s)
}

// Why words e.Reason for people: "session not found on Fragment" for a
// restart after 0x8020001F, the reason itself otherwise.
func (e Event) Why() string {
	if e.Reason == ReasonSessionNotFound && e.Packet != "" {
		return "session not found on " + e.Packet
	}
	if e.Reason == ReasonSessionNotFound {
		return "session not found"
	}
	return string(e.Reason)
}
