package scenarios

import (
	"fmt"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/sim"
)

// dropBeforeClose drops every session of node1 between the final Ack of a
// two-fragment upload and its Close-Session, as case 9 does.
func dropBeforeClose() faults.Fault {
	return faults.Fault{Name: "drop-before-close", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 2},
		Action: &faults.DropSessions{Node: "node1"}}
}

// typeZero is a one-node farm with BITSServerNotificationType 0: the node
// commits every upload to its destination path itself.
func typeZero() record.FarmSpec {
	return record.FarmSpec{Nodes: 1, Notification: knob.NotifyNone}
}

// noApp are the verdicts of a type-0 run: the app is never posted to.
func noApp() map[string]check.Status {
	return map[string]check.Status{"at-least-once": record.Any, "exactly-once-effect": record.Any}
}

func commits(why string, n int) record.EventCount {
	return record.EventCount{Why: why, Kind: sim.FileCommitted, Min: record.N(n), Max: record.N(n)}
}

// commitCases are knob K2: a type-0 upload whose session is dropped between
// the final Ack and Close-Session, the Close not resent (K4 no-resend).
// Committed at the final fragment, the file is at its destination; committed
// at Close, it never gets there although the job was acknowledged.
func commitCases() []record.Scenario {
	mk := func(c knob.Commit, n int, what string) record.Scenario {
		farm := typeZero()
		farm.Commit = c
		return record.Scenario{
			Name: "k2-commit-" + c.String(), Spec: "§15 (K2)", Labels: []string{record.LabelDerived},
			Description: "Notification type 0, K2=" + c.String() + ": the node drops the session between the final Ack and Close-Session (not resent, K4 no-resend); " + what + ".",
			Farm:        farm,
			Client:      record.ClientSpec{CloseNotFound: knob.CloseNoResend},
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib}},
			Faults:      faults.Schedule{dropBeforeClose()},
			Expect: record.Expect{Deliveries: record.N(0), Restarts: record.N(0), JobState: "ACKNOWLEDGED", Verdicts: noApp(),
				Events: []string{"session.expired:dropped"}, EventCounts: []record.EventCount{commits(what, n)}},
		}
	}
	return []record.Scenario{
		mk(knob.CommitOnFinalFragment, 1, "the file was committed with the final Ack, so it is at its destination"),
		mk(knob.CommitOnClose, 0, "the commit waited for Close-Session, so the file never reaches its destination"),
	}
}

// conflictCases are knobs K3 and K11: a type-0 upload is committed at its
// final fragment, its session dropped before Close-Session, and the client
// (K4 restart) creates a new session for the same, now existing,
// destination.
func conflictCases() []record.Scenario {
	mk := func(name, spec string, farm record.FarmSpec, e record.Expect, what string) record.Scenario {
		e.Deliveries, e.Verdicts = record.N(0), noApp()
		e.Events = append(e.Events, "session.expired:dropped")
		return record.Scenario{
			Name: name, Spec: spec, Labels: []string{record.LabelDerived},
			Description: "Notification type 0: the upload is committed at its final fragment, the node drops the session before Close-Session and the client (K4 restart) creates a new session for the same destination, which now exists; " + what + ".",
			Farm:        farm,
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib}},
			Faults:      faults.Schedule{dropBeforeClose()},
			Expect:      e,
		}
	}
	status := func(s int) record.EventCount {
		return record.EventCount{Why: fmt.Sprintf("Create-Session for the existing destination is answered %d, once", s), Kind: sim.AckSent,
			Match: record.EventMatch{Status: s, Packet: "Create-Session"}, Min: record.N(1), Max: record.N(1)}
	}
	f409, f403, over := typeZero(), typeZero(), typeZero()
	f403.ConflictStatus = knob.Conflict403
	over.AllowOverwrites = true
	return []record.Scenario{
		mk("k3-conflict-409", "§15 (K3, K11)", f409,
			record.Expect{JobState: "ERROR", JobCode: "0x80070005", EventCounts: []record.EventCount{status(409), commits("only the first session was committed", 1)}},
			"with K3=409 the node answers 409 E_ACCESSDENIED, fatal: the job stops in ERROR after one try"),
		mk("k3-conflict-403", "§15 (K3, K11)", f403,
			record.Expect{JobState: "ERROR", JobCode: "0x80070005", EventCounts: []record.EventCount{status(403), commits("only the first session was committed", 1)}},
			"with K3=403 the node answers 403 E_ACCESSDENIED, fatal: the job stops in ERROR after one try"),
		mk("k11-type0-overwrite-allowed", "§15 (K11)", over,
			record.Expect{JobState: "ACKNOWLEDGED", Restarts: record.N(1), EventCounts: []record.EventCount{commits("the re-upload replaced the committed file", 2)}},
			"with BITSAllowOverwrites the new session is accepted, the file re-sent and committed again over the first"),
	}
}

// serverStatuses: the node (as a front end in front of it would) answers
// one Fragment with a bare HTTP status, no BITS headers; the client
// classifies it by docs/protocol.md §6.5: 300–305 and 307 fatal, other 3xx
// transient, 505 fatal, 401/407 fatal after one try (it has no
// credentials).
func serverStatuses() []record.Scenario {
	mk := func(status int, header map[string]string, fatal bool) record.Scenario {
		e := record.Expect{Restarts: record.N(0), EventCounts: []record.EventCount{{Why: fmt.Sprintf("the node answered %d once", status),
			Kind: sim.AckSent, Match: record.EventMatch{Status: status, Packet: "Fragment"}, Min: record.N(1), Max: record.N(1)}}}
		what := "transient: the client retries the fragment in its session and the upload completes, one delivery"
		if fatal {
			e.Deliveries, e.JobState, e.JobCode = record.N(0), "ERROR", fmt.Sprintf("0x%08X", 0x80190000+status)
			e.Verdicts = map[string]check.Status{"at-least-once": record.Any}
			e.Jobs = []record.JobExpect{{Why: "fatal at once: no retry", Retries: record.Between(0, 0)}}
			what = "fatal: the job stops in ERROR after one try, nothing delivered"
		} else {
			e.Deliveries, e.Effects, e.JobState = record.N(1), record.N(1), "ACKNOWLEDGED"
			e.Jobs = []record.JobExpect{{Why: "the client retried after the transient status", Retries: record.AtLeast(1)}}
		}
		return record.Scenario{
			Name: fmt.Sprintf("server-status-%d", status), Spec: "§6.5", Labels: []string{record.LabelDerived},
			Description: fmt.Sprintf("The node answers the second Fragment with a bare %d (no BITS headers, as a front end would); %s.", status, what),
			Farm:        record.FarmSpec{Nodes: 1},
			Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, Txn: "auto"}},
			Faults: faults.Schedule{{Name: fmt.Sprintf("node-%d", status), Action: &faults.NodeStatus{Node: "node1", Packet: "Fragment", Nth: 2,
				Status: status, Header: header}}},
			Expect: e,
		}
	}
	loc := map[string]string{"Location": "http://elsewhere.invalid/upload/data.bin"}
	return []record.Scenario{
		mk(302, loc, true),
		mk(307, loc, true),
		mk(308, loc, false),
		mk(505, nil, true),
		mk(401, map[string]string{"WWW-Authenticate": `Basic realm="bits"`}, true),
		mk(407, map[string]string{"Proxy-Authenticate": `Basic realm="proxy"`}, true),
	}
}

// sessionLimit is the per-user session limit (BITSNumberOfSessionsLimit 1):
// the node dies right after creating a session (crash point after-create)
// and restarts; the client creates a second one, then loses its link until
// the node's cleanup, which finds two sessions of one client and evicts the
// most recent: the client's active session. Its next packet gets
// 0x8020001F and the upload restarts in a third session; the first, stale
// one survives until the end-of-run cleanup's time-out.
func sessionLimit() record.Scenario {
	return record.Scenario{
		Name: "session-limit-evicts-newest", Spec: "§15 (session limit)", Labels: []string{record.LabelDerived},
		Description: "BITSNumberOfSessionsLimit 1: a crash after Create-Session leaves a stale session; the client's second session is evicted by the next cleanup (the user's most recent sessions over the limit go), so the upload restarts in a third session; one delivery.",
		Farm:        record.FarmSpec{Nodes: 1, SessionLimit: 1},
		Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, Txn: "auto"}},
		Faults: faults.Schedule{
			{Name: "crash-after-create", Trigger: faults.AtPoint{Point: faults.AfterCreate, Node: "node1"},
				Action: &faults.Kill{RestartAfter: 10 * time.Minute}},
			{Name: "link-down", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Create-Session", Nth: 1},
				Action: &faults.LinkDown{Link: "shared"}},
			{Name: "link-up", Trigger: faults.OnEvent{Kind: sim.CleanupRan}, Action: &faults.LinkUp{Link: "shared"}},
		},
		Expect: record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(1), JobState: "ACKNOWLEDGED",
			EventCounts: []record.EventCount{
				{Why: "the cleanup evicted one session over the limit", Kind: sim.SessionExpired,
					Match: record.EventMatch{Reason: sim.ReasonSessionLimit}, Min: record.N(1), Max: record.N(1)},
				{Why: "the evicted session was the client's active one: it restarted on session-not-found", Kind: sim.ClientSession,
					Match: record.EventMatch{Step: sim.StepRestarted, Reason: sim.ReasonSessionNotFound}, Min: record.N(1), Max: record.N(1)},
				{Why: "three sessions: the stale one, the evicted one, the one that completed", Kind: sim.SessionCreated, Min: record.N(3), Max: record.N(3)},
			}},
	}
}

// fallbackRule is knob K8 on a one-node host-id farm whose fallback
// time-out is 1 h: after the first Fragment Ack the node's own link
// swallows every answer (toxic timeout, downstream), so each request to the
// pinned address connects but ends in a response time-out; the toxic goes
// after the eighth client error (about 2 h). Under any-failure the first
// time-out starts the fallback timer and nothing resets it: after 1 h the
// client returns to the shared address and finishes the upload there, in
// the same session. Under connect-failure ([W]) a connection that succeeds
// never starts it: the client stays pinned until the link heals.
func fallbackRule() []record.Scenario {
	mk := func(k8 knob.Fallback, fell bool, what string) record.Scenario {
		fired := record.EventCount{Why: "the fallback timer fired after 1 h", Kind: sim.ClientTimerFired,
			Match: record.EventMatch{Timer: sim.TimerHostFallback, Duration: time.Hour}, Min: record.N(1), Max: record.N(1)}
		e := record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0), JobState: "ACKNOWLEDGED"}
		if fell {
			e.EventCounts = append(e.EventCounts, record.EventCount{Why: "the client returned to the shared address", Kind: sim.ClientHostID,
				Match: record.EventMatch{Step: sim.StepFallback}, Min: record.N(1), Max: record.N(1)})
		} else {
			fired.Why, fired.Min, fired.Max = "the fallback timer never started nor fired", nil, record.N(0)
			e.EventCounts = append(e.EventCounts, record.EventCount{Why: "the fallback timer never started", Kind: sim.ClientTimerArmed,
				Match: record.EventMatch{Timer: sim.TimerHostFallback}, Max: record.N(0)})
			e.Jobs = []record.JobExpect{{Why: "the client kept retrying its pinned node until the link healed", Retries: record.AtLeast(8)}}
		}
		e.EventCounts = append(e.EventCounts, fired)
		return record.Scenario{
			Name: "k8-fallback-" + k8.String(), Spec: "§12.4 (K8)", Labels: []string{record.LabelDerived},
			Description: "One-node host-id farm, 1 h fallback time-out: after the first Fragment Ack the node's own link swallows every answer (each request connects, then times out) until the eighth client error; with K8=" + k8.String() + " " + what + ".",
			Farm:        record.FarmSpec{Nodes: 1, HostID: true, FallbackTimeout: time.Hour},
			Client:      record.ClientSpec{Fallback: k8},
			Jobs:        []record.JobSpec{{Name: "data.bin", Size: 200 * kib, Txn: "auto"}},
			Faults: faults.Schedule{
				{Name: "swallow-answers", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 1},
					Action: &faults.AddToxic{Link: "node1", Toxic: &sim.Toxic{Name: "swallow", Type: "timeout", Stream: sim.Downstream,
						Attributes: map[string]any{"timeout": 0}}}},
				{Name: "heal", Trigger: faults.OnEvent{Kind: sim.ClientError, Nth: 8}, Optional: true,
					Action: &faults.RemoveToxic{Link: "node1", ToxicName: "swallow"}},
			},
			Expect: e,
		}
	}
	return []record.Scenario{
		mk(knob.FallbackAnyFailure, true, "the first time-out starts the timer and no answer resets it: after 1 h the client falls back to the shared address and completes the upload there, in its session"),
		mk(knob.FallbackConnectFailure, false, "a connection that succeeds is no connect failure: the timer never starts and the client stays on its node until the link heals"),
	}
}

// replyHost is knob K6 on a one-node host-id farm: an upload-reply job
// whose shared address goes down right after the final Ack. The reply's
// relative BITS-Reply-URL resolved against the host id reaches the node on
// its own link; resolved against the original host it needs the shared
// link, and the download fails until the 1 h no-progress time-out.
func replyHost() []record.Scenario {
	mk := func(k6 knob.ReplyHost, e record.Expect, what string) record.Scenario {
		return record.Scenario{
			Name: "k6-reply-host-" + k6.String(), Spec: "§10.3 (K6)", Labels: []string{record.LabelDerived},
			Description: "One-node host-id farm, upload-reply job: the shared address goes down right after the final Ack; with K6=" + k6.String() + " " + what + ".",
			Farm:        record.FarmSpec{Nodes: 1, HostID: true},
			App:         record.AppSpec{Reply: true},
			Client:      record.ClientSpec{ReplyHost: k6, NoProgressTimeout: time.Hour},
			Jobs:        []record.JobSpec{{Name: "query.dat", Size: 100 * kib, Reply: true}},
			Faults: faults.Schedule{{Name: "shared-down", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 2},
				Action: &faults.LinkDown{Link: "shared"}}},
			Expect: e,
		}
	}
	served := func(n int) record.EventCount {
		return record.EventCount{Why: fmt.Sprintf("the node served the reply %d time(s)", n), Kind: sim.ReplyServed, Min: record.N(n), Max: record.N(n)}
	}
	return []record.Scenario{
		mk(knob.ReplyFromHostID, record.Expect{Deliveries: record.N(1), Effects: record.N(1), JobState: "ACKNOWLEDGED",
			Verdicts:    map[string]check.Status{"faults-fired": check.Fail},
			Jobs:        []record.JobExpect{{Why: "the client downloaded the reply from the host id", ReplySize: record.AtLeast(1)}},
			EventCounts: []record.EventCount{served(1)}},
			"the download goes to the node's own address and succeeds; nothing crosses the shared link after the fault, so faults-fired reports it without effect"),
		mk(knob.ReplyFromOrigin, record.Expect{Deliveries: record.N(1), Effects: record.N(1), JobState: "ERROR",
			Verdicts:    map[string]check.Status{"at-least-once": record.Any},
			EventCounts: []record.EventCount{served(0)}},
			"the download goes to the original (shared) host, which is down: it never reaches the node and the job ends in ERROR at the 1 h no-progress time-out"),
	}
}

// replyInBody is knob K9: a by-reference app writes its reply to the
// response file and also sends it as the answer's body; the node accepts
// both (no error Ack), keeps the file and names it in BITS-Reply-URL.
func replyInBody() record.Scenario {
	return record.Scenario{
		Name: "k9-reply-file-and-body", Spec: "§10.3 (K9)", Labels: []string{record.LabelDerived},
		Description: "Upload-reply job, notification by reference: the app writes the reply to the response file and also returns it as the body (K9); the node accepts the answer, prefers the file and the client downloads the reply.",
		Farm:        record.FarmSpec{Nodes: 1},
		App:         record.AppSpec{Reply: true, ReplyBodyByReference: true},
		Jobs:        []record.JobSpec{{Name: "query.dat", Size: 100 * kib, Reply: true}},
		Expect: record.Expect{Deliveries: record.N(1), Effects: record.N(1), Restarts: record.N(0), JobState: "ACKNOWLEDGED",
			Jobs: []record.JobExpect{{Why: "the client downloaded the app's reply", ReplySize: record.AtLeast(1)}},
			EventCounts: []record.EventCount{
				{Why: "the app's by-reference answer carried the reply as its body", Kind: sim.AppReplied,
					Match: record.EventMatch{Status: 200, Bytes: record.AtLeast(1)}, Min: record.N(1), Max: record.N(1)},
				{Why: "no error Ack: the node accepted the answer", Kind: sim.AckSent, Match: record.EventMatch{Status: 500}, Max: record.N(0)},
				{Why: "the node served the reply once", Kind: sim.ReplyServed, Min: record.N(1), Max: record.N(1)},
			}},
	}
}

// requestRetention is knob K10: the final Ack is lost (bits_drop_ack on the
// shared link), the client's transport error kills the node, which
// restarts a minute later with an empty notify cache; the client retries
// the final fragment in its session. With K10 until-close the request file
// is still there and the restarted node posts it to the app again (the
// core duplicate path, docs/protocol.md §7.3); with K10 after-answer it
// went with the app's answer, and the restarted node answers the retry from
// its persisted answer without posting (§8.3).
func requestRetention() []record.Scenario {
	mk := func(k10 knob.Retention, deliveries int, what string) record.Scenario {
		farm := record.FarmSpec{Nodes: 1, RequestRetention: k10}
		e := record.Expect{Deliveries: record.N(deliveries), Effects: record.N(deliveries), Restarts: record.N(0), JobState: "ACKNOWLEDGED",
			Jobs: []record.JobExpect{{Why: "the client retried the final fragment in its session, never from byte 0", Sessions: record.Between(1, 1),
				Restarts: record.Between(0, 0), Retries: record.AtLeast(1)}},
			EventCounts: []record.EventCount{
				{Why: "the node was killed once, after the lost final Ack", Kind: sim.NodeCrashed, Min: record.N(1), Max: record.N(1)},
				{Why: "the restarted node restored the session from disk", Kind: sim.SessionRestored, Min: record.N(1), Max: record.N(1)},
				{Why: "the restarted node's notify cache is empty", Kind: sim.NotifyCached, Max: record.N(0)},
				{Why: what, Kind: sim.NotifySent, Min: record.N(deliveries), Max: record.N(deliveries)},
			}}
		if deliveries > 1 {
			e.Verdicts, e.Explain = dupVerdicts(false), []string{"case 5"}
			e.EventCounts = append(e.EventCounts,
				record.EventCount{Why: "both notifications are for the one session", Kind: sim.NotifySent, Distinct: "session", Min: record.N(1), Max: record.N(1)},
				record.EventCount{Why: "both deliveries carry the one transaction", Kind: sim.AppDelivery, Distinct: "txn", Min: record.N(1), Max: record.N(1)})
		}
		return record.Scenario{
			Name: "k10-" + k10.String() + "-restart", Spec: "§15 (K10)", Labels: []string{record.LabelDerived},
			Description: "K10=" + k10.String() + ": the final Ack is lost, the node is killed when the client sees the error and restarts a minute later; the client retries the final fragment in its session and " + what + ".",
			Farm:        farm,
			Jobs:        []record.JobSpec{{Name: "order.dat", Size: 100 * kib, Txn: "auto"}},
			Faults: faults.Schedule{
				{Name: "drop-final-ack", Trigger: faults.OnEvent{Kind: sim.ClientResponse, Packet: "Fragment", Nth: 1},
					Action: &faults.AddToxic{Link: "shared", Toxic: &sim.Toxic{Name: "drop-final-ack", Type: "bits_drop_ack",
						Stream: sim.Downstream, Attributes: map[string]any{"pattern": "HTTP/1.1 200", "times": 1}}}},
				{Name: "restart", Trigger: faults.OnEvent{Kind: sim.ClientError}, Action: &faults.Kill{Node: "node1", RestartAfter: time.Minute}},
			},
			Expect: e,
		}
	}
	return []record.Scenario{
		mk(knob.KeepUntilClose, 2, "the restarted node, whose request file was kept, posts it to the app again: two deliveries of the same upload"),
		mk(knob.DeleteAfterAnswer, 1, "the restarted node, whose request file went with the app's answer, answers from its persisted answer without posting: one delivery"),
	}
}
