package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// Schema is the value of Report.Schema written by this version of bitsim.
// See the package documentation for the version policy.
const Schema = "bitsim-report/1"

// Report is report.json: a run and every scenario run in it, with verdicts,
// explanations and figures. Field names are stable within a Schema version.
type Report struct {
	// Schema is "bitsim-report/1" (the Schema constant).
	Schema string `json:"schema"`
	// Run describes the run as a whole (run.json).
	Run RunInfo `json:"run"`
	// Totals counts scenario runs by outcome.
	Totals Totals `json:"totals"`
	// Scenarios are the scenario runs, in run order (run.json's order).
	Scenarios []ScenarioReport `json:"scenarios"`
	// Rates is the duplicate-rate table of `bitsim explore --rates`, when
	// the run measured one (Options.Rates).
	Rates *record.RateTable `json:"rates,omitempty"`
	// Explore is the exploration of `bitsim explore` (Options.Exploration):
	// its runs, violations, coverage and bounded guarantee; the scenario
	// runs are then its reproducers'.
	Explore *record.Exploration `json:"explore,omitempty"`
}

// RunInfo describes the run (run.json).
type RunInfo struct {
	// Dir is the run directory the report was built from, as given (the
	// replay commands name it). "RUN_DIR" when normalized.
	Dir  string `json:"dir"`
	Tool string `json:"tool"`
	// Seed is the run's seed; randomized scenarios draw theirs from it.
	Seed sim.Seed `json:"seed"`
	// Command is the command line that produced the run.
	Command []string `json:"command,omitempty"`
	// Started and WallSeconds are wall-clock facts: zero when normalized.
	Started     time.Time `json:"started"`
	WallSeconds float64   `json:"wall_seconds"`
	// Passed: every scenario run passed.
	Passed bool `json:"passed"`
}

// Totals counts scenario runs.
type Totals struct {
	Runs   int `json:"runs"`
	Passed int `json:"passed"`
	Failed int `json:"failed"` // failed expectations, errors included
	Errors int `json:"errors"` // runs that could not be carried out (Error set)
	// Skipped counts runs that were not carried out on purpose (Skipped
	// set); they count neither as passed nor as failed.
	Skipped int `json:"skipped,omitempty"`
}

// ScenarioReport is one scenario run.
type ScenarioReport struct {
	// ID names the run uniquely within the run directory: the scenario's
	// name, with "@<seed>" for randomized scenarios (one run per seed).
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Spec        string   `json:"spec,omitempty"` // e.g. "§14 case 4"
	Labels      []string `json:"labels,omitempty"`
	Seed        sim.Seed `json:"seed"`
	// Dir is the scenario run's directory, relative to the run directory.
	Dir string `json:"dir,omitempty"`
	// Passed: every expectation held; Failures says which did not (sorted).
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	// Error is set when the run itself could not be carried out.
	Error string `json:"error,omitempty"`
	// Skipped, if set, is why the scenario was not run (e.g. it needs a
	// mock-app fault and the run targeted the user's own application).
	Skipped string `json:"skipped,omitempty"`
	// App is the user's own application the run targeted, with its
	// effect probe's answer (absent for the mock app).
	App *check.AppProbe `json:"app,omitempty"`
	// Verdicts are the checkers' verdicts with their explanations.
	Verdicts []Verdict `json:"verdicts"`
	Figures  Figures   `json:"figures"`
	Jobs     []Job     `json:"jobs"`
	// Faults is the fault schedule applied (random draws included) with
	// how often, when and where each entry fired.
	Faults []Fault `json:"faults,omitempty"`
	// Duplicates explains each delivery beyond a job's first.
	Duplicates []Duplicate `json:"duplicates,omitempty"`
	Time       Time        `json:"time"`
	// Replay is the command that replays this scenario run.
	Replay string `json:"replay"`
}

// Verdict is one checker's verdict (check.Verdict).
type Verdict struct {
	Checker  string           `json:"checker"`
	Status   check.Status     `json:"status"` // pass | fail | unknown
	Summary  string           `json:"summary"`
	Findings []Finding        `json:"findings,omitempty"`
	Figures  map[string]int64 `json:"figures,omitempty"`
}

// Finding is one observation behind a verdict, with its cause chain.
type Finding struct {
	Status  check.Status `json:"status"`
	Job     string       `json:"job,omitempty"`
	Txn     string       `json:"txn,omitempty"`
	Node    string       `json:"node,omitempty"`
	Message string       `json:"message"`
	// Chain is the cause chain, in order (protocol times relative to its
	// first step).
	Chain []string `json:"chain,omitempty"`
}

// Figures are the run's counts over all jobs.
type Figures struct {
	Deliveries  int   `json:"deliveries"`
	Effects     int   `json:"effects"`
	Duplicates  int   `json:"duplicates"`
	Sessions    int   `json:"sessions"`
	Restarts    int   `json:"restarts"`
	BytesSent   int64 `json:"bytes_sent"`
	BytesResent int64 `json:"bytes_resent"`
	Events      int   `json:"events"` // history length
}

// Job is one job: the client's own result and what the history says.
type Job struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Txn  string `json:"txn,omitempty"`
	Size int64  `json:"size"` // upload size, envelope included
	// Client is the client's result (client.Result).
	Client ClientResult `json:"client"`
	// Stats is what the history shows (check.JobStats).
	Stats JobStats `json:"stats"`
}

// ClientResult is the client's own account of a job (client.Result).
type ClientResult struct {
	State      string `json:"state"` // ACKNOWLEDGED, ERROR, ...
	Error      string `json:"error,omitempty"`
	Code       string `json:"code,omitempty"` // HRESULT, "0x80200024"
	BytesSent  int64  `json:"bytes_sent"`
	BytesTotal int64  `json:"bytes_total"`
	BytesAcked int64  `json:"bytes_acked"`
	Sessions   int    `json:"sessions"`
	Restarts   int    `json:"restarts"`
	Retries    int    `json:"retries"`
	Resyncs    int    `json:"resyncs"`
	ReplySize  int64  `json:"reply_size"`
}

// JobStats is check.JobStats: a job's history, measured.
type JobStats struct {
	Sessions      int64    `json:"sessions"`
	Restarts      int64    `json:"restarts"`
	Resumes       int64    `json:"resumes"`
	Interruptions int64    `json:"interruptions"`
	BytesSent     int64    `json:"bytes_sent"`
	BytesResent   int64    `json:"bytes_resent"`
	Retries       int64    `json:"retries"`
	Finished      bool     `json:"finished"`
	Outcomes      []string `json:"outcomes,omitempty"`
}

// Fault is one schedule entry and its firings.
type Fault struct {
	Name     string `json:"name"`
	Trigger  string `json:"trigger"` // faults.Trigger in words
	Action   string `json:"action"`  // faults.Action in words
	Optional bool   `json:"optional,omitempty"`
	// Fired is the injector's count (result.json "fired"); Firings are the
	// fault.fired events of the history.
	Fired   int      `json:"fired"`
	Firings []Firing `json:"firings,omitempty"`
}

// Firing is one fault.fired event.
type Firing struct {
	Seq  int64  `json:"seq"`   // history sequence number
	AtNS int64  `json:"at_ns"` // protocol time since the run's first event
	At   string `json:"at"`    // the same, as "+10m0s"
	Node string `json:"node,omitempty"`
	What string `json:"what,omitempty"` // what the injector did
	Err  string `json:"err,omitempty"`  // why applying it failed
}

// Duplicate is one duplicate delivery and its cause chain (from the
// duplicates checker).
type Duplicate struct {
	Job     string   `json:"job"`
	Txn     string   `json:"txn,omitempty"`
	Node    string   `json:"node,omitempty"`
	Message string   `json:"message"`
	Chain   []string `json:"chain,omitempty"`
}

// Time compares protocol time with wall time.
type Time struct {
	ProtocolNS int64  `json:"protocol_ns"`
	Protocol   string `json:"protocol"`
	// WallNS, Wall and Compression (protocol/wall) are wall-clock facts:
	// zero when normalized.
	WallNS      int64   `json:"wall_ns"`
	Wall        string  `json:"wall,omitempty"`
	Compression float64 `json:"compression"`
}

// Options tune Build and Write. The zero value is the default.
type Options struct {
	// Normalize zeroes wall-clock facts (start time, wall times,
	// compression) and names the run directory "RUN_DIR", so reports of the
	// same saved run are byte-identical (golden files).
	Normalize bool
	// RunDir is the run directory named in replay commands; default the
	// index's BasePath (or the report directory).
	RunDir string
	// MaxRows caps the rows of each timeline diagram (default 240).
	MaxRows int
	// Rates, if set, adds the duplicate-rate table: a section of summary.md
	// and a bar chart in report.html (and Report.Rates).
	Rates *record.RateTable
	// Exploration, if set, adds the exploration of `bitsim explore`: a
	// section of summary.md and report.html (and Report.Explore); with no
	// scenario runs (every invariant held), junit.xml holds a passing test
	// case per invariant.
	Exploration *record.Exploration
}

// Build turns a run into a Report.
func Build(idx *record.RunIndex, results []*record.Result) Report {
	return Options{}.Build(idx, results)
}

// Build turns a run into a Report with these options.
func (o Options) Build(idx *record.RunIndex, results []*record.Result) Report {
	if idx == nil {
		idx = &record.RunIndex{Tool: "bitsim"}
	}
	runDir := o.runDir(idx, "")
	rep := Report{Schema: Schema, Run: RunInfo{Dir: runDir, Tool: idx.Tool, Seed: idx.Seed, Command: idx.Command,
		Started: idx.Started, WallSeconds: idx.Wall, Passed: true}, Rates: o.Rates, Explore: o.Exploration}
	if o.Normalize {
		rep.Run.Started, rep.Run.WallSeconds = time.Time{}, 0
	}
	if o.Exploration != nil && !o.Exploration.Held() {
		rep.Run.Passed = false
	}
	for i, r := range results {
		if r == nil {
			continue
		}
		s := o.scenario(runDir, r)
		if i < len(idx.Entries) && idx.Entries[i].Name == r.Scenario {
			s.Dir = idx.Entries[i].Dir
		}
		rep.Scenarios = append(rep.Scenarios, s)
		rep.Totals.Runs++
		if s.Skipped != "" {
			rep.Totals.Skipped++
		} else if s.Passed {
			rep.Totals.Passed++
		} else {
			rep.Totals.Failed++
			rep.Run.Passed = false
		}
		if s.Error != "" {
			rep.Totals.Errors++
		}
	}
	return rep
}

func (o Options) runDir(idx *record.RunIndex, fallback string) string {
	switch {
	case o.Normalize:
		return "RUN_DIR"
	case o.RunDir != "":
		return o.RunDir
	case idx != nil && idx.BasePath != "":
		return idx.BasePath
	case fallback != "":
		return fallback
	}
	return "RUN_DIR"
}

// RunID is a scenario run's unique name within its run: the scenario's
// name, with "@<seed>" for randomized scenarios.
func RunID(r *record.Result) string {
	for _, l := range r.Labels {
		if l == record.LabelRandom {
			return fmt.Sprintf("%s@%d", r.Scenario, r.Seed)
		}
	}
	return r.Scenario
}

func (o Options) scenario(runDir string, r *record.Result) ScenarioReport {
	id := RunID(r)
	s := ScenarioReport{ID: id, Name: r.Scenario, Description: r.Description, Spec: r.Spec, Labels: r.Labels, Seed: r.Seed,
		Passed: r.Passed, Failures: r.Failures, Error: r.Error, Skipped: r.Skipped, App: r.External, Verdicts: []Verdict{}, Jobs: []Job{},
		Figures: Figures{Deliveries: r.Deliveries, Effects: r.Effects, Duplicates: r.Duplicates, Sessions: r.Sessions,
			Restarts: r.Restarts, BytesSent: r.BytesSent, BytesResent: r.BytesResent, Events: len(r.Events)},
		Time:   Time{ProtocolNS: int64(r.ProtocolTime), Protocol: r.ProtocolTime.String(), WallNS: int64(r.Wall), Compression: r.Compression},
		Replay: ReplayCommand(runDir, id),
	}
	if r.Wall > 0 {
		s.Time.Wall = r.Wall.Round(time.Microsecond).String()
	}
	if o.Normalize {
		s.Time.WallNS, s.Time.Wall, s.Time.Compression = 0, "", 0
	}
	for _, v := range r.Verdicts {
		vr := Verdict{Checker: v.Checker, Status: v.Status, Summary: v.Summary, Figures: v.Figures}
		for _, f := range v.Findings {
			vr.Findings = append(vr.Findings, Finding{Status: f.Status, Job: f.Job, Txn: f.Txn, Node: f.Node, Message: f.Message, Chain: f.Chain})
			if v.Checker == (check.Duplicates{}).Name() && f.Status == check.Fail {
				s.Duplicates = append(s.Duplicates, Duplicate{Job: f.Job, Txn: f.Txn, Node: f.Node, Message: f.Message, Chain: f.Chain})
			}
		}
		s.Verdicts = append(s.Verdicts, vr)
	}
	stats := map[string]check.JobStats{}
	for _, st := range jobStats(r) {
		stats[st.Job] = st
	}
	for _, j := range r.Jobs {
		c := j.Result
		st := stats[j.ID]
		s.Jobs = append(s.Jobs, Job{Name: j.Name, ID: j.ID, Txn: j.Txn, Size: j.Size,
			Client: ClientResult{State: c.State, Error: c.Error, Code: c.Code, BytesSent: c.BytesSent, BytesTotal: c.BytesTotal,
				BytesAcked: c.BytesAcked, Sessions: c.Sessions, Restarts: c.Restarts, Retries: c.Retries, Resyncs: c.Resyncs, ReplySize: c.ReplySize},
			Stats: JobStats{Sessions: st.Sessions, Restarts: st.Restarts, Resumes: st.Resumes, Interruptions: st.Interruptions,
				BytesSent: st.BytesSent, BytesResent: st.BytesResent, Retries: st.Retries, Finished: st.Finished, Outcomes: st.Outcomes}})
	}
	s.Faults = faults(r)
	return s
}

// jobStats returns the run's per-job statistics, computing them from the
// history when the result was loaded from disk (they are not saved).
func jobStats(r *record.Result) []check.JobStats {
	if r.Stats != nil || len(r.Events) == 0 {
		return r.Stats
	}
	return check.Stats(r.Input())
}

// faults lists the schedule with its firings; faults that fired without
// being in the schedule (should not happen) follow, sorted by name.
func faults(r *record.Result) []Fault {
	t0 := start(r.Events)
	firings := map[string][]Firing{}
	for _, e := range r.Events {
		if e.Kind != sim.FaultFired {
			continue
		}
		off := e.At.Sub(t0)
		firings[e.Fault] = append(firings[e.Fault], Firing{Seq: e.Seq, AtNS: int64(off), At: offset(off), Node: e.Node, What: e.Action, Err: e.Err})
	}
	var out []Fault
	seen := map[string]bool{}
	for i, f := range r.Schedule {
		name := r.Schedule.FaultName(i)
		seen[name] = true
		out = append(out, Fault{Name: name, Trigger: f.When(), Action: f.What(), Optional: f.Optional,
			Fired: r.Fired[name], Firings: firings[name]})
	}
	var extra []string
	for name := range r.Fired {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		out = append(out, Fault{Name: name, Fired: r.Fired[name], Firings: firings[name]})
	}
	return out
}

// start is the protocol time of a history's first event.
func start(evs []sim.Event) time.Time {
	if len(evs) == 0 {
		return time.Time{}
	}
	t := evs[0].At
	for _, e := range evs {
		if e.At.Before(t) {
			t = e.At
		}
	}
	return t
}

// offset formats a protocol-time offset as "+10m0s".
func offset(d time.Duration) string {
	if d < time.Second {
		return "+" + d.Round(time.Millisecond).String()
	}
	return "+" + d.Round(time.Second).String()
}

// failedVerdicts returns the verdicts that did not pass, as text (the
// checkers' explanations).
func failedVerdicts(s ScenarioReport) []string {
	var out []string
	for _, v := range s.Verdicts {
		if v.Status == check.Pass {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s: %s", v.Checker, v.Status, v.Summary)
		for _, f := range v.Findings {
			if f.Status == check.Pass {
				continue
			}
			fmt.Fprintf(&b, "\n  - [%s] %s", f.Status, f.Message)
			for _, c := range f.Chain {
				fmt.Fprintf(&b, "\n      → %s", c)
			}
		}
		out = append(out, b.String())
	}
	return out
}
