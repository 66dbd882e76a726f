package scenarios

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/balancer"
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
	Wall         time.Duration `json:"wall_ns"`
	Compression  float64       `json:"compression"`
	// Schedule is the schedule applied (random draws included); Fired how
	// often each fault fired.
	Schedule sim.Schedule   `json:"schedule,omitempty"`
	Fired    map[string]int `json:"fired,omitempty"`
	// Error is set when the run itself could not be carried out.
	Error string `json:"error,omitempty"`

	// Events and Ledger are the run's history and the app's ledger (saved
	// in their own files).
	Events []sim.Event       `json:"-"`
	Ledger []ledger.Delivery `json:"-"`
	Source *Scenario         `json:"-"`
	Dir    string            `json:"-"`
	Stats  []check.JobStats  `json:"-"`
}

// JobResult is one job's outcome.
type JobResult struct {
	Name   string        `json:"name"`
	ID     string        `json:"id"`
	URL    string        `json:"url"`
	Txn    string        `json:"txn,omitempty"`
	Size   int64         `json:"size"`
	Result client.Result `json:"result"`
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
	return check.Input{Events: r.Events, Ledger: r.Ledger, Schedule: r.Schedule}
}

// RunOptions tune a run.
type RunOptions struct {
	// Dir, if set, receives scenario.json, history.json, ledger.json and
	// result.json.
	Dir string
	// Timeout bounds the run's wall time (default 2 minutes).
	Timeout time.Duration
	// Mutate, if set, may change the farm configuration before the farm
	// starts (tests use it to break things on purpose).
	Mutate func(*farm.Config)
}

// Run runs one scenario with a seed on a fresh in-process farm, on a
// virtual clock whose idle detector jumps over retry delays and time-outs.
func Run(ctx context.Context, sc Scenario, seed sim.Seed, opts RunOptions) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	res := &Result{Scenario: sc.Name, Description: sc.Description, Spec: sc.Spec, Labels: sc.Labels, Seed: seed, Source: &sc, Dir: opts.Dir}
	sched := append(sim.Schedule(nil), sc.Faults...)
	if sc.Random != nil {
		sched = append(sched, randomSchedule(sc, seed)...)
	}
	res.Schedule = sched

	cfg, err := sc.farmConfig(seed)
	if err != nil {
		return nil, err
	}
	clock := sim.NewVirtual(time.Time{})
	hist := sim.NewHistory()
	work, err := os.MkdirTemp("", "bitsim-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	cfg.Clock, cfg.Events, cfg.Dir = clock, hist, filepath.Join(work, "farm")
	if opts.Mutate != nil {
		opts.Mutate(&cfg)
	}
	f, err := farm.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		f.Close()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	}()

	copts, err := sc.clientOptions()
	if err != nil {
		return nil, err
	}
	jobs := sc.expandJobs()
	specs := make([]client.JobSpec, len(jobs))
	for i, j := range jobs {
		spec, jr, err := prepareJob(j, work, f, hist, clock, seed)
		if err != nil {
			return nil, err
		}
		specs[i] = spec
		res.Jobs = append(res.Jobs, jr)
	}
	inj, err := f.Inject(sched)
	if err != nil {
		return nil, err
	}

	runCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	start, wallStart := clock.Now(), time.Now()
	clock.AutoAdvance(0, 0)
	var wg sync.WaitGroup
	for i := range jobs {
		o := copts
		o.Clock, o.Events = clock, f.Events()
		o.FragmentSize = jobs[i].FragmentSize
		if o.FragmentSize == 0 {
			o.FragmentSize = 64 << 10
		}
		o.Header = http.Header{balancer.StickyHeader: {specs[i].ID}}
		job, err := client.NewJob(o, specs[i])
		if err != nil {
			clock.StopAuto()
			return nil, err
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, _ := job.Run(runCtx)
			res.Jobs[i].Result = r
		}(i)
	}
	wg.Wait()
	clock.StopAuto()
	inj.Stop()
	res.Wall = time.Since(wallStart)
	res.ProtocolTime = clock.Now().Sub(start)
	if runCtx.Err() != nil && ctx.Err() == nil {
		res.Error = fmt.Sprintf("run timed out after %s of wall time", opts.Timeout)
	}
	if !sc.Farm.NoFinalCleanup {
		// The final cleanup: past every session time-out, every live node's
		// cleanup task runs (orphans of killed nodes stay, and are "unknown").
		clock.Advance(sc.sessionTimeout() + time.Minute)
		f.RunCleanup()
	}
	res.Events = hist.Events()
	res.Ledger = f.App().Ledger()
	res.Fired = inj.Fired()
	res.evaluate(sc)
	if opts.Dir != "" {
		if err := res.Save(opts.Dir); err != nil {
			return res, err
		}
	}
	return res, nil
}

// prepareJob writes a job's payload (seeded) and records its source.
func prepareJob(j JobSpec, work string, f *farm.Farm, hist *sim.History, clock sim.Clock, seed sim.Seed) (client.JobSpec, JobResult, error) {
	data := make([]byte, j.Size)
	seed.Fork("payload/" + j.Name).Read(data)
	path := filepath.Join(work, "src", j.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return client.JobSpec{}, JobResult{}, err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return client.JobSpec{}, JobResult{}, err
	}
	txn := j.Txn
	if txn == "auto" {
		txn = fmt.Sprintf("%s-%06x", j.Name, seed.Fork("txn/"+j.Name).Uint64()&0xffffff)
	}
	h := sha256.New()
	size := j.Size
	if txn != "" {
		hdr, err := app.EnvelopeHeader(txn)
		if err != nil {
			return client.JobSpec{}, JobResult{}, err
		}
		h.Write(hdr)
		size += int64(len(hdr))
	}
	h.Write(data)
	url := f.UploadURL(j.Name)
	id := "job-" + j.Name
	hist.Record(sim.Event{At: clock.Now(), Kind: sim.JobSource, Source: "runner", Job: id, URL: url, Total: size, Txn: txn,
		Detail: "sha256:" + hex.EncodeToString(h.Sum(nil))})
	spec := client.JobSpec{ID: id, LocalFile: path, RemoteURL: url, Txn: txn}
	if j.Reply {
		spec.Type = client.UploadReply
		spec.ReplyFile = path + ".reply"
	}
	return spec, JobResult{Name: j.Name, ID: id, URL: url, Txn: txn, Size: size}, nil
}

// Save writes the run's files into dir.
func (r *Result) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]any{
		"result.json":  r,
		"history.json": r.Events,
		"ledger.json":  ledger.Snapshot{Deliveries: nonNil(r.Ledger), Effects: r.Effects},
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
		return fmt.Errorf("scenarios: %s: %w", path, err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// LoadResult reads a run directory written by Save.
func LoadResult(dir string) (*Result, error) {
	var r Result
	if err := readJSON(filepath.Join(dir, "result.json"), &r); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "history.json"), &r.Events); err != nil {
		return nil, err
	}
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

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("scenarios: %w", err)
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(v); err != nil && err != io.EOF {
		return fmt.Errorf("scenarios: %s: %w", path, err)
	}
	return nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
