package explore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// RateClass is a fault class of the duplicate-rate table: a topology and
// one fault (with its companions), drawn per upload from the seed.
type RateClass struct {
	Name string
	// Predicted: the protocol predicts duplicate deliveries that a naive
	// app applies twice (docs/protocol.md §14 cases 4, 5, 7, 9).
	Predicted bool
	make      func(r *sim.Rand, app knob.AppMode) record.Scenario
}

// single is a one-job scenario of 1 to 4 fragments on nodes nodes.
func single(r *sim.Rand, app knob.AppMode, nodes int, hostID bool, sched ...faults.Fault) record.Scenario {
	size := int64(frag/2 + r.IntN(4*frag-frag/2))
	return record.Scenario{Name: "rates", Farm: record.FarmSpec{Nodes: nodes, HostID: hostID}, App: record.AppSpec{Mode: app},
		Client: record.ClientSpec{NoProgressTimeout: NoProgressTimeout},
		Jobs:   []record.JobSpec{{Name: "j1.bin", Size: size, Txn: "auto"}}, Faults: sched}
}

// RateClasses are the classes of the rate table: a node crash at each
// crash point (restarted 10 minutes later), a lost final Ack with the node
// restarting, an app slower than the notification time-out, an app 5xx,
// the host-id fallback, a session drop after the final Ack, a link toxic.
func RateClasses() []RateClass {
	var out []RateClass
	for _, p := range faults.Points() {
		out = append(out, RateClass{Name: "crash " + p.String(), Predicted: p == faults.AfterNotifySent || p == faults.AfterNotifyAnswer,
			make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
				return single(r, app, 1, false, faults.Fault{Name: "crash", Trigger: faults.AtPoint{Point: p, Nth: 1},
					Action: &faults.Kill{RestartAfter: 10 * time.Minute}})
			}})
	}
	out = append(out,
		RateClass{Name: "lost final Ack + node restart", Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return lostFinalAckRestart(r, app, knob.KeepUntilClose)
		}},
		RateClass{Name: "lost final Ack + node restart (K10 after-answer)", make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return lostFinalAckRestart(r, app, knob.DeleteAfterAnswer)
		}},
		RateClass{Name: "app time-out", Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, 1, false,
				faults.Fault{Name: "slow-app", Action: &faults.AppReplyDelay{Latency: 6 * time.Minute}},
				faults.Fault{Name: "heal", Trigger: faults.OnEvent{Kind: sim.NotifyAnswered}, Action: &faults.AppReplyDelay{}})
		}},
		RateClass{Name: "app 5xx", make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, 1, false, faults.Fault{Name: "app-500", Action: &faults.AppStatus{Status: []int{500, 503}[r.IntN(2)], Times: 1}})
		}},
		RateClass{Name: "host-id fallback", Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, 2, true, faults.Fault{Name: "down-past-fallback", Trigger: faults.AtPoint{Point: faults.AfterNotifyAnswer},
				Action: &faults.Kill{RestartAfter: 30 * time.Hour}})
		}},
		RateClass{Name: "session drop after final Ack", Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			sc := single(r, app, 1, false)
			sc.Faults = faults.Schedule{{Name: "drop", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: topOf(sc).frags},
				Action: &faults.DropSessions{Node: "node1"}}}
			return sc
		}},
		RateClass{Name: "link toxic", make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			sc := single(r, app, 1, false)
			sc.Faults = topOf(sc).toxic("toxic", r)
			return sc
		}},
	)
	return out
}

// lostFinalAckRestart loses the final Ack (bits_drop_ack on the shared
// link) and restarts the node when the client sees the error. Only with K10
// until-close is the request file still there for the restarted node, whose
// notify cache died with it, to post again (docs/protocol.md §7.3, §8.2);
// with K10 after-answer the file went with the app's answer and the
// restarted node answers the retry from its persisted answer (§8.3).
func lostFinalAckRestart(r *sim.Rand, app knob.AppMode, k10 knob.Retention) record.Scenario {
	sc := single(r, app, 1, false)
	sc.Farm.RequestRetention = k10
	sc.Faults = faults.Schedule{
		{Name: "drop-final-ack", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: "drop-final-ack", Type: "bits_drop_ack",
			Stream: sim.Downstream, Attributes: map[string]any{"pattern": fmt.Sprintf("BITS-Received-Content-Range: %d", sc.Jobs[0].Size+txnLen(sc)), "times": 1}}}},
		{Name: "restart", Trigger: faults.OnEvent{Kind: sim.ClientError}, Action: &faults.Kill{Node: "node1", RestartAfter: time.Minute}},
	}
	return sc
}

// txnLen is the envelope's length for job 0 of sc ("bitsim-txn: <id>\n",
// the id being the job's name, a dash and 6 hex digits).
func txnLen(sc record.Scenario) int64 {
	return int64(len("bitsim-txn: ") + len(sc.Jobs[0].Name) + 1 + 6 + 1)
}

// Rates plays uploads uploads per class with each app mode, on the same
// seeds for both modes, and returns the table (naive then idempotent per
// class).
func Rates(ctx context.Context, seed sim.Seed, uploads, parallel int) (record.RateTable, error) {
	type job struct {
		class, i int
		app      knob.AppMode
	}
	classes := RateClasses()
	apps := []knob.AppMode{knob.Naive, knob.Idempotent}
	dupD := map[[2]int][]float64{}
	dupE := map[[2]int][]float64{}
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan job)
	var wg sync.WaitGroup
	play := watchdog(Play, 0)
	for w := 0; w < max(parallel, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r := seed.Fork(fmt.Sprintf("rates/%s/%d", classes[j.class].Name, j.i))
				runSeed := sim.Seed(r.Uint64() & (1<<53 - 1))
				sc := classes[j.class].make(r, apps[j.app])
				res, err := play(ctx, sc, runSeed)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("explore: rates %s: %w", classes[j.class].Name, err)
				}
				if res != nil {
					k := [2]int{j.class, int(j.app)}
					dupD[k] = append(dupD[k], float64(res.Duplicates))
					dupE[k] = append(dupE[k], float64(extraEffects(res)))
				}
				mu.Unlock()
			}
		}()
	}
	for c := range classes {
		for i := 0; i < uploads; i++ {
			for a := range apps {
				jobs <- job{c, i, apps[a]}
			}
		}
	}
	close(jobs)
	wg.Wait()
	t := record.RateTable{Seed: seed, Uploads: uploads, Notes: []string{RatesK10Note, Rates5xxNote}}
	for c, cl := range classes {
		for _, a := range apps {
			k := [2]int{c, int(a)}
			t.Rows = append(t.Rows, record.Rate{Class: cl.Name, App: a.String(), Uploads: len(dupD[k]), Predicted: cl.Predicted,
				DupDeliv: record.EstimateOf(dupD[k]), DupEffect: record.EstimateOf(dupE[k])})
		}
	}
	return t, firstErr
}

// extraEffects counts effects beyond the first per transaction.
func extraEffects(res *record.Result) int {
	effects := map[string]int{}
	n := 0
	for _, d := range res.Ledger {
		if d.Effect {
			if effects[d.Key()]++; effects[d.Key()] > 1 {
				n++
			}
		}
	}
	return n
}

// RatesK10Note is the table's footnote on the two lost-final-Ack rows.
const RatesK10Note = "\"lost final Ack + node restart\" runs the nodes with K10 until-close: the request file is still there and the restarted node's notify cache is gone, so it posts the file again (docs/protocol.md §7.3, §8.2). " +
	"With the default K10 after-answer the request file went with the app's answer: the restarted node answers the retried final fragment from its persisted answer and does not post again, hence 0 duplicates (§8.3)."

// Rates5xxNote is the table's footnote on the app-5xx row.
const Rates5xxNote = "\"app 5xx\" delivers twice too (the client retries the final fragment, docs/protocol.md §14 case 13), but the app refused the first delivery: no effect is applied twice, so it is not starred."

// SaveRates writes rates.json (the table) into dir.
func SaveRates(dir string, t record.RateTable) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("explore: %w", err)
	}
	return writeJSON(filepath.Join(dir, "rates.json"), t)
}
