package check

import "fmt"

// ExactlyOnceEffect: each delivered job had its effect applied exactly
// once. Under the idempotent app this holds however often BITS delivers;
// under the naive app every duplicate delivery is a second effect, which is
// the failure the transaction-id mitigation (spec §14 case 6) prevents.
type ExactlyOnceEffect struct{}

// Name implements Checker.
func (ExactlyOnceEffect) Name() string { return "exactly-once-effect" }

// Check implements Checker.
func (ExactlyOnceEffect) Check(in Input) Verdict {
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
		if n != 1 {
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
