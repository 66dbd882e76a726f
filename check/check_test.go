package check

import (
	"github.com/bitsim/bitsim/faults"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// hist builds a synthetic history: each call appends an event one second
// of protocol time after the previous one.
type hist struct {
	evs []sim.Event
	t   time.Time
}

func (h *hist) add(e sim.Event) *hist {
	h.t = h.t.Add(time.Second)
	if h.t.IsZero() {
		h.t = sim.Epoch
	}
	e.At = h.t
	e.Seq = int64(len(h.evs) + 1)
	h.evs = append(h.evs, e)
	return h
}

const (
	url1 = "http://127.0.0.1:8080/upload/a.bin"
	sha1 = "aaaa"
)

// cleanJob is a job of 200 bytes uploaded in two fragments to node1 and
// delivered once.
func cleanJob(h *hist) []ledger.Delivery {
	h.add(sim.Event{Kind: sim.NodeStarted, Node: "node1"})
	h.add(sim.Event{Kind: sim.JobSource, Job: "j1", URL: url1, Total: 200, Txn: "t1", SHA256: sha1})
	h.add(sim.Event{Kind: sim.ClientSession, Job: "j1", Step: sim.StepCreated})
	h.add(sim.Event{Kind: sim.SessionCreated, Node: "node1", Session: "S1"})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j1", Packet: "Fragment", First: 0, Last: 99, Total: 200, Bytes: 100})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j1", Packet: "Fragment", Status: 200, Offset: 100})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j1", Packet: "Fragment", First: 100, Last: 199, Total: 200, Bytes: 100})
	h.add(sim.Event{Kind: sim.NotifySent, Node: "node1", Session: "S1"})
	h.add(sim.Event{Kind: sim.AppDelivery, Node: "node1", URL: url1, Txn: "t1", Bytes: 200, SHA256: sha1})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j1", Packet: "Fragment", Status: 200, Offset: 200})
	h.add(sim.Event{Kind: sim.SessionClosed, Node: "node1", Session: "S1"})
	h.add(sim.Event{Kind: sim.JobDone, Job: "j1", State: "ACKNOWLEDGED"})
	return []ledger.Delivery{{Seq: 1, Node: "node1", RemoteURL: url1, Size: 200, SHA256: sha1, Txn: "t1", Effect: true, Status: 200}}
}

func TestControlRunHasNoFindings(t *testing.T) {
	h := &hist{}
	ledger := cleanJob(h)
	for _, v := range Run(Input{Events: h.evs, Ledger: ledger}, All()...) {
		if v.Status != Pass {
			t.Errorf("%s", v)
		}
		for _, f := range v.Findings {
			if f.Status != Pass {
				t.Errorf("%s: unexpected finding %+v", v.Checker, f)
			}
		}
	}
}

func TestIntegrityFiresOnCorruptDelivery(t *testing.T) {
	h := &hist{}
	ledger := cleanJob(h)
	ledger[0].SHA256 = "bbbb"
	v := Integrity{}.Check(Input{Events: h.evs, Ledger: ledger})
	if v.Status != Fail || !strings.Contains(v.Findings[0].Message, "corrupt") {
		t.Fatalf("%s", v)
	}
}

func TestAtLeastOnce(t *testing.T) {
	h := &hist{}
	cleanJob(h)
	v := AtLeastOnce{}.Check(Input{Events: h.evs})
	if v.Status != Fail {
		t.Errorf("finished job without delivery: %s", v)
	}
	// A job whose final Ack was lost and that was not delivered: unknown.
	h2 := &hist{}
	h2.add(sim.Event{Kind: sim.JobSource, Job: "j2", URL: url1, Total: 10, SHA256: "x"})
	h2.add(sim.Event{Kind: sim.ClientRequest, Job: "j2", Packet: "Fragment", First: 0, Last: 9, Total: 10, Bytes: 10})
	h2.add(sim.Event{Kind: sim.ClientError, Job: "j2", Packet: "Fragment", Err: "EOF"})
	h2.add(sim.Event{Kind: sim.JobDone, Job: "j2", State: "ERROR"})
	if v := (AtLeastOnce{}).Check(Input{Events: h2.evs}); v.Status != Unknown {
		t.Errorf("lost final Ack: %s", v)
	}
}

// duplicate builds spec §14 case 5: node1 dies after the app answered,
// restarts, and the retried final fragment is forwarded again.
func duplicate(h *hist) []ledger.Delivery {
	led := cleanJob(h)
	h.evs = h.evs[:len(h.evs)-3] // drop the final Ack, close, done
	h.add(sim.Event{Kind: sim.FaultFired, Node: "node1", Fault: "crash", Action: "kill node=node1", Point: "after-notify-answer"})
	h.add(sim.Event{Kind: sim.NodeCrashed, Node: "node1", Point: "after-notify-answer"})
	h.add(sim.Event{Kind: sim.ClientError, Job: "j1", Packet: "Fragment", URL: url1, Err: "EOF"})
	h.add(sim.Event{Kind: sim.ClientTimerFired, Job: "j1", Timer: sim.TimerRetry, Duration: 600 * time.Second})
	h.add(sim.Event{Kind: sim.NodeStarted, Node: "node1", Count: 1})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j1", Packet: "Fragment", First: 100, Last: 199, Total: 200, Bytes: 100})
	h.add(sim.Event{Kind: sim.NotifySent, Node: "node1", Session: "S1"})
	h.add(sim.Event{Kind: sim.AppDelivery, Node: "node1", URL: url1, Txn: "t1", Bytes: 200, SHA256: sha1})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j1", Packet: "Fragment", Status: 200, Offset: 200})
	h.add(sim.Event{Kind: sim.SessionClosed, Node: "node1", Session: "S1"})
	h.add(sim.Event{Kind: sim.JobDone, Job: "j1", State: "ACKNOWLEDGED"})
	return append(led, ledger.Delivery{Seq: 2, Node: "node1", RemoteURL: url1, Size: 200, SHA256: sha1, Txn: "t1", Duplicate: true, Status: 200})
}

func TestDuplicatesExplainsTheCause(t *testing.T) {
	h := &hist{}
	ledger := duplicate(h)
	v := Duplicates{}.Check(Input{Events: h.evs, Ledger: ledger})
	if v.Status != Fail || v.Figures["duplicates"] != 1 {
		t.Fatalf("%s", v)
	}
	text := v.String()
	for _, want := range []string{"case 5", "fault crash fired", "node1 died at crash point after-notify-answer", "retried 1 times", "notified the app again"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	// The idempotent app applied one effect: exactly-once holds.
	if v := (ExactlyOnceEffect{}).Check(Input{Events: h.evs, Ledger: ledger}); v.Status != Pass {
		t.Errorf("%s", v)
	}
	// The naive app applied two: exactly-once fails.
	ledger[1].Effect = true
	if v := (ExactlyOnceEffect{}).Check(Input{Events: h.evs, Ledger: ledger}); v.Status != Fail {
		t.Errorf("naive: %s", v)
	}
	// The interruption resumed in the same session.
	rs := Stats(Input{Events: h.evs, Ledger: ledger})
	if len(rs) != 1 || rs[0].Resumes != 1 || rs[0].Restarts != 0 || rs[0].BytesResent != 0 {
		t.Errorf("stats %+v", rs)
	}
}

func TestResumeRestartCountsRestartAndResent(t *testing.T) {
	h := &hist{}
	h.add(sim.Event{Kind: sim.JobSource, Job: "j", URL: url1, Total: 200, SHA256: "x"})
	h.add(sim.Event{Kind: sim.ClientSession, Job: "j", Step: sim.StepCreated})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j", Packet: "Fragment", First: 0, Last: 99, Total: 200, Bytes: 100})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j", Packet: "Fragment", Status: 200, Offset: 100})
	h.add(sim.Event{Kind: sim.ClientError, Job: "j", Packet: "Fragment", Err: "reset"})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j", Packet: "Ping", Status: 500, Code: "0x8020001F"})
	h.add(sim.Event{Kind: sim.ClientSession, Job: "j", Step: sim.StepRestarted, Reason: sim.ReasonSessionNotFound})
	h.add(sim.Event{Kind: sim.ClientSession, Job: "j", Step: sim.StepCreated})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j", Packet: "Fragment", First: 0, Last: 199, Total: 200, Bytes: 200})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j", Packet: "Fragment", Status: 200, Offset: 200})
	h.add(sim.Event{Kind: sim.JobDone, Job: "j", State: "TRANSFERRED"})
	s := Stats(Input{Events: h.evs})[0]
	if s.Sessions != 2 || s.Restarts != 1 || s.BytesResent != 100 || s.BytesSent != 300 || s.Resumes != 0 {
		t.Fatalf("%+v", s)
	}
	if len(s.Outcomes) != 1 || !strings.Contains(s.Outcomes[0], "restarted from byte 0") {
		t.Errorf("outcomes %q", s.Outcomes)
	}
}

func TestFaultsFired(t *testing.T) {
	sched := faults.Schedule{
		{Name: "crash", Action: &faults.Kill{Node: "node1"}, Trigger: faults.AtPoint{Point: faults.AfterWrite}},
		{Name: "maybe", Optional: true, Action: &faults.LinkDown{Link: "node2"}},
	}
	h := &hist{}
	h.add(sim.Event{Kind: sim.NodeStarted, Node: "node1"})
	h.add(sim.Event{Kind: sim.NodeCrashed, Node: "node1", Point: "after-write"})
	h.add(sim.Event{Kind: sim.FaultFired, Fault: "crash", Node: "node1"})
	v := FaultsFired{}.Check(Input{Events: h.evs, Schedule: sched})
	if v.Status != Unknown || v.Figures["fired"] != 1 {
		t.Errorf("%s", v)
	}
	v = FaultsFired{}.Check(Input{Schedule: sched})
	if v.Status != Fail {
		t.Errorf("unfired fault: %s", v)
	}
}

func TestNoOrphans(t *testing.T) {
	h := &hist{}
	h.add(sim.Event{Kind: sim.NodeStarted, Node: "node1"})
	h.add(sim.Event{Kind: sim.NodeStarted, Node: "node2"})
	h.add(sim.Event{Kind: sim.SessionCreated, Node: "node1", Session: "A"})
	h.add(sim.Event{Kind: sim.SessionCreated, Node: "node2", Session: "B"})
	h.add(sim.Event{Kind: sim.NodeCrashed, Node: "node2"})
	v := NoOrphans{}.Check(Input{Events: h.evs})
	if v.Status != Fail || len(v.Findings) != 2 || v.Findings[1].Status != Unknown {
		t.Fatalf("%s", v)
	}
	h.add(sim.Event{Kind: sim.SessionExpired, Node: "node1", Session: "A"})
	if v := (NoOrphans{}).Check(Input{Events: h.evs}); v.Status != Unknown {
		t.Errorf("%s", v)
	}
}

// A fault counts only when it did something observable: a kill that
// crashed nothing, or a cut on a link no failed exchange crossed, fails.
func TestFaultsFiredNeedsAnEffect(t *testing.T) {
	cut := faults.Fault{Name: "cut", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: "cut", Type: "bits_cut_request"}}}
	slow := faults.Fault{Name: "slow", Action: &faults.AddToxic{Link: "node1", Toxic: &sim.Toxic{Name: "slow", Type: "latency"}}}
	kill := faults.Fault{Name: "kill", Action: &faults.Kill{Node: "node2"}}
	links := []sim.Event{
		{Kind: sim.NodeStarted, Node: "node1"}, {Kind: sim.NodeStarted, Node: "node2"},
		{Kind: sim.LinkChanged, Link: sim.LinkAdded, Node: "shared", Listen: "127.0.0.1:9000"},
		{Kind: sim.LinkChanged, Link: sim.LinkAdded, Node: "node1", Listen: "127.0.0.2:9000"},
	}
	fired := func(names ...string) []sim.Event {
		var out []sim.Event
		for _, n := range names {
			out = append(out, sim.Event{Kind: sim.FaultFired, Fault: n})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		sched faults.Schedule
		evs   []sim.Event
		want  Status
	}{
		{"cut with no failed exchange through its link", faults.Schedule{cut}, append(fired("cut"),
			sim.Event{Kind: sim.ClientError, URL: "http://127.0.0.2:9000/up"}), Fail},
		{"cut that broke an exchange", faults.Schedule{cut}, append(fired("cut"),
			sim.Event{Kind: sim.ClientError, URL: "http://127.0.0.1:9000/up"}), Pass},
		{"latency with traffic through its link", faults.Schedule{slow}, append(fired("slow"),
			sim.Event{Kind: sim.ClientRequest, URL: "http://127.0.0.2:9000/up"}), Pass},
		{"latency on a link nothing crossed", faults.Schedule{slow}, append(fired("slow"),
			sim.Event{Kind: sim.ClientRequest, URL: "http://127.0.0.1:9000/up"}), Fail},
		{"kill that crashed its node", faults.Schedule{kill}, append([]sim.Event{{Kind: sim.NodeCrashed, Node: "node2"}}, fired("kill")...), Pass},
		{"kill that crashed another node", faults.Schedule{kill}, append([]sim.Event{{Kind: sim.NodeCrashed, Node: "node1"}}, fired("kill")...), Fail},
	} {
		v := FaultsFired{}.Check(Input{Events: append(append([]sim.Event(nil), links...), tc.evs...), Schedule: tc.sched})
		if v.Status != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, v, tc.want)
		}
	}
}
