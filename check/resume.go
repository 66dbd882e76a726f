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
		out = append(out, jobStats(j))
	}
	return out
}

func jobStats(j *job) JobStats {
	st := JobStats{Job: j.ID, Finished: j.finished()}
	var hw int64       // highest offset the server acknowledged
	var open string    // the interruption awaiting its outcome
	restarted := false // a restart happened since the open interruption
	pending := int64(-1)
	// An interruption ends with the first Fragment the server accepts
	// (2xx or 416) after it: resumed in the same session, or restarted from
	// byte 0. Errors before that belong to the same interruption.
	settle := func(ok bool) {
		if open == "" || pending < 0 {
			return
		}
		if ok {
			if restarted || pending == 0 && hw > 0 {
				st.Outcomes = append(st.Outcomes, fmt.Sprintf("%s: restarted from byte 0", open))
			} else {
				st.Resumes++
				st.Outcomes = append(st.Outcomes, fmt.Sprintf("%s: resumed at byte %d", open, pending))
			}
			open = ""
		}
		pending = -1
	}
	for _, e := range j.Events {
		isFrag := strings.EqualFold(e.Packet, "Fragment")
		switch e.Kind {
		case sim.ClientSession:
			switch {
			case strings.HasPrefix(e.Detail, "created"):
				st.Sessions++
			case strings.HasPrefix(e.Detail, "restart"):
				st.Restarts++
				restarted = true
			}
		case sim.ClientTimerFired:
			if e.Detail == "retry" {
				st.Retries++
			}
		case sim.ClientError:
			if isFrag {
				settle(false)
			}
			if open == "" {
				st.Interruptions++
				open, restarted = fmt.Sprintf("%s error on %s", e.Err, e.Packet), false
			}
		case sim.ClientResponse:
			accepted := e.Status < 300 || e.Status == 416
			if isFrag {
				settle(accepted)
			}
			if !accepted && e.Status != 413 && open == "" {
				st.Interruptions++
				open, restarted = fmt.Sprintf("%d %s on %s", e.Status, e.Code, e.Packet), false
			}
			if isFrag && accepted && e.Offset > hw {
				hw = e.Offset
			}
		case sim.ClientRequest:
			if !isFrag {
				continue
			}
			st.BytesSent += e.Bytes
			if e.First < hw {
				st.BytesResent += min(e.Last+1, hw) - e.First
			}
			if open != "" {
				pending = e.First
			}
		}
	}
	if open != "" {
		st.Outcomes = append(st.Outcomes, open+": never resumed")
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
		s := jobStats(j)
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
