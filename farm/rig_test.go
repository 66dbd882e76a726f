package farm_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/bitsim/bitsim/faults"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/balancer"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
)

// rig is a farm on a virtual clock with a history, for tests.
type rig struct {
	t     testing.TB
	f     *farm.Farm
	clock *sim.Virtual
	hist  *sim.History
	sched faults.Schedule
	jobs  int
}

func newRig(t testing.TB, cfg farm.Config) *rig {
	t.Helper()
	r := &rig{t: t, clock: sim.NewVirtual(time.Time{}), hist: sim.NewHistory()}
	cfg.Clock, cfg.Events = r.clock, r.hist
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	f, err := farm.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	})
	r.f = f
	return r
}

func (r *rig) inject(s faults.Schedule) *farm.Injector {
	r.t.Helper()
	in, err := r.f.Inject(s)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sched = s
	return in
}

// upload runs one job of size bytes through the shared address (or url if
// set) and returns its result and the uploaded bytes.
func (r *rig) upload(name string, size int, opts client.Options, url string) (client.Result, []byte) {
	r.t.Helper()
	r.jobs++
	data := testutil.Payload(size, uint64(r.jobs))
	path := filepath.Join(r.t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		r.t.Fatal(err)
	}
	if url == "" {
		url = r.f.UploadURL(name)
	}
	id := "job-" + name
	sum := sha256.Sum256(data)
	r.hist.Record(sim.Event{At: r.clock.Now(), Kind: sim.JobSource, Source: "test", Job: id, URL: url,
		Total: int64(size), SHA256: hex.EncodeToString(sum[:])})
	opts.Clock, opts.Events = r.clock, r.f.Events()
	if opts.FragmentSize == 0 {
		opts.FragmentSize = 64 << 10
	}
	if opts.Header == nil {
		opts.Header = http.Header{}
	}
	opts.Header.Set(balancer.StickyHeader, id)
	job, err := client.NewJob(opts, client.JobSpec{ID: id, LocalFile: path, RemoteURL: url})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Time jumps only while the workload runs: set-up and assertions happen
	// at a fixed protocol time.
	// No jump before the job's first request (as on the wire tier): a
	// time-triggered fault must not fire before the client has started.
	release := r.clock.Hold()
	defer release()
	stop := r.releaseOnFirstRequest(id, release)
	defer stop()
	r.clock.AutoAdvance(0, 0)
	defer r.clock.StopAuto()
	res, _ := job.Run(ctx)
	return res, data
}

// releaseOnFirstRequest calls release once the history holds a request of
// job id; the returned stop ends the watcher and waits for it.
func (r *rig) releaseOnFirstRequest(id string, release func()) (stop func()) {
	c, unsub := r.hist.Notify()
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer unsub()
		for {
			for _, e := range r.hist.OfKind(sim.ClientRequest) {
				if e.Job == id {
					release()
					return
				}
			}
			select {
			case <-c:
			case <-quit:
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}

func (r *rig) input() check.Input {
	return check.Input{Events: r.hist.Events(), Ledger: r.f.App().Ledger(), Schedule: r.sched}
}

func (r *rig) verdicts() map[string]check.Verdict {
	m := map[string]check.Verdict{}
	for _, v := range check.Run(r.input(), check.All()...) {
		m[v.Checker] = v
	}
	return m
}

// requireDelivered asserts the app got data n times, intact.
func (r *rig) requireDelivered(data []byte, n int) {
	r.t.Helper()
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	got := 0
	for _, d := range r.f.App().Ledger() {
		if d.SHA256 == want {
			got++
		}
	}
	if got != n {
		r.t.Fatalf("app received the file %d times, want %d; ledger %+v", got, n, r.f.App().Ledger())
	}
}

// waitFor waits (on history events, not sleeps) until ok holds.
func (r *rig) waitFor(ok func() bool) {
	r.t.Helper()
	c, stop := r.hist.Notify()
	defer stop()
	deadline := time.After(10 * time.Second)
	for !ok() {
		select {
		case <-c:
		case <-deadline:
			r.t.Fatal("timed out waiting for the history")
		}
	}
}

func (r *rig) count(kind sim.Kind, match func(sim.Event) bool) int {
	n := 0
	for _, e := range r.hist.OfKind(kind) {
		if match == nil || match(e) {
			n++
		}
	}
	return n
}

func (r *rig) dump() {
	r.t.Helper()
	var b bytes.Buffer
	evs := r.hist.Events()
	if len(evs) > 300 && !testing.Verbose() {
		var keep []sim.Event
		for _, e := range evs {
			switch e.Kind {
			case sim.FaultFired, sim.NodeCrashed, sim.NodeStarted, sim.NodeStopped, sim.LinkChanged, sim.SessionCreated, sim.ClientSession, sim.AppDelivery:
				keep = append(keep, e)
			}
		}
		b.WriteString("(long history: faults, nodes, links, sessions and deliveries only)\n")
		evs = keep
	}
	for _, e := range evs {
		b.WriteString(e.String() + "\n")
	}
	r.t.Log("history:\n" + b.String())
}

var _ = app.Naive
