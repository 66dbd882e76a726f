package explore

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
)

// Invariants are the properties that must hold whatever the faults: the
// checkers' names, plus NoLostUpload and RunCompletes (explore's own).
var Invariants = []string{"integrity", "at-least-once", NoLostUpload, "no-orphans", "exactly-once-effect", RunCompletes}

// Explore's own invariants.
const (
	// NoLostUpload: a job the client saw ACKNOWLEDGED had its effect
	// applied by the app at least once.
	NoLostUpload = "no-lost-upload"
	// RunCompletes: the run ended (no deadlock, no harness error).
	RunCompletes = "run-completes"
)

// KnownInvariant reports whether name is an invariant or a checker.
func KnownInvariant(name string) bool {
	if name == NoLostUpload || name == RunCompletes {
		return true
	}
	_, ok := check.ByName(name)
	return ok
}

// Failure is one invariant a run broke.
type Failure struct {
	Invariant string `json:"invariant"`
	// Shape is the failure's cause-chain shape: two failures with the same
	// invariant and shape are the same bug.
	Shape string `json:"shape"`
	// Explanation is the checker's finding, with its cause chain.
	Explanation string `json:"explanation"`
}

// Key identifies a distinct failure.
func (f Failure) Key() string { return f.Invariant + " | " + f.Shape }

// Judge lists the invariants (Invariants plus extra) that res breaks;
// runErr is the error of the run itself.
func Judge(res *record.Result, runErr error, extra []string) []Failure {
	if runErr != nil || res == nil || res.Error != "" {
		msg := ""
		if runErr != nil {
			msg = runErr.Error()
		} else if res != nil {
			msg = res.Error
		}
		return []Failure{{Invariant: RunCompletes, Shape: normalise(firstLine(msg)), Explanation: msg}}
	}
	if ext := res.External; ext != nil && ext.Err != "" {
		msg := "the external app's effect probe could not be read: " + ext.Err
		return []Failure{{Invariant: RunCompletes, Shape: normalise(firstLine(msg)), Explanation: msg}}
	}
	names := append(append([]string(nil), Invariants...), extra...)
	seen := map[string]bool{}
	var out []Failure
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		switch name {
		case RunCompletes:
			continue
		case NoLostUpload:
			if f, ok := lostUpload(res); ok {
				out = append(out, f)
			}
			continue
		case "exactly-once-effect":
			// Zero effects (a fatal answer, a job that failed) is not a
			// duplicate; an acknowledged job without one is NoLostUpload.
			if f, ok := duplicateEffect(res); ok {
				out = append(out, f)
			}
			continue
		}
		v, ok := res.Verdict(name)
		if !ok || v.Status != check.Fail {
			continue
		}
		out = append(out, Failure{Invariant: name, Shape: shape(res, v), Explanation: v.String()})
	}
	return out
}

// lostUpload finds a job acknowledged to the client whose effect the app
// never applied.
func lostUpload(res *record.Result) (Failure, bool) {
	effects := map[string]int{}
	if ext := res.External; ext != nil {
		if ext.Probe == "" || ext.Err != "" {
			return Failure{}, false // no effects to judge by (exactly-once-effect says why)
		}
		for txn, n := range ext.Effects {
			effects[txn] = n
		}
	}
	for _, d := range res.Ledger {
		if d.Effect {
			effects[d.Txn]++
			effects[d.RemoteURL]++
		}
	}
	for _, j := range res.Jobs {
		if j.Result.State != "ACKNOWLEDGED" {
			continue
		}
		if (j.Txn != "" && effects[j.Txn] > 0) || (j.Txn == "" && effects[j.URL] > 0) {
			continue
		}
		msg := fmt.Sprintf("job %s was ACKNOWLEDGED but the app never applied its effect", j.ID)
		return Failure{Invariant: NoLostUpload, Shape: "acknowledged, no effect", Explanation: msg}, true
	}
	return Failure{}, false
}

// duplicateEffect finds a transaction whose effect the app applied more
// than once.
func duplicateEffect(res *record.Result) (Failure, bool) {
	effects := map[string]int{}
	if res.External != nil {
		// An external app's effects are its probe's (per transaction id):
		// the ledger only knows the mock's.
		for txn, n := range res.External.Effects {
			effects["txn:"+txn] = n
		}
	}
	for _, d := range res.Ledger {
		if d.Effect {
			effects[d.Key()]++
		}
	}
	for _, k := range sortedKeys(effects) {
		if effects[k] < 2 {
			continue
		}
		v, _ := res.Verdict("exactly-once-effect")
		v.Checker = "exactly-once-effect"
		expl := fmt.Sprintf("%s applied %d effects, want exactly 1", k, effects[k])
		if d, ok := res.Verdict("duplicates"); ok {
			expl += "\n" + d.String()
		}
		return Failure{Invariant: v.Checker, Shape: shape(res, v), Explanation: expl}, true
	}
	return Failure{}, false
}

// shape is a failure's cause-chain shape: for exactly-once-effect the
// documented case the duplicate checker names (or its chain with numbers
// and names blanked), otherwise the first failing finding, blanked.
func shape(res *record.Result, v check.Verdict) string {
	if v.Checker == "exactly-once-effect" {
		if d, ok := res.Verdict("duplicates"); ok {
			for _, f := range d.Findings {
				if f.Status != check.Fail {
					continue
				}
				if i := strings.Index(f.Message, "; "); i >= 0 {
					return "duplicate effect" + normalise(f.Message[i:])
				}
				return "duplicate effect; " + chainShape(f.Chain)
			}
		}
	}
	for _, f := range v.Findings {
		if f.Status == check.Fail {
			return normalise(f.Message)
		}
	}
	return normalise(v.Summary)
}

// chainShape is a cause chain without its faults' names and parameters,
// times, addresses and parenthesised details: the steps the protocol took.
func chainShape(chain []string) string {
	var steps []string
	for _, c := range chain {
		if strings.HasPrefix(c, "(before)") || strings.Contains(c, " fired: ") {
			continue
		}
		c = blankParen.ReplaceAllString(c, "")
		c = blankTime.ReplaceAllString(c, "")
		c = blankAddr.ReplaceAllString(c, "")
		c = normalise(strings.TrimSpace(c))
		if len(steps) == 0 || steps[len(steps)-1] != c {
			steps = append(steps, c)
		}
	}
	return strings.Join(steps, " → ")
}

var (
	blankParen  = regexp.MustCompile(`\s*\([^()]*\)`)
	blankTime   = regexp.MustCompile(`^\+\S+\s+`)
	blankAddr   = regexp.MustCompile(`\s*(to|on|from)?\s*(https?://)?\d+\.\d+\.\d+\.\d+:\d+[^\s:]*`)
	keepCase    = regexp.MustCompile(`§\d+ case \d+`)
	blankNames  = regexp.MustCompile(`\b(node|job-j|j)\d+(\.bin)?\b`)
	blankHex    = regexp.MustCompile(`\{?[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}\}?|0x[0-9a-fA-F]+|[0-9a-f]{16,}`)
	blankNumber = regexp.MustCompile(`\d+(\.\d+)?[a-zµ]*`)
)

// normalise blanks the parts of a message that differ between runs of the
// same bug: node and job names, ids, numbers. Status codes survive.
func normalise(s string) string {
	var cases []string
	s = keepCase.ReplaceAllStringFunc(s, func(m string) string { cases = append(cases, m); return "\x00" })
	s = blankHex.ReplaceAllString(s, "H")
	s = blankNames.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "node") {
			return "nodeN"
		}
		return "J"
	})
	s = blankNumber.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) == 3 && m[0] >= '1' && m[0] <= '5' && !strings.ContainsAny(m, ".abcdefghijklmnopqrstuvwxyzµ") {
			return m // an HTTP status
		}
		return "#"
	})
	for _, c := range cases {
		s = strings.Replace(s, "\x00", c, 1)
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
