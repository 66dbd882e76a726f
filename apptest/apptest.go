package apptest

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// App is your application.
type App struct {
	// URL is the notification URL the nodes POST to (http only, as IIS).
	URL string
	// EffectsURL is the effect probe (GET → {"effects": {"<txn>": N}});
	// EffectsCmd a shell command printing the same JSON. Without either,
	// exactly-once effects cannot be judged (the verdict is unknown).
	EffectsURL string
	EffectsCmd string
}

func (a App) spec() record.AppSpec {
	return record.AppSpec{URL: a.URL, EffectsURL: a.EffectsURL, EffectsCmd: a.EffectsCmd}
}

// Options tune a run. The zero value is fine.
type Options struct {
	// Seed fixes payloads, session ids, balancer choices and random faults;
	// 0 draws one (Result.Seed reports it).
	Seed uint64
	// Payload takes every job's bytes from this file or directory, with
	// {{txn}}, {{job}} and {{seed}} replaced (see package payload).
	Payload string
	// Dir, if set, receives the run's files (history, ledger, verdicts).
	Dir string
	// Timeout bounds the run's wall time (default 2 minutes).
	Timeout time.Duration
}

// Result is one scenario run against your application.
type Result struct {
	*record.Result
}

// Scenarios returns the names of the catalogue's scenarios carrying every
// label ("!label" excludes), e.g. Scenarios("seed-doc").
func Scenarios(labels ...string) []string {
	var out []string
	for _, s := range scenarios.Select(scenarios.Catalogue(), labels...) {
		out = append(out, s.Name)
	}
	return out
}

// Scenario returns a catalogue scenario, to adapt and pass to RunScenario.
func Scenario(name string) (record.Scenario, error) {
	sc, ok := scenarios.Find(name)
	if !ok {
		return record.Scenario{}, fmt.Errorf("apptest: no scenario %q in the catalogue", name)
	}
	return sc, nil
}

// LoadFile reads your scenarios from a YAML file (bitsim's syntax).
func LoadFile(path string) ([]record.Scenario, error) { return scenarios.LoadFile(path) }

// Run runs the named catalogue scenario against app.
func Run(ctx context.Context, app App, scenario string, o Options) (*Result, error) {
	sc, err := Scenario(scenario)
	if err != nil {
		return nil, err
	}
	return RunScenario(ctx, app, sc, o)
}

// RunScenario runs sc (a catalogue scenario or your own) against app. It
// fails fast when nothing listens at app.URL. The expectation is your
// application's contract (integrity, at-least-once, exactly-once-effect),
// not the mock app's scripted outcome: Result.Passed says whether it held.
func RunScenario(ctx context.Context, app App, sc record.Scenario, o Options) (*Result, error) {
	if err := extapp.CheckReachable(ctx, app.URL, 0); err != nil {
		return nil, err
	}
	sc.App = app.spec()
	if o.Payload != "" {
		sc.Jobs = append([]record.JobSpec(nil), sc.Jobs...)
		for i := range sc.Jobs {
			sc.Jobs[i].Payload = o.Payload
		}
	}
	seed := sim.Seed(o.Seed)
	if seed == 0 {
		seed = sim.NewSeed()
	}
	r, err := scenarios.Run(ctx, sc, seed, scenarios.RunOptions{Dir: o.Dir, Timeout: o.Timeout})
	if err != nil {
		return nil, err
	}
	return &Result{r}, nil
}

// Farm is a live farm notifying your application, for your own client.
type Farm struct {
	f *farm.Farm
}

// FarmOptions shape a farm started by Start.
type FarmOptions struct {
	// Farm is the farm's shape (nodes, host ids, balancer ...); zero
	// values are bitsim's defaults (one node).
	Farm record.FarmSpec
	// Dir holds the nodes' sessions; empty: a temporary directory.
	Dir string
}

// Start starts a farm of BITS upload nodes notifying app, on loopback and
// the real clock. Close it when done.
func Start(ctx context.Context, app App, o FarmOptions) (*Farm, error) {
	if err := extapp.CheckReachable(ctx, app.URL, 0); err != nil {
		return nil, err
	}
	cfg, err := scenarios.FarmConfig(o.Farm, app.spec(), sim.NewSeed())
	if err != nil {
		return nil, err
	}
	cfg.Dir = o.Dir
	f, err := farm.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Farm{f: f}, nil
}

// UploadURL is the shared address's URL for a remote name: give it to
// your BITS client.
func (f *Farm) UploadURL(name string) string { return f.f.UploadURL(name) }

// Deliveries are the notifications the nodes sent your application and
// its answers, in order.
func (f *Farm) Deliveries() []ledger.Delivery { return f.f.Ledger() }

// Close stops the farm.
func (f *Farm) Close() error {
	err := f.f.Close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	return err
}
