package record

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// EventCount asserts how many events of one kind match. It is the
// declarative form of "at least N events of kind K with these fields", "no
// event of kind K" and "the packets reached exactly one node":
//
//	event_counts:
//	  - kind: ack.sent             # at least one 416 Ack
//	    match: {status: 416}
//	    min: 1
//	  - kind: ack.sent             # no 416 Ack at all
//	    match: {status: 416}
//	    max: 0
//	  - kind: packet.received      # every packet but Create-Session on one node
//	    except: {packet: Create-Session}
//	    distinct: node
//	    min: 1
//	    max: 1
//
// Without Min and Max the assertion is "at least one".
type EventCount struct {
	Kind sim.Kind `json:"kind" yaml:"kind"`
	// Match: every field set must hold for an event to count.
	Match EventMatch `json:"match,omitzero" yaml:"match,omitempty"`
	// Except: events for which every field set here holds do not count.
	Except *EventMatch `json:"except,omitempty" yaml:"except,omitempty"`
	// Distinct, if set, counts the distinct values of this event field
	// among the matching events (one of EventFields) instead of the events.
	Distinct string `json:"distinct,omitempty" yaml:"distinct,omitempty"`
	// Min and Max bound the count (inclusive).
	Min *int `json:"min,omitempty" yaml:"min,omitempty"`
	Max *int `json:"max,omitempty" yaml:"max,omitempty"`
	// Why says what the assertion shows; it prefixes the failure message.
	Why string `json:"why,omitempty" yaml:"why,omitempty"`
}

// EventMatch selects events by their fields (sim.Event). Empty fields match
// anything; a set field must be equal (strings case-sensitively, as the
// history spells them).
type EventMatch struct {
	Node    string `json:"node,omitempty" yaml:"node,omitempty"`
	Source  string `json:"source,omitempty" yaml:"source,omitempty"`
	Job     string `json:"job,omitempty" yaml:"job,omitempty"`
	Session string `json:"session,omitempty" yaml:"session,omitempty"`
	Txn     string `json:"txn,omitempty" yaml:"txn,omitempty"`
	Packet  string `json:"packet,omitempty" yaml:"packet,omitempty"` // BITS packet type, wire spelling
	Status  int    `json:"status,omitempty" yaml:"status,omitempty"` // HTTP status
	Code    string `json:"code,omitempty" yaml:"code,omitempty"`     // BITS-Error-Code, "0x%08X"
	Point   string `json:"point,omitempty" yaml:"point,omitempty"`   // crash point
	State   string `json:"state,omitempty" yaml:"state,omitempty"`
	// The typed vocabulary (sim.Event): why, which step, which timer, which
	// fault.
	Reason sim.Reason    `json:"reason,omitempty" yaml:"reason,omitempty"`
	Step   sim.Step      `json:"step,omitempty" yaml:"step,omitempty"`
	Timer  sim.TimerKind `json:"timer,omitempty" yaml:"timer,omitempty"`
	Fault  string        `json:"fault,omitempty" yaml:"fault,omitempty"`
	// Bytes bounds Event.Bytes (bytes moved or written).
	Bytes *Range `json:"bytes,omitempty" yaml:"bytes,omitempty"`
	// Duration, if set, must equal Event.Duration (a timer's duration).
	Duration time.Duration `json:"duration,omitempty" yaml:"duration,omitempty"`
	// Final: the event's range ends (true) or does not end (false) at the
	// upload's last byte (Last == Total-1, Total > 0): a final fragment.
	Final *bool `json:"final,omitempty" yaml:"final,omitempty"`
	// Overlap, for packet.received Fragment events: the fragment starts
	// before (true) or at or after (false) the offset its node last reported
	// holding for that session (the Offset of the node's previous Fragment
	// ack.sent or request.rejected for it, or of its session.restored after
	// a restart): a K1 overlap, §7.2. Other events never match Overlap: true.
	Overlap *bool `json:"overlap,omitempty" yaml:"overlap,omitempty"`
}

// Range bounds a figure; a nil end is open.
type Range struct {
	Min *int64 `json:"min,omitempty" yaml:"min,omitempty"`
	Max *int64 `json:"max,omitempty" yaml:"max,omitempty"`
}

// JobExpect bounds a job's figures as its client reported them
// (ClientResult).
//
//	jobs:
//	  - resyncs: {min: 1}   # every job rewound at least once (a 416)
type JobExpect struct {
	// Job is the job's name (JobResult.Name); empty: every job.
	Job      string `json:"job,omitempty" yaml:"job,omitempty"`
	Sessions *Range `json:"sessions,omitempty" yaml:"sessions,omitempty"`
	Restarts *Range `json:"restarts,omitempty" yaml:"restarts,omitempty"`
	Retries  *Range `json:"retries,omitempty" yaml:"retries,omitempty"`
	Resyncs  *Range `json:"resyncs,omitempty" yaml:"resyncs,omitempty"`
	// BytesSent counts Fragment body bytes sent, re-sent bytes included.
	BytesSent *Range `json:"bytes_sent,omitempty" yaml:"bytes_sent,omitempty"`
	// ReplySize is the size of the reply an upload-reply job downloaded.
	ReplySize *Range `json:"reply_size,omitempty" yaml:"reply_size,omitempty"`
	Why       string `json:"why,omitempty" yaml:"why,omitempty"`
}

// EventFields are the names EventCount.Distinct accepts.
var EventFields = []string{"node", "source", "job", "session", "txn", "packet", "status", "code", "point", "state", "reason", "step", "timer", "fault"}

// B returns a pointer to b, for EventMatch.Final.
func B(b bool) *bool { return &b }

// Between returns the range [lo, hi].
func Between(lo, hi int64) *Range { return &Range{Min: &lo, Max: &hi} }

// AtLeast returns the range [lo, ∞).
func AtLeast(lo int64) *Range { return &Range{Min: &lo} }

// Validate checks the expectation's own consistency.
func (e Expect) Validate() error {
	var errs []error
	for i, c := range e.EventCounts {
		if c.Kind == "" {
			errs = append(errs, fmt.Errorf("event_counts[%d]: no kind", i))
		}
		if c.Distinct != "" && !knownField(c.Distinct) {
			errs = append(errs, fmt.Errorf("event_counts[%d]: distinct %q is not one of %s", i, c.Distinct, strings.Join(EventFields, ", ")))
		}
		if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
			errs = append(errs, fmt.Errorf("event_counts[%d]: min %d > max %d", i, *c.Min, *c.Max))
		}
		for _, r := range []*Range{c.Match.Bytes, exceptBytes(c.Except)} {
			if err := r.validate(); err != nil {
				errs = append(errs, fmt.Errorf("event_counts[%d]: bytes: %w", i, err))
			}
		}
	}
	for i, j := range e.Jobs {
		for name, r := range j.ranges() {
			if err := r.validate(); err != nil {
				errs = append(errs, fmt.Errorf("jobs[%d]: %s: %w", i, name, err))
			}
		}
	}
	return errors.Join(errs...)
}

func exceptBytes(m *EventMatch) *Range {
	if m == nil {
		return nil
	}
	return m.Bytes
}

func knownField(f string) bool {
	for _, x := range EventFields {
		if x == f {
			return true
		}
	}
	return false
}

func (r *Range) validate() error {
	if r != nil && r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		return fmt.Errorf("min %d > max %d", *r.Min, *r.Max)
	}
	return nil
}

// holds reports whether v is in the range (a nil range holds everything).
func (r *Range) holds(v int64) bool {
	return r == nil || (r.Min == nil || v >= *r.Min) && (r.Max == nil || v <= *r.Max)
}

func (r *Range) String() string {
	switch {
	case r.Min != nil && r.Max != nil && *r.Min == *r.Max:
		return strconv.FormatInt(*r.Min, 10)
	case r.Min != nil && r.Max != nil:
		return fmt.Sprintf("between %d and %d", *r.Min, *r.Max)
	case r.Min != nil:
		return fmt.Sprintf("at least %d", *r.Min)
	case r.Max != nil && *r.Max == 0:
		return "none"
	case r.Max != nil:
		return fmt.Sprintf("at most %d", *r.Max)
	}
	return "any"
}

// Matches reports whether e has every field m sets, except Overlap, which
// needs the history before e and is judged by EventCount.
func (m EventMatch) Matches(e sim.Event) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	if !eq(m.Node, e.Node) || !eq(m.Source, e.Source) || !eq(m.Job, e.Job) || !eq(m.Session, e.Session) || !eq(m.Txn, e.Txn) ||
		!eq(m.Packet, e.Packet) || !eq(m.Code, e.Code) || !eq(m.Point, e.Point) || !eq(m.State, e.State) ||
		!eq(string(m.Reason), string(e.Reason)) || !eq(string(m.Step), string(e.Step)) || !eq(string(m.Timer), string(e.Timer)) ||
		!eq(m.Fault, e.Fault) {
		return false
	}
	if m.Status != 0 && m.Status != e.Status {
		return false
	}
	if !m.Bytes.holds(e.Bytes) {
		return false
	}
	if m.Duration != 0 && m.Duration != e.Duration {
		return false
	}
	final := e.Total > 0 && e.Last == e.Total-1
	return m.Final == nil || *m.Final == final
}

// overlaps returns the Seq of every packet.received Fragment that starts
// before the offset its node last reported for the session (see
// EventMatch.Overlap).
func overlaps(evs []sim.Event) map[int64]bool {
	type key struct{ node, session string }
	held := map[key]int64{}
	out := map[int64]bool{}
	for _, e := range evs {
		k := key{e.Node, e.Session}
		switch {
		case e.Kind == sim.PacketReceived && e.Packet == "Fragment":
			if r, ok := held[k]; ok && e.First < r {
				out[e.Seq] = true
			}
		case (e.Kind == sim.AckSent || e.Kind == sim.RequestRejected) && e.Packet == "Fragment" && e.Offset > 0,
			e.Kind == sim.SessionRestored && e.Offset > 0:
			held[k] = e.Offset
		}
	}
	return out
}

func (m EventMatch) String() string {
	var parts []string
	for _, kv := range [][2]string{{"node", m.Node}, {"source", m.Source}, {"job", m.Job}, {"session", m.Session}, {"txn", m.Txn},
		{"packet", m.Packet}, {"code", m.Code}, {"point", m.Point}, {"state", m.State},
		{"reason", string(m.Reason)}, {"step", string(m.Step)}, {"timer", string(m.Timer)}, {"fault", m.Fault}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if m.Status != 0 {
		parts = append(parts, fmt.Sprintf("status=%d", m.Status))
	}
	if m.Bytes != nil {
		parts = append(parts, "bytes "+m.Bytes.String())
	}
	if m.Duration != 0 {
		parts = append(parts, "duration="+m.Duration.String())
	}
	if m.Final != nil {
		parts = append(parts, fmt.Sprintf("final=%v", *m.Final))
	}
	if m.Overlap != nil {
		parts = append(parts, fmt.Sprintf("overlap=%v", *m.Overlap))
	}
	return strings.Join(parts, " ")
}

func eventField(e sim.Event, f string) string {
	switch f {
	case "node":
		return e.Node
	case "source":
		return e.Source
	case "job":
		return e.Job
	case "session":
		return e.Session
	case "txn":
		return e.Txn
	case "packet":
		return e.Packet
	case "status":
		return strconv.Itoa(e.Status)
	case "code":
		return e.Code
	case "point":
		return e.Point
	case "state":
		return e.State
	case "reason":
		return string(e.Reason)
	case "step":
		return string(e.Step)
	case "timer":
		return string(e.Timer)
	case "fault":
		return e.Fault
	}
	return ""
}

// Count returns how many events c counts in evs (events, or distinct
// values of c.Distinct), and the distinct values, sorted, if any.
func (c EventCount) Count(evs []sim.Event) (int, []string) {
	n, seen := 0, map[string]bool{}
	var ov map[int64]bool
	if c.Match.Overlap != nil || c.Except != nil && c.Except.Overlap != nil {
		ov = overlaps(evs)
	}
	holds := func(m *EventMatch, e sim.Event) bool {
		return m.Matches(e) && (m.Overlap == nil || *m.Overlap == ov[e.Seq])
	}
	for _, e := range evs {
		if e.Kind != c.Kind || !holds(&c.Match, e) || c.Except != nil && holds(c.Except, e) {
			continue
		}
		n++
		if c.Distinct != "" {
			seen[eventField(e, c.Distinct)] = true
		}
	}
	if c.Distinct == "" {
		return n, nil
	}
	var vals []string
	for v := range seen {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	return len(vals), vals
}

// bounds returns the count's range, "at least one" when neither is set.
func (c EventCount) bounds() *Range {
	r := &Range{}
	if c.Min != nil {
		r.Min = new(int64(*c.Min))
	}
	if c.Max != nil {
		r.Max = new(int64(*c.Max))
	}
	if r.Min == nil && r.Max == nil {
		r.Min = new(int64(1))
	}
	return r
}

// String describes what is counted: "ack.sent status=416", "distinct node
// of packet.received except packet=Create-Session".
func (c EventCount) String() string {
	s := string(c.Kind)
	if m := c.Match.String(); m != "" {
		s += " " + m
	}
	if c.Except != nil {
		s += " except " + c.Except.String()
	}
	if c.Distinct != "" {
		s = "distinct " + c.Distinct + " of " + s
	}
	return s
}

// failure returns why the count does not hold in evs, or "".
func (c EventCount) failure(evs []sim.Event) string {
	n, vals := c.Count(evs)
	want := c.bounds()
	if want.holds(int64(n)) {
		return ""
	}
	msg := fmt.Sprintf("events %s: %d, want %s", c, n, want)
	if len(vals) > 0 {
		msg += fmt.Sprintf(" (%s)", strings.Join(vals, ", "))
	}
	if c.Why != "" {
		msg = c.Why + ": " + msg
	}
	return msg
}

func (j JobExpect) ranges() map[string]*Range {
	return map[string]*Range{"sessions": j.Sessions, "restarts": j.Restarts, "retries": j.Retries, "resyncs": j.Resyncs, "bytes_sent": j.BytesSent, "reply_size": j.ReplySize}
}

// failures returns why the job figures do not hold, one message each, in
// a stable order.
func (j JobExpect) failures(jobs []JobResult) []string {
	var out []string
	matched := false
	for _, job := range jobs {
		if j.Job != "" && job.Name != j.Job {
			continue
		}
		matched = true
		c := job.Result
		got := map[string]int64{"sessions": int64(c.Sessions), "restarts": int64(c.Restarts), "retries": int64(c.Retries),
			"resyncs": int64(c.Resyncs), "bytes_sent": c.BytesSent, "reply_size": c.ReplySize}
		for _, name := range []string{"sessions", "restarts", "retries", "resyncs", "bytes_sent", "reply_size"} {
			if r := j.ranges()[name]; !r.holds(got[name]) {
				msg := fmt.Sprintf("job %s: %s = %d, want %s", job.Name, name, got[name], r)
				if j.Why != "" {
					msg = j.Why + ": " + msg
				}
				out = append(out, msg)
			}
		}
	}
	if !matched {
		out = append(out, fmt.Sprintf("no job %q", j.Job))
	}
	return out
}
