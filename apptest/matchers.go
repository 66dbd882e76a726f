package apptest

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
)

// HaveExactlyOnceEffect succeeds when the application applied every
// delivered job's transaction exactly once during the run, as its effect
// probe says (checker exactly-once-effect). On failure it prints each
// transaction applied twice with the cause chain of its deliveries.
func HaveExactlyOnceEffect() types.GomegaMatcher {
	return verdictMatcher{what: "apply every transaction exactly once", checkers: []string{check.ExactlyOnceEffect{}.Name()},
		explain: []string{check.ExactlyOnceEffect{}.Name()}}
}

// HaveDeliveredExactlyOnce succeeds when every job was delivered to the
// application exactly once: no job finished undelivered (at-least-once)
// and none was notified twice (duplicates). On failure it prints each
// duplicate delivery with its cause chain: the fault, the protocol step,
// the client's retries and the node that notified again.
func HaveDeliveredExactlyOnce() types.GomegaMatcher {
	return verdictMatcher{what: "deliver every job exactly once", checkers: []string{check.AtLeastOnce{}.Name(), check.Duplicates{}.Name()},
		explain: []string{check.AtLeastOnce{}.Name(), check.Duplicates{}.Name()}}
}

// HaveResumedWithoutRestart succeeds when no job had to restart its upload
// from byte 0 in a new session (interruptions were resumed). On failure it
// prints the restarts and the duplicates they led to.
func HaveResumedWithoutRestart() types.GomegaMatcher {
	return verdictMatcher{what: "resume every interrupted upload without a restart", restarts: true,
		explain: []string{check.ResumeRestart{}.Name(), check.Duplicates{}.Name()}}
}

// verdictMatcher judges a Result by checker verdicts (all must pass) or
// by its restart count.
type verdictMatcher struct {
	what     string
	checkers []string
	restarts bool
	explain  []string
}

func result(actual any) (*record.Result, error) {
	var r *record.Result
	switch a := actual.(type) {
	case *Result:
		if a != nil {
			r = a.Result
		}
	case *record.Result:
		r = a
	default:
		return nil, fmt.Errorf("apptest: a matcher needs an *apptest.Result, got %T", actual)
	}
	if r == nil {
		return nil, fmt.Errorf("apptest: a matcher got a nil result")
	}
	if r.Skipped != "" {
		return nil, fmt.Errorf("apptest: scenario %s was skipped, not run: %s", r.Scenario, r.Skipped)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("apptest: scenario %s could not run: %s", r.Scenario, r.Error)
	}
	return r, nil
}

// Match implements types.GomegaMatcher.
func (m verdictMatcher) Match(actual any) (bool, error) {
	r, err := result(actual)
	if err != nil {
		return false, err
	}
	if m.restarts {
		return r.Restarts == 0, nil
	}
	for _, name := range m.checkers {
		v, ok := r.Verdict(name)
		if !ok {
			return false, fmt.Errorf("apptest: scenario %s has no %s verdict", r.Scenario, name)
		}
		if v.Status == check.Unknown {
			return false, fmt.Errorf("apptest: scenario %s: %s is unknown: %s", r.Scenario, name, v.Summary)
		}
		if v.Status != check.Pass {
			return false, nil
		}
	}
	return true, nil
}

// FailureMessage implements types.GomegaMatcher.
func (m verdictMatcher) FailureMessage(actual any) string {
	return m.message(actual, "to")
}

// NegatedFailureMessage implements types.GomegaMatcher.
func (m verdictMatcher) NegatedFailureMessage(actual any) string {
	return m.message(actual, "not to")
}

func (m verdictMatcher) message(actual any, to string) string {
	r, err := result(actual)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Expected scenario %s (seed %d) %s %s; it had %d deliveries, %d effects, %d restarts.\n",
		r.Scenario, r.Seed, to, m.what, r.Deliveries, r.Effects, r.Restarts)
	for _, name := range m.explain {
		if v, ok := r.Verdict(name); ok {
			b.WriteString(v.String())
			b.WriteString("\n")
		}
	}
	if r.Dir != "" {
		fmt.Fprintf(&b, "Run files: %s\n", r.Dir)
	}
	return b.String()
}
