package mutant

// Mutant is one named defect of the mutation suite.
type Mutant struct {
	// Name is what On and BITSIM_MUTANT use.
	Name string
	// Component is the package the defect lives in.
	Component string
	// Breaks says what the defect does wrong.
	Breaks string
	// KilledBy names the catalogue scenario run(s) expected to fail with the
	// defect active (scripts/mutants.sh reports the ones that actually did).
	KilledBy string
}

// All is every mutant, by component. Adding a mutant: plant
// `mutant.On("name")` where the defect goes, add it here, regenerate the
// README table (go test ./internal/mutant -run TestReadmeTable -update) and
// run bash scripts/mutants.sh to see it killed.
var All = []Mutant{
	// client
	{"client-resend-from-zero", "client", "after each retry the client re-sends the session from byte 0 instead of resuming", "case1-resume-same-node"},
	{"client-fallback-never", "client", "the host-id fallback timer never starts: a client pinned to a dead node waits forever", "case4-fallback-duplicate"},
	{"client-ignore-hostid", "client", "BITS-Host-Id is recorded but later packets still go to the shared address", "case3-hostid-pins"},
	{"client-k4-ignored", "client", "K4 no-resend is ignored: Close-Session answered 0x8020001F restarts the upload", "case9-close-not-found-no-resend"},
	{"client-app-errors-fatal", "client", "every app error relayed with context 0x7 ends the job, transient ones (408, 409, 500, 503) too", "case13-app-500"},
	{"client-413-fatal", "client", "a 413 ends the job instead of halving the fragment", "case12-413-shrink"},
	{"client-416-restarts", "client", "a 416 with an offset restarts the upload in a new session instead of resuming at the offset", "case11-lost-tail-rewind"},
	{"client-k7-ignored", "client", "K7 error is ignored: a missing BITS-Reply-URL is taken as an empty reply", "k7-missing-reply-error"},
	{"client-reply-skipped", "client", "an upload-reply job ignores BITS-Reply-URL and never downloads the reply", "upload-reply-success"},
	// node
	{"node-repost-after-403", "farm/node", "after the app's 403 the node posts the same upload to the app again on a retried final fragment", "case13-app-403"},
	{"node-discards-partial-body", "farm/node", "lenient node: the bytes of a cut fragment body are thrown away instead of kept", "case10-overlap-lenient"},
	{"node-store-overlap-twice", "farm/node", "an overlapping fragment is written from its first byte at the received offset: the file is corrupt", "case10-overlap-lenient"},
	{"node-strict-as-lenient", "farm/node", "K1 strict behaves as lenient: no 416 for an overlapping fragment", "case10-overlap-strict"},
	{"node-expiry-keeps-files", "farm/node", "session expiry reports session.expired but leaves the session's files on disk", "case2-restart-other-node"},
	{"node-close-keeps-files", "farm/node", "Close-Session forgets the session but leaves its files on disk", "control"},
	{"node-cleanup-never-expires", "farm/node", "the cleanup task never expires idle sessions", "case2-restart-other-node"},
	{"node-retry-answers-from-disk", "farm/node", "a restarted node answers a retried final fragment from its persisted answer although K10 until-close kept the request file: it never re-posts", "k10-until-close-restart"},
	{"node-drop-skips-busy", "farm/node", "drop-sessions skips a session busy with a packet instead of dropping it when the packet is done", "case9-drop-while-notifying"},
	{"node-no-notify-cache", "farm/node", "a retried final fragment notifies the app again although the node cached the first answer", "case8-lost-final-ack-cached"},
	{"node-no-hostid-header", "farm/node", "BITSHostId configured but the Create-Session Ack carries no BITS-Host-Id", "case3-hostid-pins"},
	{"node-shared-storage-blind", "farm/node", "shared storage: a node does not look for sessions another node created", "case15-shared-storage"},
	{"node-no-notify-timeout", "farm/node", "the notification time-out is not enforced: the node waits for a slow app", "case7-app-timeout"},
	{"node-value-notify-empty", "farm/node", "a by-value notification is posted without the upload in its body", "notify-by-value"},
	{"node-ignores-max-fragment", "farm/node", "fragments over the maximum fragment size are accepted (no 413)", "case12-413-shrink"},
	{"node-ignores-max-upload-size", "farm/node", "uploads over BITSMaximumUploadSize are accepted (no BG_E_TOO_LARGE)", "upload-too-large"},
	{"node-notifies-type0", "farm/node", "notification type 0 (none): the node posts to the app anyway", "notify-none"},
	{"node-forgets-sessions-on-restart", "farm/node", "a restarted node does not restore the sessions in its storage", "crash-before-body"},
	// balancer
	{"balancer-sticky-ignored", "farm/balancer", "the sticky policy behaves as round-robin", "case1-resume-same-node"},
	{"balancer-round-robin-stuck", "farm/balancer", "round-robin never advances: every connection goes to the same node", "case2-restart-other-node"},
	// app
	{"app-idempotent-applies-twice", "app", "the idempotent app applies a repeated transaction id again", "case6-txn-dedup-case4"},
	{"app-status-fault-noop", "app", "an injected app status is never answered", "case13-app-403"},
	{"app-crash-before-effect", "app", "an app crash armed after processing happens before the effect is applied", "case5-app-crash-before-reply"},
	// proxy toxics
	{"toxics-builtin-noop", "farm/proxy", "every built-in toxiproxy toxic is installed as a no-op", "toxics/client-node/latency-downstream"},
	{"toxic-cut-request-noop", "farm/proxy", "bits_cut_request never cuts", "case1-resume-same-node"},
	{"toxic-drop-ack-noop", "farm/proxy", "bits_drop_ack never drops an Ack", "case8-lost-final-ack-cached"},
	// checkers
	{"check-duplicates-same-node-blind", "check", "the duplicates checker misses a re-delivery by the same node", "case5-reforward-after-crash"},
	{"check-effects-at-least-once", "check", "exactly-once-effect passes a job applied more than once", "case4-fallback-duplicate"},
	{"check-faults-fired-counts-installed", "check", "faults-fired counts a fault as effective once it fired (a toxic once installed)", "inert-fault-detected"},
	{"check-orphans-blind", "check", "no-orphans ignores the session directories left on disk", "orphans-without-cleanup"},
}

// Find returns the registered mutant with that name.
func Find(name string) (Mutant, bool) {
	for _, m := range All {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}
