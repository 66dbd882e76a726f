package check

import (
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"strings"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// Status is a checker's conclusion.
type Status string

// Statuses.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Unknown Status = "unknown"
)

// worse returns the more severe of two statuses (fail > unknown > pass).
func worse(a, b Status) Status {
	rank := map[Status]int{Pass: 0, Unknown: 1, Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Finding is one observation behind a verdict.
type Finding struct {
	Status  Status `json:"status"`
	Job     string `json:"job,omitempty"`
	Txn     string `json:"txn,omitempty"`
	Node    string `json:"node,omitempty"`
	Message string `json:"message"`
	// Chain is a cause chain, in order: what led to this finding.
	Chain []string `json:"chain,omitempty"`
}

// Verdict is a checker's result.
type Verdict struct {
	Checker  string    `json:"checker"`
	Status   Status    `json:"status"`
	Summary  string    `json:"summary"`
	Findings []Finding `json:"findings,omitempty"`
	// Figures are the checker's counts (deliveries, duplicates, restarts ...),
	// for reports and for scenario expectations.
	Figures map[string]int64 `json:"figures,omitempty"`
}

func (v Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", v.Checker, v.Status, v.Summary)
	for _, f := range v.Findings {
		fmt.Fprintf(&b, "\n  - [%s] %s", f.Status, f.Message)
		for _, c := range f.Chain {
			fmt.Fprintf(&b, "\n      → %s", c)
		}
	}
	return b.String()
}

// Input is everything a checker may read.
type Input struct {
	Events   []sim.Event       `json:"events"`
	Ledger   []ledger.Delivery `json:"ledger"`
	Schedule faults.Schedule   `json:"schedule,omitempty"`
	// External is set when the farm notified the user's own application
	// instead of the mock: the Ledger was then recorded on the node side
	// (its Effect flags mean nothing) and effects come from the app's probe.
	External *AppProbe `json:"external,omitempty"`
	// Disk, when set, is what the farm's storage held after the run's final
	// cleanup: the no-orphans checker reads it instead of trusting the
	// nodes' own session events. Nil for runs saved before it existed.
	Disk *DiskScan `json:"disk,omitempty"`
}

// DiskScan lists the session directories left in a farm's storage.
type DiskScan struct {
	// Sessions are the session directories found (Requests/{GUID} or
	// Replies/{GUID} under a storage directory's BITS-Sessions), sorted.
	Sessions []DiskSession `json:"sessions"`
}

// DiskSession is one session directory found on disk.
type DiskSession struct {
	// Storage is the storage directory: a node's name ("node2") for local
	// storage, "shared" for shared storage.
	Storage string `json:"storage"`
	Session string `json:"session"`
	// Path is the directory, relative to the farm's root.
	Path string `json:"path"`
}

// AppProbe is what an external application said about its own effects.
type AppProbe struct {
	// App is the application's notification URL.
	App string `json:"app"`
	// Probe names the effect probe (URL or command); "" when none was
	// configured, which makes exactly-once-effect unknown.
	Probe string `json:"probe,omitempty"`
	// Effects are the effects applied during the run per transaction id
	// (the probe read after every job ended, minus the one before).
	Effects map[string]int `json:"effects,omitempty"`
	// Err is why the probe could not be read or understood.
	Err string `json:"err,omitempty"`
}

// Checker judges one property of a run.
type Checker interface {
	Name() string
	Check(in Input) Verdict
}

// All returns every checker, in report order.
func All() []Checker {
	return []Checker{Integrity{}, AtLeastOnce{}, Duplicates{}, ResumeRestart{}, ExactlyOnceEffect{}, FaultsFired{}, NoOrphans{}, HostIDHonoured{}}
}

// ByName returns the checker with that name.
func ByName(name string) (Checker, bool) {
	for _, c := range All() {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}

// Run applies the checkers to in.
func Run(in Input, checkers ...Checker) []Verdict {
	out := make([]Verdict, 0, len(checkers))
	for _, c := range checkers {
		out = append(out, c.Check(in))
	}
	return out
}

// verdict builds a Verdict whose status is the worst of its findings.
func verdict(name string, findings []Finding, summary string, figures map[string]int64) Verdict {
	st := Pass
	for _, f := range findings {
		st = worse(st, f.Status)
	}
	return Verdict{Checker: name, Status: st, Summary: summary, Findings: findings, Figures: figures}
}
