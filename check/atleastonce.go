package check

import "fmt"

// AtLeastOnce: every job the client finished (TRANSFERRED or ACKNOWLEDGED)
// was delivered to the app at least once. A job that sent its last byte but
// never saw the final Ack may or may not have been delivered: if it was
// not, the verdict is unknown, not fail (its reply was lost, STYLE.md).
type AtLeastOnce struct{}

// Name implements Checker.
func (AtLeastOnce) Name() string { return "at-least-once" }

// Check implements Checker.
func (AtLeastOnce) Check(in Input) Verdict {
	ix := buildIndex(in)
	var fs []Finding
	var finished, delivered int64
	for _, j := range ix.jobs {
		sent, _ := ix.lastByteSent(j)
		switch {
		case j.finished():
			finished++
			if len(j.Deliv) == 0 {
				fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: j.Txn,
					Message: fmt.Sprintf("job %s reached %s but the app never received %s", j.ID, j.Done.State, j.Path)})
				continue
			}
			delivered++
		case len(j.Deliv) > 0:
			delivered++
		case sent:
			fs = append(fs, Finding{Status: Unknown, Job: j.ID, Txn: j.Txn,
				Message: fmt.Sprintf("job %s sent its last byte but never got the final Ack and nothing was delivered: outcome unknown", j.ID)})
		}
	}
	summary := fmt.Sprintf("%d finished jobs, %d jobs delivered at least once", finished, delivered)
	return verdict(AtLeastOnce{}.Name(), fs, summary, map[string]int64{"finished": finished, "delivered": delivered})
}
