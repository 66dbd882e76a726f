package check

import (
	"fmt"
	"strings"

	"github.com/bitsim/bitsim/sim"
)

// JobStats is what ResumeRestart measures for one job.
type JobStats struct {
	Job           string   `json:"job"`
	Sessions      int64    `json:"sessions"`           // Create-Sessions that succeeded
	Restarts      int64    `json:"restarts"`           // uploads started again from byte 0
	Resumes       int64    `json:"resumes"`            // interruptions continued in the same session
	Interruptions int64    `json:"interruptions"`      // transport errors and error Acks
	BytesSent     int64    `json:"bytes_sent"`         // Fragment body bytes sent
	BytesResent   int64    `json:"bytes_resent"`       // of those, bytes below the acknowledged high-water mark
	Retries       int64    `json:"retries"`            // retry-delay waits
	Finished      bool     `json:"finished"`           // reached TRANSFERRED or ACKNOWLEDGED
	Outcomes      []string `json:"outcomes,omitempty"` // per interruption: what happened next
}

// Stats computes JobStats for every job in the history, in job order.
func Stats(in Input) []JobStats {
	ix := buildIndex(in)
	out := make([]JobStats, 0, len(ix.jobs))
	for _, j := range ix.jobs {
		out = append(out, ix.jobStats(j))
	}
	return out
}

// resumeTracker follows one job's interruptions. An interruption (a
// transport error or an error Ack) ends with the first Fragment the server
// accepts (2xx or 416) after it: resumed in the same session, or restarted
// from byte 0. Errors before that belong to the same interruption.
type resumeTracker struct {
	st        *JobStats
	hw        int64  // highest offset the server acknowledged
	open      string // the interruption awaiting its outcome
	restarted bool   // a restart happened since the open interruption
	pending   int64  // first byte of the Fragment sent since the interruption, -1 if none
}

// settle ends the open interruption if a Fragment sent after it was
// accepted.
func (t *resumeTracker) settle(ok bool) {
	if t.open == "" || t.pending < 0 {
		return
	}
	if ok {
		if t.restarted || t.pending == 0 && t.hw > 0 {
			t.st.Outcomes = append(t.st.Outcomes, fmt.Sprintf("%s: restarted from byte 0", t.open))
		} else {
			t.st.Resumes++
			t.st.Outcomes = append(t.st.Outcomes, fmt.Sprintf("%s: resumed at byte %d", t.open, t.pending))
		}
		t.open = ""
	}
	t.pending = -1
}

// request notes a client request.
func (t *resumeTracker) request(e *sim.Event) {
	if !strings.EqualFold(e.Packet, "Fragment") {
		return
	}
	t.st.BytesSent += e.Bytes
	if e.First < t.hw {
		t.st.BytesResent += min(e.Last+1, t.hw) - e.First
	}
	if t.open != "" {
		t.pending = e.First
	}
}

// answer notes the return of a client exchange.
func (t *resumeTracker) answer(x *sim.Exchange) {
	r, ok := x.Return, x.Outcome == sim.OutcomeOK
	if x.IsFragment() {
		t.settle(ok)
	}
	if t.open == "" && !ok && r.Status != 413 {
		t.st.Interruptions++
		t.restarted = false
		t.open = fmt.Sprintf("%d %s on %s", r.Status, r.Code, r.Packet)
		if r.Kind == sim.ClientError {
			t.open = fmt.Sprintf("%s error on %s", r.Err, r.Packet)
		}
	}
	if x.IsFragment() && ok && r.Offset > t.hw {
		t.hw = r.Offset
	}
}

func (ix *index) jobStats(j *job) JobStats {
	st := JobStats{Job: j.ID, Finished: j.finished()}
	t := resumeTracker{st: &st, pending: -1}
	for k := range j.Events {
		e := &j.Events[k]
		switch e.Kind {
		case sim.ClientSession:
			switch e.Step {
			case sim.StepCreated:
				st.Sessions++
			case sim.StepRestarted:
				st.Restarts++
				t.restarted = true
			}
		case sim.ClientTimerFired:
			if e.Timer == sim.TimerRetry {
				st.Retries++
			}
		case sim.ClientRequest:
			t.request(e)
		case sim.ClientResponse, sim.ClientError:
			if x := ix.ops.At(j.idx[k]); x != nil {
				t.answer(x)
			}
		}
	}
	if t.open != "" {
		st.Outcomes = append(st.Outcomes, t.open+": never resumed")
	}
	return st
}

// ResumeRestart reports, per job, sessions opened, bytes re-sent, and
// whether each interruption resumed or restarted from 0. It measures more
// than it judges: unfinished jobs are unknown, the rest pass, and scenario
// expectations bound its figures (e.g. case 1: at most one fragment
// re-sent, no restart; case 2: one restart, the whole file re-sent).
type ResumeRestart struct{}

// Name implements Checker.
func (ResumeRestart) Name() string { return "resume-restart" }

// Check implements Checker.
func (ResumeRestart) Check(in Input) Verdict {
	ix := buildIndex(in)
	var fs []Finding
	fig := map[string]int64{}
	for _, j := range ix.jobs {
		s := ix.jobStats(j)
		fig["sessions"] += s.Sessions
		fig["restarts"] += s.Restarts
		fig["resumes"] += s.Resumes
		fig["interruptions"] += s.Interruptions
		fig["bytes_resent"] += s.BytesResent
		fig["bytes_sent"] += s.BytesSent
		fig["retries"] += s.Retries
		status := Pass
		if !s.Finished {
			status = Unknown
		}
		msg := fmt.Sprintf("job %s: %d sessions, %d restarts, %d resumes, %d of %d bytes re-sent", j.ID, s.Sessions, s.Restarts, s.Resumes, s.BytesResent, s.BytesSent)
		fs = append(fs, Finding{Status: status, Job: j.ID, Txn: j.Txn, Message: msg, Chain: s.Outcomes})
	}
	summary := fmt.Sprintf("%d jobs: %d restarts, %d resumes, %d bytes re-sent", len(ix.jobs), fig["restarts"], fig["resumes"], fig["bytes_resent"])
	return verdict(ResumeRestart{}.Name(), fs, summary, fig)
}
