package scenarios

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/balancer"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/payload"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/bubble"
	"github.com/bitsim/bitsim/sim/memnet"
	"github.com/bitsim/bitsim/txn"
)

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
	// Wire runs on the wire tier (real loopback TCP, virtual clock with an
	// idle detector) instead of the exact tier.
	Wire bool
	// Target, if set, runs the scenario against an external BITS server
	// (see ForTarget): on the wire tier, skipped with the reason when the
	// server cannot undergo its faults.
	Target *farm.Target
	// TxnTag is appended to every transaction id ("<txn>-<tag>") when the
	// scenario targets an external app, whose database may remember the
	// ids of earlier runs; empty draws a random one (NewTxnTag).
	TxnTag string
}

// Run runs one scenario with a seed on a fresh in-process farm.
//
// By default it runs on the exact tier: inside a testing/synctest bubble
// (package sim/bubble), on an in-memory network whose every connect, write
// and close is delivered by one canonical scheduler (package sim/memnet),
// with a clock that only moves when every goroutine of the run is durably
// blocked: the same seed gives the same run. In a test binary that did not
// call bubble.Use, and with opts.Wire, it runs on the wire tier: real
// loopback TCP and a virtual clock whose idle detector jumps over waits.
func Run(ctx context.Context, sc record.Scenario, seed sim.Seed, opts RunOptions) (*record.Result, error) {
	if err := Validate(sc); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Target != nil {
		var why string
		if sc, why = ForTarget(sc, opts.Target); why != "" {
			return Skipped(sc, seed, why, opts.Dir), nil
		}
		opts.Wire = true // a real server lives outside the bubble
	}
	ext := sc.App.External()
	if ext {
		var why string
		if sc, why = ForExternal(sc, sc.App); why != "" {
			return Skipped(sc, seed, why, opts.Dir), nil
		}
	}
	if probed(sc, opts) {
		if opts.TxnTag == "" {
			opts.TxnTag = NewTxnTag()
		}
		// Unique per invocation and scenario run: the app's database
		// outlives both.
		h := fnv.New32a()
		fmt.Fprintf(h, "%s@%d", sc.Name, seed)
		opts.TxnTag = fmt.Sprintf("%s%04x", opts.TxnTag, h.Sum32()&0xffff)
	}
	// An external app lives outside the bubble's in-memory network: it
	// runs on the wire tier, where the virtual clock's idle detector still
	// jumps over the 1-day and 14-day timers.
	if opts.Wire || ext || !bubble.Available() {
		return run(ctx, sc, seed, opts, nil)
	}
	var res *record.Result
	var err error
	wallStart := time.Now()
	berr := bubble.Run(func() {
		s := memnet.NewScheduler()
		s.Start()
		defer s.Stop()
		// No context from outside the bubble may be waited on inside it
		// (it would never count as durably blocked).
		res, err = run(context.Background(), sc, seed, opts, s)
	})
	if berr != nil {
		return res, fmt.Errorf("scenarios: %s: %w", sc.Name, berr)
	}
	if res != nil {
		res.Wall = time.Since(wallStart)
		if res.Wall > 0 {
			res.Compression = float64(res.ProtocolTime) / float64(res.Wall)
		}
		if opts.Dir != "" && err == nil {
			err = res.Save(opts.Dir)
		}
	}
	return res, err
}

// MaxProtocolTime bounds an exact-tier run (whose wall time cannot be
// bounded from inside its bubble): its jobs are cancelled after this much
// protocol time.
const MaxProtocolTime = 365 * 24 * time.Hour

// run plays the scenario on the exact tier (s != nil, inside a bubble) or
// on the wire tier:
//
//	newRig (farm, payloads, sources) → inject the schedule → read the
//	external app's effects → runJobs → read them again → final cleanup →
//	collect history and ledger → Evaluate → Save
func run(ctx context.Context, sc record.Scenario, seed sim.Seed, opts RunOptions, s *memnet.Scheduler) (*record.Result, error) {
	res := &record.Result{Scenario: sc.Name, Description: sc.Description, Spec: sc.Spec, Labels: sc.Labels, Seed: seed, Source: &sc, Dir: opts.Dir}
	sched := append(faults.Schedule(nil), sc.Faults...)
	if sc.Random != nil {
		sched = append(sched, randomSchedule(sc, seed)...)
	}
	res.Schedule = sched

	rg, err := newRig(ctx, sc, seed, opts, s, res)
	if err != nil {
		return nil, err
	}
	defer rg.close()
	inj, err := rg.f.Inject(sched)
	if err != nil {
		return nil, err
	}
	effectsAfter := probeEffects(ctx, sc, opts, res)

	var runCtx context.Context
	var cancel context.CancelFunc
	if s != nil {
		// The bubble detects a run that can never end (a deadlock); a
		// wall-clock bound would be a context from outside the bubble, so
		// a run that never stops retrying is bounded in protocol time.
		runCtx, cancel = context.WithTimeout(ctx, MaxProtocolTime)
	} else {
		runCtx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	defer cancel()
	wallStart := time.Now()
	ends, err := rg.runJobs(runCtx, res)
	if err != nil {
		return nil, err
	}
	inj.Stop()
	effectsAfter()
	res.Wall = time.Since(wallStart)
	if runCtx.Err() != nil && ctx.Err() == nil {
		res.Error = fmt.Sprintf("run timed out after %s of wall time", opts.Timeout)
		if s != nil {
			res.Error = fmt.Sprintf("run timed out after %s of protocol time", MaxProtocolTime)
		}
	}
	res.ProtocolTime = protocolTime(rg.hist.Events(), ends)
	if res.Wall > 0 {
		res.Compression = float64(res.ProtocolTime) / float64(res.Wall)
	}
	if !sc.Farm.NoFinalCleanup {
		// The final cleanup: past every session time-out, every live node's
		// cleanup task runs (orphans of killed nodes stay, and are "unknown").
		if rg.virtual != nil {
			rg.virtual.Advance(sessionTimeout(sc) + time.Minute)
		} else {
			_ = rg.clock.Sleep(ctx, sessionTimeout(sc)+time.Minute)
		}
		rg.f.RunCleanup()
	}
	disk, err := scanDisk(filepath.Join(rg.work, "farm"))
	if err != nil {
		return nil, err
	}
	res.Disk = disk
	res.Events = rg.hist.Events()
	res.HistoryDigest = record.HistoryDigest(res.Events)
	res.Ledger = rg.f.Ledger()
	res.Fired = inj.Fired()
	res.Evaluate(sc)
	if opts.Dir != "" && s == nil {
		if err := res.Save(opts.Dir); err != nil {
			return res, err
		}
	}
	return res, nil
}

// probeEffects, for a scenario against an external app, reads the app's
// effect probe before the jobs run and returns the function to call once
// every job has ended: it reads the probe again and records the
// difference, the app's effects of this run, in res.External. For the mock
// app it does nothing.
func probeEffects(ctx context.Context, sc record.Scenario, opts RunOptions, res *record.Result) (after func()) {
	if !probed(sc, opts) {
		return func() {}
	}
	res.External = externalOf(sc)
	if res.External == nil { // a target's own application
		res.External = &check.AppProbe{App: opts.Target.URL, Probe: probeOf(sc.App).String()}
	}
	probe := probeOf(sc.App)
	if !probe.Configured() {
		return func() {}
	}
	before, err := probe.Read(ctx)
	if err != nil {
		res.External.Err = err.Error()
		return func() {}
	}
	return func() {
		after, err := probe.Read(ctx)
		if err != nil {
			res.External.Err = err.Error()
			return
		}
		res.External.Effects = extapp.Diff(before, after)
	}
}

// probed reports whether sc's effects are read from a probe: an external
// app's, or the application behind a target server. Its jobs then carry
// run-unique transaction ids.
func probed(sc record.Scenario, opts RunOptions) bool {
	return sc.App.External() || opts.Target != nil && probeOf(sc.App).Configured()
}

// rig is one run's farm and jobs, on either tier.
type rig struct {
	s       *memnet.Scheduler // exact tier, else nil
	clock   sim.Clock
	virtual *sim.Virtual    // wire tier
	mem     *memnet.Network // exact tier
	hist    *sim.History
	work    string // payloads and the farm's storage; removed by close
	f       *farm.Farm
	copts   client.Options
	jobs    []record.JobSpec
	specs   []client.JobSpec
	// serial runs the jobs one after another, in job order (wire tier,
	// scenarios with a random fault schedule, or labelled explore: a
	// schedule bitsim explore drew or shrank): a drawn fault bites
	// whatever reaches its trigger first, and on real TCP which job that
	// is, and how many jobs a kill catches mid-request, would change from
	// run to run.
	serial bool
}

// newRig starts the farm for sc on the tier s selects, writes every job's
// payload and records its source; res gets the tier and one JobResult per
// job. The caller closes the rig.
func newRig(ctx context.Context, sc record.Scenario, seed sim.Seed, opts RunOptions, s *memnet.Scheduler, res *record.Result) (*rig, error) {
	cfg, err := farmConfig(sc, seed)
	if err != nil {
		return nil, err
	}
	rg := &rig{s: s}
	if s != nil {
		res.Tier = record.TierExact
		rg.mem = memnet.New(s)
		rg.clock = sim.NewBubble(s, time.Time{})
		cfg.Net = rg.mem
	} else {
		res.Tier = record.TierWire
		rg.virtual = sim.NewVirtual(time.Time{})
		rg.clock = rg.virtual
		rg.serial = sc.Random != nil || sc.HasLabel(record.LabelExplore)
	}
	rg.hist = sim.NewHistory()
	if rg.work, err = workDir(); err != nil {
		return nil, err
	}
	cfg.Clock, cfg.Events, cfg.Dir = rg.clock, rg.hist, filepath.Join(rg.work, "farm")
	cfg.Target = opts.Target
	if opts.Mutate != nil {
		opts.Mutate(&cfg)
	}
	if rg.f, err = farm.New(ctx, cfg); err != nil {
		os.RemoveAll(rg.work)
		return nil, err
	}
	if rg.copts, err = clientOptions(sc); err != nil {
		rg.close()
		return nil, err
	}
	// Against a target's host-id farm the server's own BITS-Host-Id values
	// name its nodes: the host map sends those connections through the
	// nodeK links (the client's host-id event says "via" which).
	rg.copts.HostMap = rg.f.HostMap()
	rg.jobs = expandJobs(sc)
	rg.specs = make([]client.JobSpec, len(rg.jobs))
	for i, j := range rg.jobs {
		if probed(sc, opts) && j.Txn != "" {
			fit := j.Txn == TxnAutoFit
			j.Txn = txnFor(j, seed) + "-" + opts.TxnTag
			if hdr, err := txn.Header(j.Txn); err == nil && fit && j.Payload == "" && j.Size > int64(len(hdr)) {
				// The envelope takes the place of the payload's first
				// bytes: the upload keeps the scenario's size, which its
				// faults may name (a final fragment's range).
				j.Size -= int64(len(hdr))
			}
		}
		spec, jr, err := prepareJob(j, i, rg.work, rg.f, rg.hist, rg.clock, seed)
		if err != nil {
			rg.close()
			return nil, err
		}
		rg.specs[i] = spec
		res.Jobs = append(res.Jobs, jr)
	}
	return rg, nil
}

// close stops the farm and removes the run's files.
func (rg *rig) close() {
	rg.f.Close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	os.RemoveAll(rg.work)
}

// runJobs runs every job concurrently as a BITS client until each ends
// (or ctx ends), stores each client result in res, and returns each job's
// end in protocol time. On the wire tier the clock's idle detector runs
// meanwhile, guarded by a wireGuard; on the exact tier the jobs start one
// scheduler step each, in job order.
func (rg *rig) runJobs(ctx context.Context, res *record.Result) ([]time.Time, error) {
	var guard *wireGuard // wire tier only
	if rg.virtual != nil {
		guard = newWireGuard(rg.virtual, len(rg.jobs))
		rg.virtual.AutoAdvance(0, 0)
		defer rg.virtual.StopAuto()
	}
	ends := make([]time.Time, len(rg.jobs))
	var wg sync.WaitGroup
	defer wg.Wait()
	prev := make(chan struct{}) // serial: closed when the previous job ended
	close(prev)
	for i := range rg.jobs {
		o := rg.copts
		o.Clock, o.Events = rg.clock, rg.f.Events()
		if guard != nil {
			o.Events = sim.Tee(rg.f.Events(), guard)
		}
		if rg.mem != nil {
			o.Net = rg.mem.Named(rg.specs[i].ID)
		}
		o.FragmentSize = rg.jobs[i].FragmentSize
		if o.FragmentSize == 0 {
			o.FragmentSize = 64 << 10
		}
		o.Header = http.Header{balancer.StickyHeader: {rg.specs[i].ID}}
		job, err := client.NewJob(o, rg.specs[i])
		if err != nil {
			return nil, err
		}
		wait, done := prev, make(chan struct{})
		if rg.serial {
			prev = done
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(done)
			if rg.s != nil {
				rg.s.PostWait(fmt.Sprintf("~job/%06d", i), 0)
			}
			select {
			case <-wait:
			case <-ctx.Done():
			}
			r, _ := job.Run(ctx)
			res.Jobs[i].Result = clientResult(r)
			ends[i] = rg.clock.Now()
			if guard != nil {
				guard.jobEnded(rg.serial)
			}
		}(i)
	}
	wg.Wait()
	return ends, nil
}

// scanDisk lists the session directories left under the farm's root
// (<storage>/<session directory>/Requests/{id} and .../Replies/{id}), for
// the no-orphans checker: what is on disk, not what the nodes said.
func scanDisk(root string) (*check.DiskScan, error) {
	scan := &check.DiskScan{Sessions: []check.DiskSession{}}
	for _, kind := range []string{"Requests", "Replies"} {
		dirs, err := filepath.Glob(filepath.Join(root, "*", "*", kind, "*"))
		if err != nil {
			return nil, fmt.Errorf("scenarios: scan storage: %w", err)
		}
		for _, d := range dirs {
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				continue
			}
			rel, err := filepath.Rel(root, d)
			if err != nil {
				return nil, fmt.Errorf("scenarios: scan storage: %w", err)
			}
			parts := strings.Split(filepath.ToSlash(rel), "/")
			scan.Sessions = append(scan.Sessions, check.DiskSession{Storage: parts[0], Session: parts[len(parts)-1], Path: filepath.ToSlash(rel)})
		}
	}
	sort.Slice(scan.Sessions, func(i, j int) bool { return scan.Sessions[i].Path < scan.Sessions[j].Path })
	return scan, nil
}

// protocolTime is the protocol time from the first client request to the
// end of the last job: jumps before the first request (nodes' cleanup
// timers) or after the last job (the final cleanup) are not the scenario's.
func protocolTime(events []sim.Event, ends []time.Time) time.Duration {
	var first, last time.Time
	for _, e := range events {
		if e.Kind == sim.ClientRequest && (first.IsZero() || e.At.Before(first)) {
			first = e.At
		}
	}
	for _, t := range ends {
		if t.After(last) {
			last = t
		}
	}
	if first.IsZero() || last.Before(first) {
		return 0
	}
	return last.Sub(first)
}

// txnFor is job j's transaction id: "auto" draws one from the seed.
func txnFor(j record.JobSpec, seed sim.Seed) string {
	if j.Txn == "auto" || j.Txn == TxnAutoFit {
		return fmt.Sprintf("%s-%06x", j.Name, seed.Fork("txn/"+j.Name).Uint64()&0xffffff)
	}
	return j.Txn
}

// prepareJob writes job i's payload (seeded, or the user's file rendered)
// and records its source.
func prepareJob(j record.JobSpec, i int, work string, f *farm.Farm, hist *sim.History, clock sim.Clock, seed sim.Seed) (client.JobSpec, record.JobResult, error) {
	txnID := txnFor(j, seed)
	var data []byte
	if j.Payload != "" {
		var err error
		data, err = payload.Load(j.Payload, i, payload.Vars{Txn: txnID, Job: j.Name, Seed: strconv.FormatUint(uint64(seed), 10)})
		if err != nil {
			return client.JobSpec{}, record.JobResult{}, fmt.Errorf("scenarios: job %s: %w", j.Name, err)
		}
		if len(data) == 0 {
			return client.JobSpec{}, record.JobResult{}, fmt.Errorf("scenarios: job %s: payload %s is empty", j.Name, j.Payload)
		}
	} else {
		data = make([]byte, j.Size)
		seed.Fork("payload/" + j.Name).Read(data)
	}
	path := filepath.Join(work, "src", j.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return client.JobSpec{}, record.JobResult{}, err
	}
	h := sha256.New()
	size := int64(len(data))
	envelope := "" // the client wraps the file in the envelope; a user's payload carries {{txn}} instead
	if txnID != "" && j.Payload == "" {
		hdr, err := txn.Header(txnID)
		if err != nil {
			return client.JobSpec{}, record.JobResult{}, err
		}
		h.Write(hdr)
		size += int64(len(hdr))
		envelope = txnID
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return client.JobSpec{}, record.JobResult{}, err
	}
	h.Write(data)
	url := f.UploadURL(j.Name)
	id := "job-" + j.Name
	hist.Record(sim.Event{At: clock.Now(), Kind: sim.JobSource, Source: "runner", Job: id, URL: url, Total: size, Txn: txnID,
		SHA256: hex.EncodeToString(h.Sum(nil)), Detail: "sha256:" + hex.EncodeToString(h.Sum(nil))})
	spec := client.JobSpec{ID: id, LocalFile: path, RemoteURL: url, Txn: envelope}
	if j.Reply {
		spec.Type = client.UploadReply
		spec.ReplyFile = path + ".reply"
	}
	return spec, record.JobResult{Name: j.Name, ID: id, URL: url, Txn: txnID, Size: size}, nil
}

// clientResult is the saved form of a job's client.Result.
func clientResult(r client.Result) record.ClientResult {
	return record.ClientResult{Job: r.Job, State: r.State.String(), BytesSent: r.BytesSent, BytesTotal: r.BytesTotal,
		BytesAcked: r.BytesAcked, Sessions: r.Sessions, Restarts: r.Restarts, Retries: r.Retries, Resyncs: r.Resyncs,
		ReplySize: r.ReplySize, Error: r.Error, Code: r.Code}
}

// wireGuard makes the wire tier's clock jumps safe: none before the first
// client request, none after the last job ended, and while a request is
// in flight on a bitsim connection a jump needs the guard silence (see
// sim.Virtual.InFlight). The exact tier needs none of it.
type wireGuard struct {
	v        *sim.Virtual
	mu       sync.Mutex
	start    func() // releases the hold before the first request
	left     int    // jobs still running
	inFlight map[string]bool
}

func newWireGuard(v *sim.Virtual, jobs int) *wireGuard {
	return &wireGuard{v: v, start: v.Hold(), left: jobs, inFlight: map[string]bool{}}
}

// Record implements sim.Sink for the clients' events.
func (g *wireGuard) Record(e sim.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch e.Kind {
	case sim.ClientRequest:
		g.start()
		if !g.inFlight[e.Job] {
			g.inFlight[e.Job] = true
			g.v.InFlight(1)
		}
	case sim.ClientResponse, sim.ClientError, sim.JobDone:
		if g.inFlight[e.Job] {
			g.inFlight[e.Job] = false
			g.v.InFlight(-1)
		}
	}
}

// jobEnded holds the clock for good once the last job ended; with serial
// jobs it holds it until the next job's first request, so the idle
// detector does not jump over the nodes' timers between two jobs.
func (g *wireGuard) jobEnded(serial bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.left--; g.left == 0 {
		g.start()
		g.v.Hold()
	} else if serial {
		g.start()
		g.start = g.v.Hold()
	}
}

// workDir makes a run's temporary directory. Its path always has the same
// length (os.MkdirTemp's suffix does not): the nodes put session paths in
// their notifications, and a byte more or less on a link with a bandwidth
// toxic would change the run's timing.
func workDir() (string, error) {
	for range 100 {
		var b [8]byte
		if _, err := cryptorand.Read(b[:]); err != nil {
			return "", fmt.Errorf("scenarios: %w", err)
		}
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("bitsim-run-%016x", b))
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return dir, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("scenarios: %w", err)
		}
	}
	return "", errors.New("scenarios: no free temporary directory name")
}
