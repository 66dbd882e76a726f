package check

import (
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"sort"
	"strings"
)

// ExactlyOnceEffect: each delivered job had its effect applied exactly
// once. Under the idempotent app this holds however often BITS delivers;
// under the naive app every duplicate delivery is a second effect, which is
// the failure the transaction-id mitigation (spec §14 case 6) prevents.
type ExactlyOnceEffect struct{}

// Name implements Checker.
func (ExactlyOnceEffect) Name() string { return "exactly-once-effect" }

// Check implements Checker.
func (ExactlyOnceEffect) Check(in Input) Verdict {
	if in.External != nil {
		return externalEffects(in)
	}
	ix := buildIndex(in)
	var fs []Finding
	var effects, jobs int64
	for _, j := range ix.jobs {
		if len(j.Deliv) == 0 {
			continue
		}
		jobs++
		n := 0
		for _, d := range j.Deliv {
			if d.Effect {
				n++
			}
		}
		effects += int64(n)
		if n != 1 && !(mutant.On("check-effects-at-least-once") && n > 1) {
			st := Fail
			if n == 0 && lastDeliveryDropped(j) {
				st = Unknown
			}
			fs = append(fs, Finding{Status: st, Job: j.ID, Txn: j.Txn,
				Message: fmt.Sprintf("job %s: %d deliveries applied %d effects, want exactly 1", j.ID, len(j.Deliv), n)})
		}
	}
	summary := fmt.Sprintf("%d effects for %d delivered jobs", effects, jobs)
	return verdict(ExactlyOnceEffect{}.Name(), fs, summary, map[string]int64{"effects": effects, "jobs": jobs})
}

// lastDeliveryDropped: no delivery was answered (the app died or was
// abandoned every time), so a missing effect is not a verdict.
func lastDeliveryDropped(j *job) bool {
	for _, d := range j.Deliv {
		if d.Dropped == "" {
			return false
		}
	}
	return true
}

// HowToProbe says how to give bitsim an external application's effects.
const HowToProbe = "bitsim cannot see inside an external application: to judge exactly-once effects give it an effect probe, " +
	"--effects-url URL (GET answering {\"effects\": {\"<txn>\": <count>}}) or --effects-cmd CMD printing the same JSON " +
	"(YAML app.effects_url / app.effects_cmd)"

// externalEffects judges an external app from its probe: every delivered
// job's transaction must have been applied exactly once during the run. A
// failure carries the cause chain of the deliveries that applied it twice.
func externalEffects(in Input) Verdict {
	p := in.External
	name := ExactlyOnceEffect{}.Name()
	if p.Probe == "" {
		return Verdict{Checker: name, Status: Unknown, Summary: "no effect probe: " + HowToProbe}
	}
	if p.Err != "" {
		return verdict(name, []Finding{{Status: Fail, Message: p.Err}}, "the effect probe could not be read: "+p.Err, nil)
	}
	ix := buildIndex(in)
	var fs []Finding
	var effects, jobs int64
	known := map[string]bool{}
	for _, j := range ix.jobs {
		if j.Txn != "" {
			known[j.Txn] = true
		}
	}
	var unknown []string
	for txn := range p.Effects {
		if !known[txn] {
			unknown = append(unknown, txn)
		}
	}
	sort.Strings(unknown)
	for _, txn := range unknown {
		fs = append(fs, Finding{Status: Fail, Txn: txn, Message: fmt.Sprintf("the probe reports %d effect(s) for transaction %q, which no job of this run uploaded: "+
			"does the app read the transaction id from the upload (the first line \"bitsim-txn: <id>\", or where the payload template put {{txn}})?", p.Effects[txn], txn)})
	}
	for _, j := range ix.jobs {
		if j.Source == nil {
			continue
		}
		n := p.Effects[j.Txn]
		if len(j.Deliv) == 0 {
			if n != 0 {
				fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: j.Txn,
					Message: fmt.Sprintf("job %s (txn %s): the probe reports %d effect(s) but the app was never notified", j.ID, j.Txn, n)})
			}
			continue
		}
		jobs++
		effects += int64(n)
		if j.Txn == "" {
			fs = append(fs, Finding{Status: Unknown, Job: j.ID, Message: fmt.Sprintf("job %s carries no transaction id: the probe cannot be matched to it", j.ID)})
			continue
		}
		switch {
		case n == 1:
		case n == 0 && lastDeliveryDropped(j):
			fs = append(fs, Finding{Status: Unknown, Job: j.ID, Txn: j.Txn,
				Message: fmt.Sprintf("job %s (txn %s): no effect, and no notification was answered", j.ID, j.Txn)})
		case n == 0:
			fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: j.Txn,
				Message: fmt.Sprintf("job %s (txn %s): the app answered %s to %d notification(s) but its probe shows no effect: it must store the upload before answering 200, "+
					"reading the transaction id from the file", j.ID, j.Txn, statuses(j), len(j.Deliv))})
		default:
			var chain []string
			kinds := map[string]bool{}
			for k := 1; k < len(j.Deliv); k++ {
				c, kind := explain(in.Events, j, j.Deliv[k-1], j.Deliv[k])
				chain = append(chain, c...)
				if kind != "" {
					kinds[strings.TrimPrefix(kind, "; ")] = true
				}
			}
			why := ""
			for k := range kinds {
				why += "; " + k
			}
			fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: j.Txn,
				Message: fmt.Sprintf("job %s (txn %s): %d deliveries applied %d effects, want exactly 1%s", j.ID, j.Txn, len(j.Deliv), n, why),
				Chain:   chain})
		}
	}
	summary := fmt.Sprintf("%d effects for %d delivered jobs (probe %s)", effects, jobs, p.Probe)
	return verdict(name, fs, summary, map[string]int64{"effects": effects, "jobs": jobs})
}

// statuses lists a job's notification answers ("200, 200").
func statuses(j *job) string {
	var s []string
	for _, d := range j.Deliv {
		if d.Status == 0 {
			s = append(s, "nothing")
		} else {
			s = append(s, fmt.Sprint(d.Status))
		}
	}
	return strings.Join(s, ", ")
}
