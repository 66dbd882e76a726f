package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

const (
	kib  = 1024
	frag = 64 * kib // the catalogue's fragment size
)

// Catalogue returns every built-in scenario, in catalogue order: the
// control run, spec §14 cases 1–15, the toxics matrix, many clients and the
// randomized schedule.
func Catalogue() []record.Scenario {
	var out []record.Scenario
	out = append(out, control())
	out = append(out, case1(), case2(), case3())
	out = append(out, case4()...)
	out = append(out, case5()...)
	out = append(out, case7()...)
	out = append(out, case8())
	out = append(out, case9()...)
	out = append(out, case10()...)
	out = append(out, case11(), case12())
	out = append(out, case13()...)
	out = append(out, case14(), case15())
	out = append(out, uploadReply(), notifyByValue(), tooLarge(), orphansWithoutCleanup())
	out = append(out, hostBackBeforeFallback(), inertFault())
	out = append(out, missingReply()...)
	out = append(out, notifyNone())
	out = append(out, commitCases()...)
	out = append(out, conflictCases()...)
	out = append(out, serverStatuses()...)
	out = append(out, sessionLimit())
	out = append(out, fallbackRule()...)
	out = append(out, replyHost()...)
	out = append(out, replyInBody())
	out = append(out, requestRetention()...)
	out = append(out, crashPoints()...)
	out = append(out, toxicsMatrix()...)
	out = append(out, manyClients(), randomized(), Scale(1000), Scale(10_000))
	return out
}

// Find returns the catalogue scenario with that name. Besides the
// catalogue's scale-1000 and scale-10000, "scale-N" names the scale
// scenario of any size N (see Scale).
func Find(name string) (record.Scenario, bool) {
	for _, s := range Catalogue() {
		if s.Name == name {
			return s, true
		}
	}
	if n, ok := strings.CutPrefix(name, "scale-"); ok {
		if jobs, err := strconv.Atoi(n); err == nil && jobs > 0 && strconv.Itoa(jobs) == n {
			return Scale(jobs), true
		}
	}
	return record.Scenario{}, false
}

// Select returns the catalogue scenarios carrying every label in labels
// (a label prefixed with "!" must be absent).
func Select(all []record.Scenario, labels ...string) []record.Scenario {
	var out []record.Scenario
next:
	for _, s := range all {
		for _, l := range labels {
			if neg, ok := strings.CutPrefix(l, "!"); ok {
				if s.HasLabel(neg) {
					continue next
				}
			} else if !s.HasLabel(l) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// cut is a fault that cuts one request on link after n bytes of its
// connection's upstream stream, once.
func cut(name, link string, n int) faults.Fault {
	return faults.Fault{Name: name, Action: &faults.AddToxic{Link: link, Toxic: &sim.Toxic{Name: name,
		Type: "bits_cut_request", Stream: sim.Upstream, Attributes: map[string]any{"bytes": n, "times": 1}}}}
}

// dupVerdicts are the verdicts of a run with expected duplicates.
func dupVerdicts(idempotent bool) map[string]check.Status {
	eff := check.Fail
	if idempotent {
		eff = check.Pass
	}
	return map[string]check.Status{"duplicates": check.Fail, "exactly-once-effect": eff}
}

// resumed asserts a resume on a clean cut: the job retried at least once
// and sent nothing beyond the upload and the one fragment the cut broke.
func resumed(size int64) []record.JobExpect {
	return []record.JobExpect{{Why: "the upload resumed in its session (a retry, nothing re-sent beyond the cut fragment)",
		Retries: record.AtLeast(1), BytesSent: record.Between(size, size+frag)}}
}

func control() record.Scenario {
	return record.Scenario{
		Name: "control", Labels: []string{record.LabelControl},
		Description: "No faults, every checker on: three jobs on a three-node host-id farm are each delivered once, intact, without restarts.",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		Jobs:        []record.JobSpec{{Name: "a.bin", Size: 300 * kib, Txn: "auto"}, {Name: "b.bin", Size: 150 * kib, Txn: "auto"}, {Name: "c.bin", Size: 1, Txn: "auto"}},
		Expect:      record.Expect{Deliveries: record.N(3), Effects: record.N(3), Restarts: record.N(0), Sessions: record.N(3), MaxBytesResent: record.N64(0)},
	}
}

func case1() record.Scenario {
	return record.Scenario{
		Name: "case1-resume-same-node", Spec: "§14 case 1", Labels: []string{record.LabelSeedDoc},
		Description: "The connection breaks mid-upload; the balancer (sticky) sends the reconnect to the same node, which still has the session: the upload resumes, at most one fragment is re-sent, one delivery.",
		Farm:        record.FarmSpec{Nodes: 3, Balancer: knob.Policy{Kind: knob.Sticky}},
		Jobs:        []record.JobSpec{{Name: "report.dat", Size: 400 * kib}},
		Faults:      faults.Schedule{cut("cut-mid-upload", "shared", 150_000)},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), Sessions: record.N(1), MaxBytesResent: record.N64(0),
			Events: []string{string(sim.ClientError)}, Jobs: resumed(400 * kib)},
	}
}

func case2() record.Scenario {
	return record.Scenario{
		Name: "case2-restart-other-node", Spec: "§14 case 2", Labels: []string{record.LabelSeedDoc},
		Description: "No BITSHostId: after a break the round-robin balancer sends the reconnect to another node, which answers 0x8020001F; the client opens a new session and re-sends the whole file; one delivery; the first node's orphaned partial session is removed by the cleanup after the (compressed) 14-day session time-out.",
		Farm:        record.FarmSpec{Nodes: 2},
		Jobs:        []record.JobSpec{{Name: "report.dat", Size: 400 * kib}},
		Faults:      faults.Schedule{cut("cut-mid-upload", "shared", 150_000)},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(1), Sessions: record.N(2), MinBytesResent: record.N64(2 * frag),
			Events: []string{"session.expired:timeout"}},
	}
}

func case3() record.Scenario {
	return record.Scenario{
		Name: "case3-hostid-pins", Spec: "§14 case 3", Labels: []string{record.LabelSeedDoc},
		Description: "With BITSHostId every node returns its own address; after Create-Session every packet goes to that node, so a break resumes there: no second Create-Session, no restart.",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		Jobs:        []record.JobSpec{{Name: "report.dat", Size: 400 * kib}},
		Faults:      faults.Schedule{cut("cut-mid-upload", "node1", 150_000)},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), Sessions: record.N(1), MaxBytesResent: record.N64(0), Jobs: resumed(400 * kib),
			EventCounts: []record.EventCount{{Why: "packets after Create-Session reach one node", Kind: sim.PacketReceived,
				Except: &record.EventMatch{Packet: "Create-Session"}, Distinct: "node", Min: record.N(1), Max: record.N(1)}}},
	}
}

func case4() []record.Scenario {
	mk := func(name string, mode knob.AppMode, effects int) record.Scenario {
		return record.Scenario{
			Name: name, Spec: "§14 case 4", Labels: []string{record.LabelSeedDoc},
			Description: "Host-id farm: the node dies after notifying the app, before the final Ack, and stays down past the 1-day fallback time-out; the client falls back to the shared address, another node takes a full re-upload and notifies again (" + mode.String() + " app).",
			Farm:        record.FarmSpec{Nodes: 3, HostID: true},
			App:         record.AppSpec{Mode: mode},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 200 * kib, Txn: "auto"}},
			Faults: faults.Schedule{{Name: "kill-after-notify", Trigger: faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"},
				Action: &faults.Kill{}}},
			Expect: record.Expect{Deliveries: record.N(2), Effects: record.N(effects), Restarts: record.N(1), Verdicts: dupVerdicts(effects == 1),
				Explain: []string{"case 4", "kill-after-notify", "fallback", "node1", "node2"},
				// The wait for a day is asserted by the timer that made it,
				// not by the run's total time.
				EventCounts: []record.EventCount{{Why: "the client fell back after the 1-day host-id fallback time-out", Kind: sim.ClientTimerFired,
					Match: record.EventMatch{Timer: sim.TimerHostFallback, Duration: 24 * time.Hour}, Min: record.N(1), Max: record.N(1)}}},
		}
	}
	return []record.Scenario{mk("case4-fallback-duplicate", knob.Naive, 2), mk("case6-txn-dedup-case4", knob.Idempotent, 1)}
}

func case5() []record.Scenario {
	mk := func(name string, mode knob.AppMode, effects int, fault faults.Fault, what string) record.Scenario {
		return record.Scenario{
			Name: name, Spec: "§14 case 5", Labels: []string{record.LabelSeedDoc},
			Description: "Single node: " + what + "; the retried final fragment is forwarded to the app again, without a re-upload (" + mode.String() + " app).",
			Farm:        record.FarmSpec{Nodes: 1},
			App:         record.AppSpec{Mode: mode},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 200 * kib, Txn: "auto"}},
			Faults:      faults.Schedule{fault},
			Expect: record.Expect{Deliveries: record.N(2), Effects: record.N(effects), Restarts: record.N(0), Sessions: record.N(1), MaxBytesResent: record.N64(0),
				Verdicts: dupVerdicts(effects == 1), Explain: []string{"case 5"}},
		}
	}
	nodeCrash := faults.Fault{Name: "crash-before-ack", Trigger: faults.AtPoint{Point: faults.AfterNotifyAnswer, Node: "node1"},
		Action: &faults.Kill{RestartAfter: 10 * time.Minute}}
	appCrash := faults.Fault{Name: "app-crash-before-reply", Action: &faults.AppCrash{Point: faults.AppAfterProcessing, Times: 1}}
	return []record.Scenario{
		mk("case5-reforward-after-crash", knob.Naive, 2, nodeCrash, "the node crashes after the app processed the final fragment, before the Ack, and restarts on the same storage"),
		mk("case6-txn-dedup-case5", knob.Idempotent, 1, nodeCrash, "the node crashes after the app processed the final fragment, before the Ack, and restarts on the same storage"),
		mk("case5-app-crash-before-reply", knob.Naive, 2, appCrash, "the app crashes after processing, before replying"),
		mk("case6-txn-dedup-case5-app-crash", knob.Idempotent, 1, appCrash, "the app crashes after processing, before replying"),
	}
}

func case7() []record.Scenario {
	mk := func(name string, mode knob.AppMode, effects int) record.Scenario {
		return record.Scenario{
			Name: name, Spec: "§14 case 7", Labels: []string{record.LabelDerived},
			Description: "The app is slower than the notification time-out (1 min here): it applies the effect but answers after 2 min; the node answers 408 (context 0x7), the client retries the final fragment and the app is notified again (" + mode.String() + " app).",
			Farm:        record.FarmSpec{Nodes: 1, NotificationTimeout: time.Minute},
			App:         record.AppSpec{Mode: mode},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib, Txn: "auto"}},
			Faults: faults.Schedule{
				{Name: "slow-app", Action: &faults.AppReplyDelay{Latency: 2 * time.Minute}},
				{Name: "app-recovers", Trigger: faults.OnEvent{Kind: sim.AckSent, Status: 408}, Action: &faults.AppReplyDelay{}},
			},
			Expect: record.Expect{Deliveries: record.N(2), Effects: record.N(effects), Restarts: record.N(0), Verdicts: dupVerdicts(effects == 1),
				Explain: []string{"case 7"}, Events: []string{string(sim.AckSent)}},
		}
	}
	return []record.Scenario{mk("case7-app-timeout", knob.Naive, 2), mk("case6-txn-dedup-case7", knob.Idempotent, 1)}
}

func case8() record.Scenario {
	return record.Scenario{
		Name: "case8-lost-final-ack-cached", Spec: "§14 case 8", Labels: []string{record.LabelDerived},
		Description: "The Ack of the final fragment is lost on the wire; the node survives, so the retried final fragment gets the cached Ack (NotifyCache) and the app is not notified again.",
		Farm:        record.FarmSpec{Nodes: 1},
		Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100_000}},
		Faults: faults.Schedule{{Name: "drop-final-ack", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{
			Name: "drop-final-ack", Type: "bits_drop_ack", Attributes: map[string]any{"pattern": "BITS-Received-Content-Range: 100000", "times": 1}}}}},
		Expect: record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0), Events: []string{string(sim.NotifyCached)}},
	}
}

func case9() []record.Scenario {
	mk := func(name string, k4 knob.CloseNotFound, mode knob.AppMode, deliveries, restarts int, what string) record.Scenario {
		e := record.Expect{Deliveries: record.N(deliveries), Effects: record.N(1), Restarts: record.N(restarts), Events: []string{"session.expired:dropped"}}
		if deliveries > 1 {
			e.Verdicts = dupVerdicts(mode == knob.Idempotent)
			e.Explain = []string{"case 9"}
			if mode == knob.Naive {
				e.Effects = record.N(2)
			}
		}
		return record.Scenario{
			Name: name, Spec: "§14 case 9", Labels: []string{record.LabelDerived},
			Description: "The node drops the session between the final Ack and Close-Session, which is answered 0x8020001F; " + what,
			Farm:        record.FarmSpec{Nodes: 1},
			Client:      record.ClientSpec{CloseNotFound: k4},
			App:         record.AppSpec{Mode: mode},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib, Txn: modeTxn(mode)}},
			Faults: faults.Schedule{{Name: "drop-before-close", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 2},
				Action: &faults.DropSessions{Node: "node1"}}},
			Expect: e,
		}
	}
	return []record.Scenario{
		mk("case9-close-not-found-restart", knob.CloseRestart, knob.Naive, 2, 1, "under K4=restart ([S]) the client re-uploads the whole file in a new session and the app gets it twice."),
		mk("case6-txn-dedup-case9", knob.CloseRestart, knob.Idempotent, 2, 1, "under K4=restart ([S]) the client re-uploads the whole file in a new session; the idempotent app gets it twice and applies it once."),
		mk("case9-close-not-found-no-resend", knob.CloseNoResend, knob.Naive, 1, 0, "under K4=no-resend ([W]) the client does not resend Close-Session and the app gets it once."),
		dropWhileNotifying(mk("case9-drop-while-notifying", knob.CloseRestart, knob.Naive, 2, 1, "here the drop comes while the node is notifying the app for the final fragment: the busy session is doomed, dropped once its final Ack is sent, and the Close-Session finds it gone (K4=restart: the app gets it twice).")),
	}
}

// dropWhileNotifying fires the drop on notify.sent, while the node holds
// the session for the final fragment: the drop must wait for the packet
// (session.doomed, then session.expired once the Ack is sent), never skip
// the session.
func dropWhileNotifying(sc record.Scenario) record.Scenario {
	sc.Faults = faults.Schedule{{Name: "drop-while-notifying", Trigger: faults.OnEvent{Kind: sim.NotifySent},
		Action: &faults.DropSessions{Node: "node1"}}}
	one := 1
	sc.Expect.EventCounts = append(sc.Expect.EventCounts, record.EventCount{Kind: sim.SessionDoomed, Min: &one, Max: &one,
		Why: "the session was busy with the final fragment when the drop came"})
	return sc
}

// modeTxn wraps the payload in a transaction id for the idempotent app
// (which de-duplicates on it) and leaves a naive app's payload bare.
func modeTxn(mode knob.AppMode) string {
	if mode == knob.Idempotent {
		return "auto"
	}
	return ""
}

func case10() []record.Scenario {
	mk := func(overlap knob.Overlap, want416 bool) record.Scenario {
		e := record.Expect{Deliveries: record.N(1), Restarts: record.N(0), Sessions: record.N(1)}
		ack416 := record.EventCount{Kind: sim.AckSent, Match: record.EventMatch{Status: 416}}
		if want416 {
			e.Events = []string{string(sim.ClientResponse)}
			ack416.Why, ack416.Min = "strict overlap answers 416", record.N(1)
		} else {
			ack416.Why, ack416.Max = "lenient overlap never answers 416", record.N(0)
		}
		e.EventCounts = []record.EventCount{ack416, {Why: "the retried fragment overlapped the bytes the node kept from the cut one",
			Kind: sim.PacketReceived, Match: record.EventMatch{Packet: "Fragment", Overlap: record.B(true)}, Min: record.N(1)}}
		return record.Scenario{
			Name: "case10-overlap-" + overlap.String(), Spec: "§14 case 10", Labels: []string{record.LabelDerived},
			Description: "A fragment is cut after part of its body reached the node; the retried fragment overlaps the stored bytes; with K1=" + overlap.String() + " the node " +
				map[bool]string{false: "writes only the new bytes", true: "answers 416 and the client jumps"}[want416] + "; the file is byte-identical.",
			Farm:   record.FarmSpec{Nodes: 1, Overlap: overlap},
			Jobs:   []record.JobSpec{{Name: "data.bin", Size: 300 * kib}},
			Faults: faults.Schedule{cut("cut-in-body", "shared", 2*frag+40_000)},
			Expect: e,
		}
	}
	return []record.Scenario{mk(knob.OverlapLenient, false), mk(knob.OverlapStrict, true)}
}

func case11() record.Scenario {
	return record.Scenario{
		Name: "case11-lost-tail-rewind", Spec: "§14 case 11", Labels: []string{record.LabelDerived},
		Description: "The node crashes after the third fragment's Ack and loses its unflushed tail (100 KB); restarted, it reports a lower offset (416) and the client rewinds; the file is intact.",
		Farm:        record.FarmSpec{Nodes: 1},
		Jobs:        []record.JobSpec{{Name: "data.bin", Size: 400 * kib}},
		Faults: faults.Schedule{
			{Name: "lose-tail", Trigger: faults.OnEvent{Kind: sim.AckSent, Packet: "Fragment", Nth: 3}, Action: &faults.LoseTail{Node: "node1", Bytes: 100_000}},
			{Name: "restart", Trigger: faults.OnEvent{Kind: sim.NodeCrashed}, Action: &faults.Restart{Node: "node1"}},
		},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), Sessions: record.N(1),
			Jobs: []record.JobExpect{{Why: "the client rewinds (a 416 resync)", Resyncs: record.AtLeast(1)}}},
	}
}

func case12() record.Scenario {
	return record.Scenario{
		Name: "case12-413-shrink", Spec: "§14 case 12", Labels: []string{record.LabelDerived},
		Description: "The node accepts fragments of at most 20 KB; the client's 128 KB fragments get 413 and it halves them (never below 5 KB) until they fit.",
		Farm:        record.FarmSpec{Nodes: 1, MaxFragmentSize: 20 * kib},
		Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, FragmentSize: 128 * kib}},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), EventCounts: []record.EventCount{
			{Why: "no fragment but the last is below 5 KB", Kind: sim.ClientRequest, Max: record.N(0),
				Match: record.EventMatch{Packet: "Fragment", Bytes: record.Between(1, 5*kib-1), Final: record.B(false)}},
			{Why: "the node answers 413", Kind: sim.AckSent, Match: record.EventMatch{Status: 413}, Min: record.N(1)},
		}},
	}
}

func case13() []record.Scenario {
	mk := func(status int, fatal bool) record.Scenario {
		e := record.Expect{Deliveries: record.N(2), Effects: record.N(1), Verdicts: map[string]check.Status{"duplicates": check.Fail}, Explain: []string{"case 13"}}
		what := "transient: the client retries the final fragment, the app is notified again and accepts"
		if fatal {
			// The app rejected the only delivery: no effect, by design.
			e = record.Expect{Deliveries: record.N(1), Effects: record.N(0), JobState: "ERROR", JobCode: fmt.Sprintf("0x%08X", 0x80190000+status),
				Verdicts: map[string]check.Status{"exactly-once-effect": check.Fail}}
			what = "fatal: the job stops in ERROR"
			if status == 403 {
				what += "; its Ack is lost once, and the retried final fragment is answered 403 from the node's record: the node never re-posts the upload (one delivery at the app)"
			}
		}
		sched := faults.Schedule{{Name: fmt.Sprintf("app-%d", status), Action: &faults.AppStatus{Status: status, Times: 1}}}
		if status == 403 {
			sched = append(sched, faults.Fault{Name: "drop-403-ack", Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{
				Name: "drop-403-ack", Type: "bits_drop_ack", Attributes: map[string]any{"pattern": "HTTP/1.1 403", "times": 1}}}})
			e.Jobs = []record.JobExpect{{Why: "the client retried the final fragment after the lost 403", Retries: record.AtLeast(1)}}
		}
		return record.Scenario{
			Name: fmt.Sprintf("case13-app-%d", status), Spec: "§14 case 13", Labels: []string{record.LabelDerived},
			Description: fmt.Sprintf("The app answers %d to the first notification; the node relays it with context 0x7; %s.", status, what),
			Farm:        record.FarmSpec{Nodes: 1},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 80 * kib}},
			Faults:      sched,
			Expect:      e,
		}
	}
	return []record.Scenario{mk(403, true), mk(408, false), mk(409, false), mk(500, false), mk(503, false), mk(501, true), mk(404, true)}
}

func case14() record.Scenario {
	return record.Scenario{
		Name: "case14-reply-lost-to-timeout", Spec: "§14 case 14", Labels: []string{record.LabelDerived},
		Description: "Upload-reply job: right after the final Ack the link goes down until the node's 12 h cleanup has removed the session (1 h session time-out) and its reply; the client's reply download (or Close-Session) then fails and it reports the lost reply.",
		Farm:        record.FarmSpec{Nodes: 1, SessionTimeout: time.Hour},
		App:         record.AppSpec{Reply: true},
		Jobs:        []record.JobSpec{{Name: "query.dat", Size: 100 * kib, Reply: true}},
		Faults: faults.Schedule{
			{Name: "link-down", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 2}, Action: &faults.LinkDown{Link: "shared"}},
			{Name: "link-up", Trigger: faults.OnEvent{Kind: sim.CleanupRan}, Action: &faults.LinkUp{Link: "shared"}},
		},
		Expect: record.Expect{Deliveries: record.N(1), JobState: "ERROR", Events: []string{"session.expired:timeout"},
			Verdicts: map[string]check.Status{"at-least-once": record.Any}},
	}
}

func case15() record.Scenario {
	return record.Scenario{
		Name: "case15-shared-storage", Spec: "§14 case 15", Labels: []string{record.LabelDerived},
		Description: "Farm with shared storage and no host id: after a break the reconnect lands on another node, which finds the session on the shared disk and continues it: no restart.",
		Farm:        record.FarmSpec{Nodes: 2, Storage: knob.SharedStorage},
		Jobs:        []record.JobSpec{{Name: "report.dat", Size: 400 * kib}},
		Faults:      faults.Schedule{cut("cut-mid-upload", "shared", 150_000)},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), Sessions: record.N(1), MaxBytesResent: record.N64(0), Jobs: resumed(400 * kib),
			EventCounts: []record.EventCount{{Why: "node2 continues the session", Kind: sim.PacketReceived,
				Match: record.EventMatch{Node: "node2", Packet: "Fragment"}, Min: record.N(1)}}},
	}
}

// toxicsMatrix runs each built-in toxic on each link class, in the
// direction where it matters, and asserts integrity, at-least-once, the
// documented duplicate bounds and an effect the toxic caused: the delaying
// toxics (latency, bandwidth, slicer) lengthen protocol time (the exact
// tier runs toxiproxy's delays on the virtual clock), the breaking ones
// (reset_peer, timeout, limit_data) make the client retry. Toxics that
// would stall a link for good are removed after the first error they
// cause. Each link class gets a farm whose traffic crosses that link: no
// host id for client-shared (every packet goes through the shared
// address), host id for client-node, notification by value for node-app
// (the upload crosses the link in the notification's body). slow_close is
// not in the matrix: it delays only the FIN after an exchange, which no
// BITS client waits for, so no run can show an effect of it.
func toxicsMatrix() []record.Scenario {
	type tox struct {
		typ    string
		stream sim.Direction
		attrs  map[string]any
		heals  bool          // removed after the first client error
		delay  time.Duration // a delaying toxic: the least protocol time it adds
	}
	toxics := []tox{
		{"latency", sim.Downstream, map[string]any{"latency": 5}, false, 5 * time.Millisecond},
		{"bandwidth", sim.Upstream, map[string]any{"rate": 20_000}, false, 5 * time.Millisecond},
		{"slicer", sim.Upstream, map[string]any{"average_size": 1000, "delay": 100}, false, 5 * time.Millisecond},
		{"reset_peer", sim.Upstream, map[string]any{"timeout": 0}, true, 0},
		{"timeout", sim.Downstream, map[string]any{"timeout": 0}, true, 0},
		{"limit_data", sim.Upstream, map[string]any{"bytes": 100_000}, true, 0},
	}
	links := []struct {
		class, link string
		farm        record.FarmSpec
	}{
		{"client-shared", "shared", record.FarmSpec{Nodes: 2, Balancer: knob.Policy{Kind: knob.Sticky}}},
		{"client-node", "node1", record.FarmSpec{Nodes: 2, HostID: true}},
		{"node-app", "app-from-node1", record.FarmSpec{Nodes: 2, HostID: true, Notification: knob.NotifyValue}},
	}
	var out []record.Scenario
	for _, l := range links {
		for _, t := range toxics {
			name := "toxic-" + t.typ
			sched := faults.Schedule{{Name: name, Action: &faults.AddToxic{Link: l.link,
				Toxic: &sim.Toxic{Name: name, Type: t.typ, Stream: t.stream, Attributes: t.attrs}}}}
			e := record.Expect{MinDeliveries: record.N(1), MaxDeliveries: record.N(2), Effects: record.N(1),
				Verdicts: map[string]check.Status{"duplicates": record.Any, "no-orphans": record.Any}}
			effect := fmt.Sprintf("it adds at least %s of protocol time", t.delay)
			if t.heals {
				var heal faults.Trigger = faults.OnEvent{Kind: sim.ClientError}
				if l.class == "node-app" {
					heal = faults.OnEvent{Kind: sim.NotifyAnswered}
				}
				sched = append(sched, faults.Fault{Name: "heal", Trigger: heal, Optional: true,
					Action: &faults.RemoveToxic{Link: l.link, ToxicName: name}})
				e.Jobs = []record.JobExpect{{Why: "the toxic broke an exchange", Retries: record.AtLeast(1)}}
				effect = "it breaks an exchange and the client retries"
			} else {
				e.MinExactProtocolTime = t.delay
			}
			out = append(out, record.Scenario{
				Name: fmt.Sprintf("toxics/%s/%s-%s", l.class, t.typ, t.stream), Labels: []string{record.LabelToxics},
				Description: fmt.Sprintf("Built-in toxic %s (%s) on the %s link: %s; the upload completes intact, delivered at most twice.", t.typ, t.stream, l.class, effect),
				Farm:        l.farm,
				App:         record.AppSpec{Mode: knob.Idempotent},
				Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, Txn: "auto"}},
				Faults:      sched,
				Expect:      e,
			})
		}
	}
	return out
}

func uploadReply() record.Scenario {
	return record.Scenario{
		Name: "upload-reply-success", Spec: "§10.3", Labels: []string{record.LabelDerived},
		Description: "Upload-reply job, no faults: the app writes a reply, the final Ack names it in BITS-Reply-URL, the client downloads it and closes the session.",
		Farm:        record.FarmSpec{Nodes: 1},
		App:         record.AppSpec{Reply: true},
		Jobs:        []record.JobSpec{{Name: "query.dat", Size: 100 * kib, Reply: true}},
		Expect: record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0),
			Jobs: []record.JobExpect{{Why: "the client downloaded the app's reply", ReplySize: record.AtLeast(1)}}},
	}
}

func notifyByValue() record.Scenario {
	return record.Scenario{
		Name: "notify-by-value", Spec: "§10.2", Labels: []string{record.LabelDerived},
		Description: "BITSServerNotificationType 2 (by value): the node posts the whole upload in the notification's body; the app receives it intact, once.",
		Farm:        record.FarmSpec{Nodes: 1, Notification: knob.NotifyValue},
		Jobs:        []record.JobSpec{{Name: "order.dat", Size: 150 * kib, Txn: "auto"}},
		Expect: record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0),
			EventCounts: []record.EventCount{{Why: "the notification carried the upload", Kind: sim.NotifySent,
				Match: record.EventMatch{Bytes: record.AtLeast(150 * kib)}, Min: record.N(1), Max: record.N(1)}}},
	}
}

func tooLarge() record.Scenario {
	return record.Scenario{
		Name: "upload-too-large", Spec: "§7.1", Labels: []string{record.LabelDerived},
		Description: "BITSMaximumUploadSize 100 KB, a 200 KB upload: the first Fragment is answered 500 BG_E_TOO_LARGE (0x80200020), fatal: the job stops in ERROR and nothing is delivered.",
		Farm:        record.FarmSpec{Nodes: 1, MaxUploadSize: 100 * kib},
		Jobs:        []record.JobSpec{{Name: "big.dat", Size: 200 * kib}},
		Expect: record.Expect{Deliveries: record.N(0), JobState: "ERROR", JobCode: "0x80200020",
			Verdicts: map[string]check.Status{"at-least-once": record.Any}},
	}
}

func orphansWithoutCleanup() record.Scenario {
	sc := case2()
	sc.Name, sc.Spec, sc.Labels = "orphans-without-cleanup", "§14 case 2", []string{record.LabelDerived}
	sc.Description = "Case 2 without the final cleanup: the partial session the restart left on the first node stays in its storage, and no-orphans, reading the disk, reports it."
	sc.Farm.NoFinalCleanup = true
	sc.Expect.Events = nil
	sc.Expect.Verdicts = map[string]check.Status{"no-orphans": check.Fail}
	return sc
}

func hostBackBeforeFallback() record.Scenario {
	return record.Scenario{
		Name: "case4-host-back-before-fallback", Spec: "§14 case 4", Labels: []string{record.LabelSeedDoc},
		Description: "Case 4, but the host-id node is back after 1 h, well before the 1-day fallback: the client keeps retrying its pinned node, which restored the complete session and notifies the app again; no fallback, no re-upload (naive app: two effects).",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		Jobs:        []record.JobSpec{{Name: "order.dat", Size: 200 * kib, Txn: "auto"}},
		Faults: faults.Schedule{{Name: "kill-after-notify", Trigger: faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"},
			Action: &faults.Kill{RestartAfter: time.Hour}}},
		Expect: record.Expect{Deliveries: record.N(2), Effects: record.N(2), Restarts: record.N(0), Sessions: record.N(1), Verdicts: dupVerdicts(false),
			EventCounts: []record.EventCount{
				{Why: "the fallback never fired", Kind: sim.ClientTimerFired, Match: record.EventMatch{Timer: sim.TimerHostFallback}, Max: record.N(0)},
				{Why: "both deliveries came from the pinned node", Kind: sim.NotifySent, Distinct: "node", Min: record.N(1), Max: record.N(1)},
			}},
	}
}

// crashPoints kills the only node once at each crash point the §14 cases do
// not already use and restarts it on the same storage 10 minutes later: the
// client's retry continues the session the restarted node restored, so the
// upload completes with one delivery and no re-upload.
func crashPoints() []record.Scenario {
	var out []record.Scenario
	for _, c := range []struct {
		point faults.Point
		what  string
	}{
		{faults.AfterCreate, "the session is on disk, its Create-Session Ack never sent: the client creates another one; the first is removed by the cleanup"},
		{faults.BeforeBody, "a Fragment's headers were accepted, no body byte read: the client resumes at the offset it had"},
		{faults.AfterBody, "a Fragment's body was read but not written: the client resumes at the offset it had"},
		{faults.AfterWrite, "a Fragment was written but not acknowledged: the restarted node holds more than the client knows and the retried fragment overlaps"},
		{faults.CloseBeforeCommit, "in Close-Session, before the commit step: the client resends Close-Session to the restored, complete session"},
		{faults.CloseAfterCommit, "in Close-Session, after the commit step: the client resends Close-Session to the restored, complete session"},
	} {
		e := record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0),
			Jobs: []record.JobExpect{{Why: "the client retried after the crash", Retries: record.AtLeast(1)}},
			EventCounts: []record.EventCount{{Why: "the node died at the crash point", Kind: sim.NodeCrashed,
				Match: record.EventMatch{Point: c.point.String()}, Min: record.N(1), Max: record.N(1)}}}
		switch c.point {
		case faults.AfterCreate:
			e.EventCounts = append(e.EventCounts, record.EventCount{Why: "the node created a second session for the retried Create-Session",
				Kind: sim.SessionCreated, Min: record.N(2), Max: record.N(2)})
		case faults.AfterWrite:
			e.EventCounts = append(e.EventCounts, record.EventCount{Why: "the retried fragment overlapped the bytes written before the crash",
				Kind: sim.PacketReceived, Match: record.EventMatch{Packet: "Fragment", Overlap: record.B(true)}, Min: record.N(1)})
		default:
			e.EventCounts = append(e.EventCounts, record.EventCount{Why: "the restarted node restored the session",
				Kind: sim.SessionRestored, Min: record.N(1)})
		}
		out = append(out, record.Scenario{
			Name: "crash-" + c.point.String(), Spec: "§14", Labels: []string{record.LabelDerived},
			Description: "Single node, killed once at crash point " + c.point.String() + " and restarted 10 minutes later on the same storage; " + c.what + "; one delivery.",
			Farm:        record.FarmSpec{Nodes: 1},
			Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, Txn: "auto"}},
			Faults: faults.Schedule{{Name: "crash", Trigger: faults.AtPoint{Point: c.point, Node: "node1"},
				Action: &faults.Kill{RestartAfter: 10 * time.Minute}}},
			Expect: e,
		})
	}
	return out
}

func inertFault() record.Scenario {
	return record.Scenario{
		Name: "inert-fault-detected", Labels: []string{record.LabelControl},
		Description: "A harness self-check: on a host-id farm a cut on the shared link never bites (after Create-Session every packet goes to the node's own address); the upload is unaffected and faults-fired reports the fault as fired without an observable effect.",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		Jobs:        []record.JobSpec{{Name: "report.dat", Size: 400 * kib}},
		Faults:      faults.Schedule{cut("cut-on-shared", "shared", 150_000)},
		Expect: record.Expect{Deliveries: record.N(1), Restarts: record.N(0), NoEvents: []string{string(sim.ClientError)},
			Verdicts: map[string]check.Status{"faults-fired": check.Fail}},
	}
}

// missingReply: an upload-reply job whose app produces no reply, so the
// final Ack carries no BITS-Reply-URL (K7).
func missingReply() []record.Scenario {
	mk := func(k7 knob.MissingReply, e record.Expect, what string) record.Scenario {
		return record.Scenario{
			Name: "k7-missing-reply-" + k7.String(), Spec: "§10.3 (K7)", Labels: []string{record.LabelDerived},
			Description: "Upload-reply job, but the app produces no reply: the final Ack has no BITS-Reply-URL; with K7=" + k7.String() + " " + what + ".",
			Farm:        record.FarmSpec{Nodes: 1},
			Client:      record.ClientSpec{MissingReply: k7},
			Jobs:        []record.JobSpec{{Name: "query.dat", Size: 50 * kib, Reply: true}},
			Expect:      e,
		}
	}
	return []record.Scenario{
		mk(knob.MissingReplyEmpty, record.Expect{Deliveries: record.N(1), Effects: record.N(1),
			Jobs: []record.JobExpect{{Why: "an empty reply", ReplySize: record.Between(0, 0)}}},
			"([W]) the client takes an empty reply and the job is acknowledged"),
		mk(knob.MissingReplyError, record.Expect{Deliveries: record.N(1), Effects: record.N(1), JobState: "ERROR", JobCode: "0x80072F78"},
			"([S 3.1.5.2.4]) it is a protocol error: the job stops in ERROR (WINHTTP_INVALID_SERVER_RESPONSE) after the app was notified"),
	}
}

func notifyNone() record.Scenario {
	return record.Scenario{
		Name: "notify-none", Spec: "§10.1", Labels: []string{record.LabelDerived},
		Description: "BITSServerNotificationType 0: no notification; the node commits the upload to its destination and acknowledges; the app is never posted to.",
		Farm:        record.FarmSpec{Nodes: 1, Notification: knob.NotifyNone},
		Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib}},
		Expect: record.Expect{Deliveries: record.N(0), Verdicts: map[string]check.Status{"at-least-once": record.Any, "exactly-once-effect": record.Any},
			EventCounts: []record.EventCount{{Why: "no notification", Kind: sim.NotifySent, Max: record.N(0)}}},
	}
}

func manyClients() record.Scenario {
	return record.Scenario{
		Name: "many-clients", Labels: []string{record.LabelScale},
		Description: "50 concurrent jobs on a three-node host-id farm with an idempotent app and five random faults: every job completes, every file intact, exactly one effect each.",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		App:         record.AppSpec{Mode: knob.Idempotent},
		Jobs:        []record.JobSpec{{Name: "upload", Size: 96 * kib, Txn: "auto", Count: 50}},
		Random:      &record.RandomSpec{Faults: 5},
		Expect: record.Expect{MinDeliveries: record.N(50), Effects: record.N(50),
			Verdicts: map[string]check.Status{"duplicates": record.Any, "faults-fired": record.Any, "no-orphans": record.Any, "at-least-once": record.Any}},
	}
}

// Scale is the scenario scale-n: n concurrent single-fragment jobs on a
// host-id farm of ScaleNodes(n) nodes with an idempotent app and as many
// random faults as nodes: every job completes, intact, with exactly one
// effect each. The catalogue holds scale-1000 and scale-10000, labelled
// slow; run them, or any other size, with bitsim run --scenario scale-N,
// and measure the cost per 1,000 jobs with bitsim bench scale.
func Scale(n int) record.Scenario {
	nodes := ScaleNodes(n)
	return record.Scenario{
		Name: fmt.Sprintf("scale-%d", n), Labels: []string{record.LabelScale, record.LabelSlow},
		Description: fmt.Sprintf("%d concurrent jobs on a %d-node host-id farm with an idempotent app and %d random faults: every job completes, every file intact, exactly one effect each.", n, nodes, nodes),
		Farm:        record.FarmSpec{Nodes: nodes, HostID: true},
		App:         record.AppSpec{Mode: knob.Idempotent},
		Jobs:        []record.JobSpec{{Name: "up", Size: 40_000, Txn: "auto", Count: n}},
		Random:      &record.RandomSpec{Faults: nodes},
		Expect: record.Expect{MinDeliveries: record.N(n), Effects: record.N(n),
			Verdicts: map[string]check.Status{"duplicates": record.Any, "faults-fired": record.Any, "no-orphans": record.Any, "at-least-once": record.Any}},
	}
}

// ScaleNodes is the farm size of scale-n: 8 nodes up to 5,000 jobs, then
// 8 more per 5,000 jobs (16 for scale-10000).
func ScaleNodes(n int) int { return max(8, 8*n/5000) }

func randomized() record.Scenario {
	return record.Scenario{
		Name: "random", Labels: []string{record.LabelRandom},
		Description: "A fault schedule drawn from the seed (node crashes at crash points and after Acks, cut requests, lost Acks, app failures and crashes), all self-healing: jobs complete, files intact, at least one delivery and exactly one effect each.",
		Farm:        record.FarmSpec{Nodes: 3, HostID: true},
		App:         record.AppSpec{Mode: knob.Idempotent},
		Jobs:        []record.JobSpec{{Name: "a.bin", Size: 300 * kib, Txn: "auto"}, {Name: "b.bin", Size: 200 * kib, Txn: "auto"}},
		Random:      &record.RandomSpec{Faults: 3},
		Expect: record.Expect{MinDeliveries: record.N(2), Effects: record.N(2),
			Verdicts: map[string]check.Status{"duplicates": record.Any, "faults-fired": record.Any, "no-orphans": record.Any}},
	}
}
