package explore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// Scope is an exhaustive exploration's scope and outcome.
type Scope struct {
	Description string `json:"description"`
	MaxFaults   int    `json:"max_faults"`
	// Singles is how many single faults the scope has; Schedules how many
	// schedules were played (singles, then ordered pairs).
	Singles   int `json:"singles"`
	Schedules int `json:"schedules"`
	// ByClass counts the schedules containing a fault of each class, and
	// how many of those broke an invariant.
	ByClass map[string]*ClassCount `json:"by_class"`
	// Guarantee states the bounded guarantee when every invariant held.
	Guarantee string `json:"guarantee,omitempty"`
}

// ClassCount is one row of an exhaustive exploration's coverage table.
type ClassCount struct {
	Faults    int `json:"faults"`
	Schedules int `json:"schedules"`
	Failing   int `json:"failing"`
}

// ScopeClasses are the fault classes of the small scope.
var ScopeClasses = []string{"crash-point", "lost-response", "cut-request", "app-answer"}

func (s *Scope) count(c Case, failing bool) {
	seen := map[string]bool{}
	for _, f := range c.Scenario.Faults {
		cl := Class(f)
		if seen[cl] || s.ByClass[cl] == nil {
			continue
		}
		seen[cl] = true
		s.ByClass[cl].Schedules++
		if failing {
			s.ByClass[cl].Failing++
		}
	}
}

// smallSize is the small scope's upload: three fragments (64 KiB, 64 KiB,
// the rest).
const smallSize = 150_000

// SmallScope is the exhaustive exploration's topology: two nodes behind a
// round-robin balancer (no host id, local storage), one 3-fragment upload.
func SmallScope(app knob.AppMode) record.Scenario {
	return record.Scenario{Name: "exhaustive", Description: "small scope of bitsim explore --exhaustive",
		Farm: record.FarmSpec{Nodes: 2}, App: record.AppSpec{Mode: app},
		Client: record.ClientSpec{NoProgressTimeout: NoProgressTimeout},
		Jobs:   []record.JobSpec{{Name: "j1.bin", Size: smallSize, Txn: "auto"}}}
}

// Singles lists every single fault of the small scope, each a schedule
// (a slow app comes with its heal), its faults named by class: each crash
// point × fragment × node (a kill, restarted 10 minutes later), each lost
// response (the k-th Ack of a clean upload: Create, three Fragments,
// Close), each cut request (in Create-Session's headers, half-way through
// each Fragment's body, in Close-Session's headers), and each app answer
// (every error status once, a crash at each app crash point, an answer
// slower than the notification time-out before and after applying the
// effect).
func Singles() []faults.Schedule {
	var out []faults.Schedule
	add := func(class string, t faults.Trigger, a faults.Action, heal ...faults.Action) {
		u := faults.Schedule{{Name: class, Trigger: t, Action: a}}
		for _, h := range heal {
			u = append(u, faults.Fault{Name: class, Trigger: faults.OnEvent{Kind: sim.NotifyAnswered}, Action: h})
		}
		out = append(out, u)
	}
	frags := int((smallSize + frag - 1) / frag)
	for _, p := range faults.Points() {
		n := 1
		if p == faults.BeforeBody || p == faults.AfterBody || p == faults.AfterWrite {
			n = frags
		}
		for nth := 1; nth <= n; nth++ {
			for node := 1; node <= 2; node++ {
				add("crash-point", faults.AtPoint{Point: p, Node: fmt.Sprintf("node%d", node), Nth: nth},
					&faults.Kill{RestartAfter: 10 * time.Minute})
			}
		}
	}
	for k := 0; k < frags+2; k++ {
		add("lost-response", nil, &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: fmt.Sprintf("drop-ack-%d", k),
			Type: "bits_drop_ack", Stream: sim.Downstream, Attributes: map[string]any{"skip": k, "times": 1}}})
	}
	cut := func(name, pattern string, body bool, bytes int64) {
		add("cut-request", nil, &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: name, Type: "bits_cut_request",
			Stream: sim.Upstream, Attributes: map[string]any{"pattern": pattern, "body": body, "bytes": bytes, "times": 1}}})
	}
	cut("cut-create", "BITS-Packet-Type: Create-Session", false, 0)
	for k := 0; k < frags; k++ {
		size := min(int64(frag), smallSize-int64(k)*frag)
		cut(fmt.Sprintf("cut-fragment-%d", k+1), fmt.Sprintf("Content-Range: bytes %d-", k*frag), true, size/2)
	}
	cut("cut-close", "BITS-Packet-Type: Close-Session", false, 0)
	for _, st := range []int{400, 403, 404, 408, 409, 500, 501, 503} {
		add("app-answer", nil, &faults.AppStatus{Status: st, Times: 1})
	}
	for _, p := range []faults.AppPoint{faults.AppBeforeProcessing, faults.AppAfterProcessing, faults.AppBeforeReply} {
		add("app-answer", nil, &faults.AppCrash{Point: p, Times: 1})
	}
	add("app-answer", nil, &faults.AppLatency{Latency: 6 * time.Minute}, &faults.AppLatency{})
	add("app-answer", nil, &faults.AppReplyDelay{Latency: 6 * time.Minute}, &faults.AppReplyDelay{})
	return out
}

// named returns u's faults named "x<k>.<class>" (companions
// "x<k>.<class>.heal"), each a fresh copy.
func named(u faults.Schedule, k int) faults.Schedule {
	out := make(faults.Schedule, len(u))
	for i, f := range u {
		c := clone(f)
		c.Name = fmt.Sprintf("x%d.%s", k, f.Name)
		if i > 0 {
			c.Name += ".heal"
		}
		c.Optional = true
		out[i] = c
	}
	return out
}

// ScopeSize is how many schedules Exhaustive plays for maxFaults (1 or
// 2): the single faults, and with 2 every ordered pair of distinct ones.
func ScopeSize(maxFaults int) int {
	n := len(Singles())
	if maxFaults == 2 {
		return n + n*(n-1)
	}
	return n
}

// Exhaustive plays every schedule of at most maxFaults (1 or 2) faults of
// the small scope — every single fault, then every ordered pair of
// distinct faults — with o's app and seed, judges each, and shrinks the
// violations as Run does. With no violation, the report's Scope states the
// bounded guarantee. o.Budget, if set, stops the enumeration early: a
// scope not played in full gives no guarantee.
func Exhaustive(ctx context.Context, o Options, maxFaults int) (*Report, error) {
	if maxFaults < 1 || maxFaults > 2 {
		return nil, fmt.Errorf("explore: --max-faults %d: the exhaustive scope enumerates 1 or 2 faults", maxFaults)
	}
	base := SmallScope(o.Shape.App)
	us := Singles()
	var cases []Case
	add := func(sched faults.Schedule) {
		sc := base
		sc.Name = fmt.Sprintf("exhaustive-%d", len(cases))
		sc.Faults = sched
		cases = append(cases, Case{Index: len(cases), Seed: o.Seed, Scenario: sc})
	}
	for _, u := range us {
		add(named(u, 1))
	}
	if maxFaults == 2 {
		for a := range us {
			for b := range us {
				if a != b {
					add(append(named(us[a], 1), named(us[b], 2)...))
				}
			}
		}
	}
	scope := &Scope{MaxFaults: maxFaults, Singles: len(us), Schedules: len(cases), ByClass: map[string]*ClassCount{},
		Description: fmt.Sprintf("2 nodes behind a round-robin balancer (no host id, local storage), one %d-byte upload in 3 fragments, app %s, seed %d",
			smallSize, o.Shape.App, o.Seed)}
	for _, c := range ScopeClasses {
		scope.ByClass[c] = &ClassCount{}
	}
	for _, u := range us {
		scope.ByClass[u[0].Name].Faults++
	}
	o.cases, o.scope, o.Runs, o.Base = cases, scope, len(cases), &base
	rep, err := Run(ctx, o)
	if err != nil {
		return rep, err
	}
	if len(rep.Violations) == 0 && rep.Runs == len(cases) {
		scope.Guarantee = guarantee(scope, rep.Invariants, rep.Coverage)
		if o.Out != "" {
			if err := Save(o.Out, rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// guarantee states the bounded guarantee of a scope in which every
// schedule was played and every invariant held (coverage: the faults
// placed and fired per class).
func guarantee(s *Scope, invariants []string, coverage map[string]*Coverage) string {
	what := fmt.Sprintf("each of the %d single faults", s.Singles)
	if s.MaxFaults == 2 {
		what += fmt.Sprintf(" and each of the %d ordered pairs of distinct faults", s.Singles*(s.Singles-1))
	}
	g := fmt.Sprintf("Bounded guarantee: in this scope (%s), %s (%s) left every invariant holding (%s): "+
		"no schedule of at most %d of these faults breaks them.", s.Description, what, strings.Join(ScopeClasses, ", "),
		strings.Join(invariants, ", "), s.MaxFaults)
	var drawn, fired int
	for _, c := range ScopeClasses {
		if cv := coverage[c]; cv != nil {
			drawn, fired = drawn+cv.Drawn, fired+cv.Fired
		}
	}
	return g + fmt.Sprintf(" %d of the %d faults placed fired; a fault aimed at a node, fragment or packet its schedule never reached "+
		"could not bite there (the coverage table counts them per class).", fired, drawn)
}
