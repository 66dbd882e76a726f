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
	// Topology is the farm the class is played on, as the table shows it
	// (nodes, balancer, host id, and the knobs that decide whether the
	// class duplicates).
	Topology string
	// Predicted: the protocol predicts duplicate deliveries that a naive
	// app applies twice (docs/protocol.md §14 cases 4, 5, 7, 9).
	Predicted bool
	make      func(r *sim.Rand, app knob.AppMode) record.Scenario
}

// The rate table's uploads: one file of 32 KiB to 256 KiB, 1 to 4 of the
// client's 64 KiB fragments, its size drawn per upload from the seed.
const (
	rateSizeMin = frag / 2
	rateSizeMax = 4*frag - 1
)

// single is a one-job scenario of 1 to 4 fragments on nodes nodes.
func single(r *sim.Rand, app knob.AppMode, nodes int, hostID bool, sched ...faults.Fault) record.Scenario {
	size := int64(rateSizeMin + r.IntN(rateSizeMax-rateSizeMin+1))
	return record.Scenario{Name: "rates", Farm: record.FarmSpec{Nodes: nodes, HostID: hostID}, App: record.AppSpec{Mode: app},
		Client: record.ClientSpec{NoProgressTimeout: NoProgressTimeout},
		Jobs:   []record.JobSpec{{Name: "j1.bin", Size: size, Txn: "auto"}}, Faults: sched}
}

// Topologies of the rate classes.
const (
	oneNode     = "1 node"
	twoNodesRR  = "2 nodes, round-robin, no host id"
	untilClose  = oneNode + ", K10 until-close"
	afterAnswer = oneNode + ", K10 after-answer"
)

// RateClasses are the classes of the rate table: a node crash at each
// crash point (restarted 10 minutes later) on one node, and the Close
// crashes again on two nodes without host id (the retried Close reaches
// the other node: 0x8020001F, then K4); a lost final Ack alone, with the
// node restarting (K10 until-close), and with the node restarting under
// K10 after-answer; an app slower than the notification time-out, an app
// 5xx, the host-id fallback, a session drop after the final Ack, a link
// toxic.
func RateClasses() []RateClass {
	var out []RateClass
	crash := func(p faults.Point, nodes int) func(r *sim.Rand, app knob.AppMode) record.Scenario {
		return func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, nodes, false, faults.Fault{Name: "crash", Trigger: faults.AtPoint{Point: p, Nth: 1},
				Action: &faults.Kill{RestartAfter: 10 * time.Minute}})
		}
	}
	for _, p := range faults.Points() {
		out = append(out, RateClass{Name: "crash " + p.String(), Topology: oneNode,
			Predicted: p == faults.AfterNotifySent || p == faults.AfterNotifyAnswer, make: crash(p, 1)})
	}
	for _, p := range []faults.Point{faults.CloseBeforeCommit, faults.CloseAfterCommit} {
		out = append(out, RateClass{Name: "crash " + p.String() + ", 2 nodes", Topology: twoNodesRR + ", K4 restart",
			Predicted: true, make: crash(p, 2)})
	}
	out = append(out,
		RateClass{Name: "crash close-before-commit, 2 nodes (K4 no-resend)", Topology: twoNodesRR + ", K4 no-resend",
			make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
				sc := crash(faults.CloseBeforeCommit, 2)(r, app)
				sc.Client.CloseNotFound = knob.CloseNoResend
				return sc
			}},
		RateClass{Name: "lost final Ack", Topology: untilClose, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return lostFinalAck(r, app, knob.KeepUntilClose, false)
		}},
		RateClass{Name: "lost final Ack + node restart", Topology: untilClose, Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return lostFinalAck(r, app, knob.KeepUntilClose, true)
		}},
		RateClass{Name: "lost final Ack + node restart (K10 after-answer)", Topology: afterAnswer, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return lostFinalAck(r, app, knob.DeleteAfterAnswer, true)
		}},
		RateClass{Name: "app time-out", Topology: oneNode, Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, 1, false,
				faults.Fault{Name: "slow-app", Action: &faults.AppReplyDelay{Latency: 6 * time.Minute}},
				faults.Fault{Name: "heal", Trigger: faults.OnEvent{Kind: sim.NotifyAnswered}, Action: &faults.AppReplyDelay{}})
		}},
		RateClass{Name: "app 5xx", Topology: oneNode, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			return single(r, app, 1, false, faults.Fault{Name: "app-500", Action: &faults.AppStatus{Status: []int{500, 503}[r.IntN(2)], Times: 1}})
		}},
		RateClass{Name: "host-id fallback", Topology: "2 nodes, round-robin, host id (fallback 24 h)", Predicted: true,
			make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
				return single(r, app, 2, true, faults.Fault{Name: "down-past-fallback", Trigger: faults.AtPoint{Point: faults.AfterNotifyAnswer},
					Action: &faults.Kill{RestartAfter: 30 * time.Hour}})
			}},
		RateClass{Name: "session drop after final Ack", Topology: oneNode + ", K4 restart", Predicted: true, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			sc := single(r, app, 1, false)
			sc.Faults = faults.Schedule{{Name: "drop", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: topOf(sc).frags},
				Action: &faults.DropSessions{Node: "node1"}}}
			return sc
		}},
		RateClass{Name: "link toxic", Topology: oneNode, make: func(r *sim.Rand, app knob.AppMode) record.Scenario {
			sc := single(r, app, 1, false)
			sc.Faults = topOf(sc).toxic("toxic", r)
			return sc
		}},
	)
	return out
}

// lostFinalAck loses the final Ack (bits_drop_ack on the shared link)
// and, with restart, restarts the node when the client sees the error.
// Without the restart the node answers the retried final fragment from its
// notify cache and does not post again (docs/protocol.md §14 case 8). With
// it, only with K10 until-close is the request file still there for the
// restarted node, whose notify cache died with it, to post again
// (docs/protocol.md §7.3, §8.2); with K10 after-answer the file went with
// the app's answer and the restarted node answers the retry from its
// persisted answer (§8.3).
func lostFinalAck(r *sim.Rand, app knob.AppMode, k10 knob.Retention, restart bool) record.Scenario {
	sc := single(r, app, 1, false)
	sc.Farm.RequestRetention = k10
	sc.Faults = faults.Schedule{
		{Name: "drop-final-ack", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: "drop-final-ack", Type: "bits_drop_ack",
			Stream: sim.Downstream, Attributes: map[string]any{"pattern": fmt.Sprintf("BITS-Received-Content-Range: %d", sc.Jobs[0].Size+txnLen(sc)), "times": 1}}}},
	}
	if restart {
		sc.Faults = append(sc.Faults, faults.Fault{Name: "restart", Trigger: faults.OnEvent{Kind: sim.ClientError}, Action: &faults.Kill{Node: "node1", RestartAfter: time.Minute}})
	}
	return sc
}

// txnLen is the envelope's length for job 0 of sc ("bitsim-txn: <id>\n",
// the id being the job's name, a dash and 6 hex digits).
func txnLen(sc record.Scenario) int64 {
	return int64(len("bitsim-txn: ") + len(sc.Jobs[0].Name) + 1 + 6 + 1)
}

// Case is upload i of the class with app on the rate table of seed: its
// scenario and run seed, the same draw for every app.
func (c RateClass) Case(seed sim.Seed, i int, app knob.AppMode) (record.Scenario, sim.Seed) {
	r := seed.Fork(fmt.Sprintf("rates/%s/%d", c.Name, i))
	runSeed := sim.Seed(r.Uint64() & (1<<53 - 1))
	return c.make(r, app), runSeed
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
				sc, runSeed := classes[j.class].Case(seed, j.i, apps[j.app])
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
	t := record.RateTable{Seed: seed, Uploads: uploads, SizeMin: rateSizeMin, SizeMax: rateSizeMax,
		Notes: []string{RatesCrashNote, RatesK10Note, Rates5xxNote}}
	for c, cl := range classes {
		for _, a := range apps {
			k := [2]int{c, int(a)}
			t.Rows = append(t.Rows, record.Rate{Class: cl.Name, Farm: cl.Topology, App: a.String(), Uploads: len(dupD[k]), Predicted: cl.Predicted,
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

// RatesK10Note is the table's footnote on the three lost-final-Ack rows.
const RatesK10Note = "\"lost final Ack\": the node lives and answers the retried final fragment from its notify cache, no second notification (docs/protocol.md §14 case 8), even with K10 until-close. " +
	"\"lost final Ack + node restart\" restarts the node when the client sees the error, with K10 until-close: the request file is still there and the restarted node's notify cache is gone, so it posts the file again (§7.3, §8.2). " +
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

// RatesCrashNote is the table's footnote on the crash classes.
const RatesCrashNote = "\"crash <point>\": the node is killed at that crash point and restarted 10 minutes later. " +
	"On 1 node the client's retries reach the restarted node, whose session survived on disk: only a crash after the notification was sent or answered posts the file again (docs/protocol.md §14 case 5). " +
	"On 2 nodes without host id the retried Close-Session reaches the other node, which answers 0x8020001F: with K4 restart the client uploads the whole file again in a new session, delivered a second time (§14 case 9); with K4 no-resend it stops there, delivered once."
