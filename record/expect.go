package record

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/sim"
)

// Any, as an expected verdict, accepts whatever the checker says.
const Any check.Status = "any"

// Evaluate runs the checkers (today's versions) on the run and compares the
// outcome with sc's expectations, setting Verdicts, Stats, the figures,
// Failures and Passed.
func (r *Result) Evaluate(sc Scenario) {
	if r.Skipped != "" {
		r.Passed, r.Failures = true, nil
		return
	}
	in := r.Input()
	r.Verdicts = check.Run(in, check.All()...)
	r.Stats = check.Stats(in)
	r.figures()
	r.Failures = expectationFailures(sc.Expect, r)
	r.Passed = len(r.Failures) == 0
}

// Recheck re-runs the checkers (today's versions) on a loaded run and
// re-evaluates its expectations, e.g. after a checker was fixed.
func (r *Result) Recheck() {
	sc := Scenario{}
	if r.Source != nil {
		sc = *r.Source
	}
	r.Evaluate(sc)
}

func (r *Result) figures() {
	r.Deliveries, r.Effects = len(r.Ledger), 0
	for _, d := range r.Ledger {
		if d.Effect {
			r.Effects++
		}
	}
	r.Sessions, r.Restarts, r.BytesSent, r.BytesResent = 0, 0, 0, 0
	for _, s := range r.Stats {
		r.Sessions += int(s.Sessions)
		r.Restarts += int(s.Restarts)
		r.BytesSent += s.BytesSent
		r.BytesResent += s.BytesResent
	}
	if v, ok := r.Verdict("duplicates"); ok {
		r.Duplicates = int(v.Figures["duplicates"])
	}
	if v, ok := r.Verdict("exactly-once-effect"); ok && r.External != nil {
		r.Effects = int(v.Figures["effects"]) // the app's probe, not the node-side ledger
	}
	if r.Wall > 0 {
		r.Compression = float64(r.ProtocolTime) / float64(r.Wall)
	}
}

// expectationFailures lists, sorted, every expectation of e that r does
// not meet.
func expectationFailures(e Expect, r *Result) []string {
	var fails []string
	fail := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	if r.Error != "" {
		fail("%s", r.Error)
	}
	jobStateFailures(e, r, fail)
	countFailures(e, r, fail)
	verdictFailures(e, r, fail)
	eventFailures(e, r, fail)
	if e.MinProtocolTime > 0 && r.ProtocolTime < e.MinProtocolTime {
		fail("protocol time %s, want at least %s", r.ProtocolTime, e.MinProtocolTime)
	}
	if e.MinExactProtocolTime > 0 && r.Tier == TierExact && r.ProtocolTime < e.MinExactProtocolTime {
		fail("protocol time %s, want at least %s (exact tier)", r.ProtocolTime, e.MinExactProtocolTime)
	}
	for _, j := range e.Jobs {
		fails = append(fails, j.failures(r.Jobs)...)
	}
	sort.Strings(fails)
	return fails
}

type failf func(format string, args ...any)

// jobStateFailures: every job ends in JobState (default ACKNOWLEDGED),
// with JobCode if set.
func jobStateFailures(e Expect, r *Result, fail failf) {
	wantState := e.JobState
	if wantState == "" {
		wantState = "ACKNOWLEDGED"
	}
	for _, j := range r.Jobs {
		if !strings.EqualFold(j.Result.State, wantState) {
			msg := j.Result.Error
			if msg == "" {
				msg = "no error"
			}
			fail("job %s ended %s, want %s (%s)", j.Name, j.Result.State, wantState, msg)
		}
		if e.JobCode != "" && !strings.EqualFold(j.Result.Code, e.JobCode) {
			fail("job %s reported code %q, want %s", j.Name, j.Result.Code, e.JobCode)
		}
	}
}

// countFailures: the run's totals (deliveries, effects, restarts,
// sessions, bytes re-sent).
func countFailures(e Expect, r *Result, fail failf) {
	eq := func(name string, want *int, got int) {
		if want != nil && *want != got {
			fail("%s = %d, want %d", name, got, *want)
		}
	}
	eq("deliveries", e.Deliveries, r.Deliveries)
	eq("effects", e.Effects, r.Effects)
	eq("restarts", e.Restarts, r.Restarts)
	eq("sessions", e.Sessions, r.Sessions)
	if e.MinDeliveries != nil && r.Deliveries < *e.MinDeliveries {
		fail("deliveries = %d, want at least %d", r.Deliveries, *e.MinDeliveries)
	}
	if e.MaxDeliveries != nil && r.Deliveries > *e.MaxDeliveries {
		fail("deliveries = %d, want at most %d", r.Deliveries, *e.MaxDeliveries)
	}
	if e.MaxBytesResent != nil && r.BytesResent > *e.MaxBytesResent {
		fail("bytes re-sent = %d, want at most %d", r.BytesResent, *e.MaxBytesResent)
	}
	if e.MinBytesResent != nil && r.BytesResent < *e.MinBytesResent {
		fail("bytes re-sent = %d, want at least %d", r.BytesResent, *e.MinBytesResent)
	}
}

// verdictFailures: listed checkers return their status, unlisted ones do
// not fail, and the duplicate explanation holds the Explain phrases.
func verdictFailures(e Expect, r *Result, fail failf) {
	for _, v := range r.Verdicts {
		want, listed := e.Verdicts[v.Checker]
		switch {
		case listed && want == Any:
		case listed && v.Status != want:
			fail("checker %s: %s, want %s: %s", v.Checker, v.Status, want, v.Summary)
		case !listed && v.Status == check.Fail:
			fail("checker %s failed: %s", v.Checker, firstFinding(v))
		}
	}
	if len(e.Explain) > 0 {
		v, _ := r.Verdict("duplicates")
		text := v.String()
		for _, p := range e.Explain {
			if !strings.Contains(text, p) {
				fail("duplicate explanation lacks %q", p)
			}
		}
	}
}

// eventFailures: Events, NoEvents and EventCounts over the history.
func eventFailures(e Expect, r *Result, fail failf) {
	for _, spec := range e.Events {
		if !hasEvent(r.Events, spec) {
			fail("no %s event", spec)
		}
	}
	for _, spec := range e.NoEvents {
		if hasEvent(r.Events, spec) {
			fail("unexpected %s event", spec)
		}
	}
	for _, c := range e.EventCounts {
		if msg := c.failure(r.Events); msg != "" {
			fail("%s", msg)
		}
	}
}

func firstFinding(v check.Verdict) string {
	for _, f := range v.Findings {
		if f.Status == check.Fail {
			return f.Message
		}
	}
	return v.Summary
}

// hasEvent matches "kind" or "kind:detail" (detail found in the event's
// Reason, Fault, Point or Err; Detail is human text and is not read).
func hasEvent(evs []sim.Event, spec string) bool {
	kind, detail, _ := strings.Cut(spec, ":")
	for _, e := range evs {
		if string(e.Kind) != kind {
			continue
		}
		if detail == "" || strings.Contains(string(e.Reason), detail) || strings.Contains(e.Fault, detail) ||
			strings.Contains(e.Point, detail) || strings.Contains(e.Err, detail) {
			return true
		}
	}
	return false
}
