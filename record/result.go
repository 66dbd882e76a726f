package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// Result is one scenario run: what happened, the checkers' verdicts and
// whether the scenario's expectations held. It is saved as result.json in
// the run's directory, next to scenario.json, history.json and ledger.json.
type Result struct {
	Scenario    string   `json:"scenario"`
	Description string   `json:"description,omitempty"`
	Spec        string   `json:"spec,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Seed        sim.Seed `json:"seed"`
	// Passed: every expectation held. Failures says which did not.
	Passed   bool            `json:"passed"`
	Failures []string        `json:"failures,omitempty"`
	Verdicts []check.Verdict `json:"verdicts"`
	Jobs     []JobResult     `json:"jobs"`

	Deliveries  int   `json:"deliveries"`
	Effects     int   `json:"effects"`
	Duplicates  int   `json:"duplicates"`
	Sessions    int   `json:"sessions"`
	Restarts    int   `json:"restarts"`
	BytesSent   int64 `json:"bytes_sent"`
	BytesResent int64 `json:"bytes_resent"`
	// ProtocolTime is the protocol time the jobs took; Wall the real time;
	// Compression their ratio.
	ProtocolTime time.Duration `json:"protocol_time_ns"`
	// HistoryDigest is the "sha256:" of the canonical history (see
	// HistoryDigest): the same on every replay of an exact-tier run.
	HistoryDigest string `json:"history_digest,omitempty"`
	// Tier is the tier the run was played on (TierExact or TierWire).
	Tier        string        `json:"tier,omitempty"`
	Wall        time.Duration `json:"wall_ns"`
	Compression float64       `json:"compression"`
	// Schedule is the schedule applied (random draws included); Fired how
	// often each fault fired.
	Schedule faults.Schedule `json:"schedule,omitempty"`
	Fired    map[string]int  `json:"fired,omitempty"`
	// Disk is what the farm's storage held after the final cleanup (the
	// no-orphans checker reads it).
	Disk *check.DiskScan `json:"disk,omitempty"`
	// Error is set when the run itself could not be carried out.
	Error string `json:"error,omitempty"`
	// Skipped, if set, is why the scenario was not run (e.g. it needs a
	// mock-app fault and the farm notified an external app). A skipped run
	// is neither passed nor failed: Passed stays true so that it does not
	// fail the batch, and every report shows it as skipped.
	Skipped string `json:"skipped,omitempty"`
	// External is the external app's account of its effects (nil for the
	// mock app).
	External *check.AppProbe `json:"external,omitempty"`

	// Events and Ledger are the run's history and the app's ledger (saved
	// in their own files).
	Events []sim.Event       `json:"-"`
	Ledger []ledger.Delivery `json:"-"`
	Source *Scenario         `json:"-"`
	Dir    string            `json:"-"`
	Stats  []check.JobStats  `json:"-"`
}

// Tiers a run can be played on.
const (
	// TierExact: in a synctest bubble, on the in-memory network and its
	// canonical scheduler; the same seed gives the same run.
	TierExact = "exact"
	// TierWire: real loopback TCP with a virtual clock's idle detector.
	TierWire = "wire"
)

// JobResult is one job's outcome.
type JobResult struct {
	Name   string       `json:"name"`
	ID     string       `json:"id"`
	URL    string       `json:"url"`
	Txn    string       `json:"txn,omitempty"`
	Size   int64        `json:"size"`
	Result ClientResult `json:"result"`
}

// ClientResult is a job's outcome as the client reported it: the saved
// form of package client's Result (same JSON), kept here so that readers of
// saved runs need not link the client.
type ClientResult struct {
	Job string `json:"job,omitempty"`
	// State is the final BG_JOB_STATE name, e.g. "ACKNOWLEDGED", "ERROR".
	State      string `json:"state"`
	BytesSent  int64  `json:"bytes_sent"`
	BytesTotal int64  `json:"bytes_total"`
	BytesAcked int64  `json:"bytes_acked"`
	Sessions   int    `json:"sessions"`
	Restarts   int    `json:"restarts"`
	Retries    int    `json:"retries"`
	Resyncs    int    `json:"resyncs"`
	ReplySize  int64  `json:"reply_size"`
	Error      string `json:"error,omitempty"`
	Code       string `json:"code,omitempty"` // the error's HRESULT, "0x%08X"
}

// Verdict returns the verdict of the named checker.
func (r *Result) Verdict(name string) (check.Verdict, bool) {
	for _, v := range r.Verdicts {
		if v.Checker == name {
			return v, true
		}
	}
	return check.Verdict{}, false
}

// Input returns the checkers' input for this run.
func (r *Result) Input() check.Input {
	return check.Input{Events: r.Events, Ledger: r.Ledger, Schedule: r.Schedule, External: r.External, Disk: r.Disk}
}

// Save writes the run's files into dir.
func (r *Result) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var hist bytes.Buffer
	if err := sim.EncodeHistory(&hist, r.Events); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "history.json"), hist.Bytes(), 0o644); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	files := map[string]any{
		"result.json": r,
		"ledger.json": ledger.Snapshot{Deliveries: nonNil(r.Ledger), Effects: r.Effects},
	}
	if r.Source != nil {
		files["scenario.json"] = r.Source
	}
	for name, v := range files {
		if err := writeJSON(filepath.Join(dir, name), v); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(d []ledger.Delivery) []ledger.Delivery {
	if d == nil {
		return []ledger.Delivery{}
	}
	return d
}

func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("record: %s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// LoadResult reads a scenario run's directory written by Save.
func LoadResult(dir string) (*Result, error) {
	var r Result
	if err := readJSON(filepath.Join(dir, "result.json"), &r); err != nil {
		return nil, err
	}
	evs, err := readHistory(filepath.Join(dir, "history.json"))
	if err != nil {
		return nil, err
	}
	r.Events = evs
	var snap ledger.Snapshot
	if err := readJSON(filepath.Join(dir, "ledger.json"), &snap); err != nil {
		return nil, err
	}
	r.Ledger = snap.Deliveries
	var sc Scenario
	if err := readJSON(filepath.Join(dir, "scenario.json"), &sc); err == nil {
		r.Source = &sc
	}
	r.Dir = dir
	return &r, nil
}

// readHistory reads history.json of any schema: sim.DecodeHistory
// upgrades a history written before the typed event vocabulary (schema 1).
func readHistory(path string) ([]sim.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer f.Close()
	evs, err := sim.DecodeHistory(f)
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	return evs, nil
}

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(v); err != nil && err != io.EOF {
		return fmt.Errorf("record: %s: %w", path, err)
	}
	return nil
}
