package explore

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
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
	// Shape is the failure's grouping key: its cause chain with the
	// numbers, names and ids that differ between runs of the same bug
	// blanked ("#", "nodeN", "H"). Two failures with the same invariant and
	// shape are the same bug. It is a key, not a text for users: Label is.
	Shape string `json:"shape"`
	// Label is the same cause as Shape, read from this run: its documented
	// case, or its cause chain with the real node names, HRESULTs and byte
	// counts (times, addresses and parenthesised details left out).
	Label string `json:"label"`
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
		return []Failure{runFailure(msg)}
	}
	if ext := res.External; ext != nil && ext.Err != "" {
		return []Failure{runFailure("the external app's effect probe could not be read: " + ext.Err)}
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
		sh, label := shape(res, v)
		out = append(out, Failure{Invariant: name, Shape: sh, Label: label, Explanation: v.String()})
	}
	return out
}

// runFailure is a run that did not complete, with msg saying why.
func runFailure(msg string) Failure {
	l := firstLine(msg)
	return Failure{Invariant: RunCompletes, Shape: normalise(l), Label: clean(l), Explanation: msg}
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
		return Failure{Invariant: NoLostUpload, Shape: "acknowledged, no effect", Label: msg, Explanation: msg}, true
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
		expl := fmt.Sprintf("%s applied %d effects, want exactly 1", k, effects[k])
		if d, ok := res.Verdict("duplicates"); ok {
			expl += "\n" + d.String()
		}
		f := Failure{Invariant: "exactly-once-effect", Explanation: expl}
		if d, ok := doubling(res, k); ok {
			f.Shape, f.Label = dupShape("duplicate effect", d)
		} else {
			v, _ := res.Verdict("exactly-once-effect")
			f.Shape, f.Label = shape(res, v)
		}
		return f, true
	}
	return Failure{}, false
}

// doubling is the duplicate delivery (the duplicates checker's finding)
// that applied key's effect a second time: the ledger numbers deliveries
// across the run, and a finding names the delivery it repeats. Without a
// ledger effect to go by (an external app's effects are its probe's) it
// is the first duplicate of key's transaction, then the first duplicate.
func doubling(res *record.Result, key string) (check.Finding, bool) {
	d, ok := res.Verdict("duplicates")
	if !ok {
		return check.Finding{}, false
	}
	var fails []check.Finding
	for _, f := range d.Findings {
		if f.Status == check.Fail {
			fails = append(fails, f)
		}
	}
	if len(fails) == 0 {
		return check.Finding{}, false
	}
	applied := 0
	for _, dl := range res.Ledger {
		if !dl.Effect || dl.Key() != key {
			continue
		}
		if applied++; applied < 2 {
			continue
		}
		for _, f := range fails {
			if repeatSeq(f.Message) == dl.Seq {
				return f, true
			}
		}
		break
	}
	for _, f := range fails {
		if f.Txn != "" && "txn:"+f.Txn == key {
			return f, true
		}
	}
	return fails[0], true
}

// repeatSeq is the number of the delivery a duplicates finding explains
// ("job j delivered 3 times: delivery #3 (node2) repeats #2 (node1)..."),
// 0 if the message does not say.
func repeatSeq(msg string) int {
	m := dupSeq.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var dupSeq = regexp.MustCompile(`delivered \d+ times: delivery #(\d+) `)

// dupShape is a duplicate delivery's shape and label, what introducing
// them: the documented case its finding names, or its cause chain.
func dupShape(what string, f check.Finding) (shape, label string) {
	if i := strings.Index(f.Message, "; "); i >= 0 {
		return what + normalise(f.Message[i:]), what + clean(f.Message[i:])
	}
	return what + "; " + chainShape(f.Chain), what + "; " + chainLabel(f.Chain)
}

// shape is a failure's shape and label: for the duplicates checker its
// first duplicate's (dupShape), otherwise its first failing finding's
// message, blanked (normalise) and as it is.
func shape(res *record.Result, v check.Verdict) (shape, label string) {
	for _, f := range v.Findings {
		if f.Status != check.Fail {
			continue
		}
		if v.Checker == "duplicates" {
			return dupShape("duplicate delivery", f)
		}
		return normalise(f.Message), clean(f.Message)
	}
	return normalise(v.Summary), clean(v.Summary)
}

// chainShape is a cause chain without its faults' names and parameters,
// times, addresses and parenthesised details, blanked: the steps the
// protocol took.
func chainShape(chain []string) string { return chainSteps(chain, false) }

// chainLabel is chainShape with the run's own node names, HRESULTs and
// byte counts; an answer's address is "the farm" (the shared address or a
// node's own).
func chainLabel(chain []string) string { return chainSteps(chain, true) }

func chainSteps(chain []string, label bool) string {
	var steps []string
	for _, c := range chain {
		if strings.HasPrefix(c, "(before)") || strings.Contains(c, " fired: ") {
			continue
		}
		c = clean(c)
		c = blankParen.ReplaceAllString(c, "")
		c = blankTime.ReplaceAllString(c, "")
		if label {
			c = answerAddr.ReplaceAllString(c, "the farm answered")
			// The checker's wording is saved in runs (and re-checked
			// against them): the label puts it in the singular.
			c = strings.Replace(c, "client retried 1 times", "client retried 1 time", 1)
		}
		c = strings.TrimSpace(blankAddr.ReplaceAllString(c, ""))
		if !label {
			c = normalise(c)
		}
		if len(steps) == 0 || steps[len(steps)-1] != c {
			steps = append(steps, c)
		}
	}
	return strings.Join(steps, " → ")
}

// clean drops the request a Go HTTP client error quotes (`Post
// "http://host/path": EOF` is "EOF"): its address is in the step already.
func clean(s string) string { return goURLErr.ReplaceAllString(s, "") }

var (
	goURLErr    = regexp.MustCompile(`\b[A-Z][A-Za-z_]* "[a-z]+://[^"]*": `)
	answerAddr  = regexp.MustCompile(`^\S+:\d+ answered`)
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
	s = clean(s)
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
