package scenarios

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/extapp"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// Running a scenario against the user's own application (an "external
// app", record.AppSpec.URL) differs from the mock in three ways:
//
//   - faults that act on the mock app (app-latency, app-status, app-crash
//     ...) cannot be applied: the scenario is skipped with the reason
//     (SkipReason), and so are random schedules, which draw them;
//   - every job carries a transaction id (the app keys its effects on it),
//     made unique per invocation (RunOptions.TxnTag) so that an app whose
//     database outlives the run is not confused by an earlier run;
//   - the expectation is the app's contract, not the mock's scripted
//     outcome (ContractExpect): integrity, at-least-once and
//     exactly-once-effect must pass, no other checker may fail, and the
//     jobs must end as the scenario says.

// TxnAutoFit, as a job's Txn, draws an id as "auto" does and keeps the
// upload at the job's Size, envelope included: ForExternal gives it to
// jobs that had no transaction id, so faults naming the upload's size (a
// final fragment's range) still match.
const TxnAutoFit = "auto-fit"

// SkipReason says why sc, already aimed at an external app (ForExternal),
// cannot run ("" if it can, or if sc does not target one).
func SkipReason(sc record.Scenario) string {
	if !sc.App.External() {
		return ""
	}
	for i, f := range sc.Faults {
		if f.Action != nil && faults.NeedsMockApp(f.Action) {
			return fmt.Sprintf("needs the mock app's %s fault (fault %s): an external application cannot be made to fail on cue; run it against the mock app",
				f.Action.Kind(), sc.Faults.FaultName(i))
		}
	}
	if sc.Random != nil {
		return "draws random faults, mock-app faults among them: an external application cannot be made to fail on cue"
	}
	return ""
}

// ForExternal returns sc aimed at the external app a (URL and probe): the
// mock's settings are dropped, mock-app faults with a link equivalent are
// rewritten, every job gets a transaction id, and the expectation becomes
// the app's contract. The second result says why the scenario cannot run
// against an external app ("" if it can).
func ForExternal(sc record.Scenario, a record.AppSpec) (record.Scenario, string) {
	out := sc
	out.App = record.AppSpec{URL: a.URL, EffectsURL: a.EffectsURL, EffectsCmd: a.EffectsCmd}
	out.Jobs = append([]record.JobSpec(nil), sc.Jobs...)
	for i := range out.Jobs {
		if out.Jobs[i].Txn == "" {
			out.Jobs[i].Txn = TxnAutoFit
		}
	}
	out.Faults = externalFaults(sc)
	out.Expect = ContractExpect(sc.Expect, a.EffectsURL != "" || a.EffectsCmd != "")
	reason := SkipReason(out)
	if reason == "" && sc.App.Reply && !sc.App.External() {
		reason = "its outcome depends on the mock app's upload-reply (app.reply), which an external application need not produce"
	}
	return out, reason
}

// externalFaults rewrites the mock-app faults that have a link equivalent:
// app-reply-delay longer than the notification time-out (the app applies
// the upload but the node stops waiting, §14 case 7) becomes a bits_drop_ack
// toxic in hold mode on every app-from-nodeK link, which swallows the app's
// first answer on each link; app-reply-delay 0 (undoing the delay) is
// dropped; app-crash after processing or before the reply (the upload is
// applied, the answer lost) becomes the same toxic dropping the answer and
// closing the connection. Other mock-app faults stay, and make the
// scenario skipped.
func externalFaults(sc record.Scenario) faults.Schedule {
	timeout := sc.Farm.NotificationTimeout
	if timeout <= 0 {
		timeout = node.DefaultNotificationTimeout
	}
	var out faults.Schedule
	for i, f := range sc.Faults {
		if c, ok := f.Action.(*faults.AppCrash); ok && (c.Point == faults.AppAfterProcessing || c.Point == faults.AppBeforeReply) {
			// The app applied the upload and died before answering: to the
			// node, the answer is lost and the connection closed.
			out = append(out, onAppLinks(sc, i, f, map[string]any{"pattern": "HTTP/1.1 ", "times": max(c.Times, 1)}, "lose-app-answer")...)
			continue
		}
		d, ok := f.Action.(*faults.AppReplyDelay)
		if !ok {
			out = append(out, f)
			continue
		}
		switch {
		case d.Latency == 0:
		case d.Latency >= timeout:
			out = append(out, onAppLinks(sc, i, f, map[string]any{"pattern": "HTTP/1.1 ", "times": 1, "hold": true}, "hold-app-answer")...)
		default:
			out = append(out, f) // a late but timely answer: not reproducible on the link
		}
	}
	return out
}

// onAppLinks replaces fault i (f) by a bits_drop_ack toxic with attrs on
// every app-from-nodeK link, keeping its name (suffixed /nodeK past the
// first) and trigger.
func onAppLinks(sc record.Scenario, i int, f faults.Fault, attrs map[string]any, toxic string) faults.Schedule {
	var out faults.Schedule
	name := sc.Faults.FaultName(i)
	for k := 1; k <= max(sc.Farm.Nodes, 1); k++ {
		g := f
		g.Name = name
		if k > 1 {
			g.Name = fmt.Sprintf("%s/node%d", name, k)
		}
		g.Action = &faults.AddToxic{Link: fmt.Sprintf("app-from-node%d", k), Toxic: &sim.Toxic{
			Name: toxic, Type: "bits_drop_ack", Stream: "downstream", Attributes: attrs}}
		out = append(out, g)
	}
	return out
}

// ContractExpect is what an external app must achieve in a scenario whose
// mock expectation was e: every file intact (integrity), every finished
// job delivered (at-least-once, unless e accepts any outcome), applied
// exactly once (exactly-once-effect, when there is a probe to tell), the
// other checkers as e says (no other failing unless e expects it), and the
// jobs' end state as in e. Duplicates are
// expected on the paths the scenario provokes; they are the app's to
// absorb, so the duplicate count is not judged.
func ContractExpect(e record.Expect, probe bool) record.Expect {
	out := record.Expect{JobState: e.JobState, JobCode: e.JobCode, Verdicts: map[string]check.Status{}}
	for name, st := range e.Verdicts {
		out.Verdicts[name] = st // what the scenario says of the farm and client (e.g. no-orphans) stands
	}
	out.Verdicts["duplicates"] = record.Any
	out.Verdicts["integrity"] = check.Pass
	out.Verdicts["exactly-once-effect"] = check.Pass
	if out.Verdicts["at-least-once"] != record.Any {
		out.Verdicts["at-least-once"] = check.Pass
	}
	if !probe {
		out.Verdicts["exactly-once-effect"] = record.Any // unknown, with the how-to
	}
	return out
}

// NewTxnTag returns a random tag for RunOptions.TxnTag.
func NewTxnTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PlanExternal aims plans at the external app a: each scenario goes
// through ForExternal, those that cannot run get Skip (SkipReason), and a
// scenario that became identical to an earlier one (the mock app's naive
// and idempotent twins differ only in the mock's mode) is skipped as that
// one's twin.
func PlanExternal(plans []Plan, a record.AppSpec) []Plan {
	out := make([]Plan, len(plans))
	var kept []Plan
	for i, p := range plans {
		sc, r := ForExternal(p.Scenario, a)
		out[i] = Plan{Scenario: sc, Seed: p.Seed}
		if r != "" {
			out[i].Skip = r
			continue
		}
		for _, k := range kept {
			if k.Seed == p.Seed && sameRun(k.Scenario, sc) {
				out[i].Skip = fmt.Sprintf("same run as %s against an external app (the two differ only in the mock app's mode)", k.Scenario.Name)
				break
			}
		}
		if out[i].Skip == "" {
			kept = append(kept, out[i])
		}
	}
	return out
}

// sameRun reports whether two external-app scenarios would do the same.
func sameRun(a, b record.Scenario) bool {
	return reflect.DeepEqual(a.Farm, b.Farm) && reflect.DeepEqual(a.Client, b.Client) && reflect.DeepEqual(a.Jobs, b.Jobs) &&
		reflect.DeepEqual(a.Faults, b.Faults) && a.Expect.JobState == b.Expect.JobState
}

// Skipped returns the result of a scenario that was not run, saved in dir
// (if set).
func Skipped(sc record.Scenario, seed sim.Seed, reason, dir string) *record.Result {
	r := &record.Result{Scenario: sc.Name, Description: sc.Description, Spec: sc.Spec, Labels: sc.Labels, Seed: seed,
		Skipped: reason, Passed: true, Verdicts: []check.Verdict{}, Source: &sc, Dir: dir, External: externalOf(sc)}
	if dir != "" {
		_ = r.Save(dir)
	}
	return r
}

func externalOf(sc record.Scenario) *check.AppProbe {
	if !sc.App.External() {
		return nil
	}
	return &check.AppProbe{App: sc.App.URL, Probe: probeOf(sc.App).String()}
}

func probeOf(a record.AppSpec) extapp.Probe {
	return extapp.Probe{URL: a.EffectsURL, Cmd: a.EffectsCmd}
}
