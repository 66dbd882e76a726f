package sim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestUpgradeV1 spells out what each schema-1 Detail becomes.
func TestUpgradeV1(t *testing.T) {
	tests := []struct {
		name string
		in   Event
		want Event
	}{
		{"restart names reason and packet",
			Event{Kind: ClientSession, Detail: "restart: session not found on Fragment"},
			Event{Kind: ClientSession, Detail: "restart: session not found on Fragment", Step: StepRestarted, Reason: ReasonSessionNotFound, Packet: "Fragment"}},
		{"session created",
			Event{Kind: ClientSession, Detail: "created (session 2)"},
			Event{Kind: ClientSession, Detail: "created (session 2)", Step: StepCreated}},
		{"close not resent",
			Event{Kind: ClientSession, Detail: "close-session: session not found; not resent (K4 no-resend)"},
			Event{Kind: ClientSession, Detail: "close-session: session not found; not resent (K4 no-resend)", Step: StepNotResent}},
		{"timer kind",
			Event{Kind: ClientTimerFired, Detail: "host-fallback"},
			Event{Kind: ClientTimerFired, Detail: "host-fallback", Timer: TimerHostFallback}},
		{"host id pinned",
			Event{Kind: ClientHostID, Detail: "host-id 127.0.0.3:4000"},
			Event{Kind: ClientHostID, Detail: "host-id 127.0.0.3:4000", Step: StepPinned, HostID: "127.0.0.3:4000"}},
		{"host id fallback",
			Event{Kind: ClientHostID, Detail: "fallback to the original host"},
			Event{Kind: ClientHostID, Detail: "fallback to the original host", Step: StepFallback}},
		{"response host id",
			Event{Kind: ClientResponse, Detail: "host-id=h:1 reply-url=http://x/r"},
			Event{Kind: ClientResponse, Detail: "host-id=h:1 reply-url=http://x/r", HostID: "h:1"}},
		{"source digest",
			Event{Kind: JobSource, Detail: "sha256:abc"},
			Event{Kind: JobSource, Detail: "sha256:abc", SHA256: "abc"}},
		{"delivery digest",
			Event{Kind: AppDelivery, Detail: "abc"},
			Event{Kind: AppDelivery, Detail: "abc", SHA256: "abc"}},
		{"fault fired: name, action and trigger leave Detail, State and URL",
			Event{Kind: FaultFired, Detail: "f1", State: "kill node=node1", URL: "crash point after-ack (#1)"},
			Event{Kind: FaultFired, Detail: "f1", Fault: "f1", Action: "kill node=node1", Trigger: "crash point after-ack (#1)"}},
		{"link added",
			Event{Kind: LinkChanged, Detail: "added listen=127.0.0.2:5 upstream=127.0.0.1:6"},
			Event{Kind: LinkChanged, Detail: "added listen=127.0.0.2:5 upstream=127.0.0.1:6", Link: LinkAdded, Listen: "127.0.0.2:5", Upstream: "127.0.0.1:6"}},
		{"link upstream",
			Event{Kind: LinkChanged, Detail: "upstream=127.0.0.1:7"},
			Event{Kind: LinkChanged, Detail: "upstream=127.0.0.1:7", Link: LinkUpstream, Upstream: "127.0.0.1:7"}},
		{"toxic added",
			Event{Kind: LinkChanged, Detail: `toxic added {"type":"latency"}`},
			Event{Kind: LinkChanged, Detail: `toxic added {"type":"latency"}`, Link: LinkToxicAdded}},
		{"node restored sessions",
			Event{Kind: NodeStarted, Detail: "restored 3 sessions"},
			Event{Kind: NodeStarted, Detail: "restored 3 sessions", Count: 3}},
		{"notification type",
			Event{Kind: NotifySent, Detail: "reference"},
			Event{Kind: NotifySent, Detail: "reference", Notification: "reference"}},
		{"orphaned answer",
			Event{Kind: NotifyAnswered, Detail: "orphaned: the node had died"},
			Event{Kind: NotifyAnswered, Detail: "orphaned: the node had died", Reason: ReasonOrphaned}},
		{"expiry reason",
			Event{Kind: SessionExpired, Detail: "timeout"},
			Event{Kind: SessionExpired, Detail: "timeout", Reason: ReasonTimeout}},
		{"typed field already set is kept",
			Event{Kind: ClientSession, Detail: "restart: whatever", Step: StepCreated},
			Event{Kind: ClientSession, Detail: "restart: whatever", Step: StepCreated}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Upgrade([]Event{tc.in}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got[0]); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeHistorySchemas(t *testing.T) {
	v1 := `[{"seq":1,"kind":"job.source","source":"runner","job":"j","detail":"sha256:ab"}]`
	evs, err := DecodeHistory(strings.NewReader(v1))
	if err != nil || len(evs) != 1 || evs[0].SHA256 != "ab" {
		t.Fatalf("schema 1: %+v, %v", evs, err)
	}
	var buf bytes.Buffer
	if err := EncodeHistory(&buf, evs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"schema": 2`) {
		t.Errorf("encoded without schema: %s", buf.String())
	}
	back, err := DecodeHistory(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(evs, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if _, err := DecodeHistory(strings.NewReader(`{"schema": 99, "events": []}`)); err == nil {
		t.Error("a newer schema was accepted")
	}
	if _, err := DecodeHistory(strings.NewReader(`{"events": []}`)); err == nil {
		t.Error("a history without schema was accepted")
	}
}

func TestEnumsParse(t *testing.T) {
	for _, s := range steps {
		if got, err := ParseStep(s.String()); err != nil || got != s {
			t.Errorf("ParseStep(%q) = %q, %v", s, got, err)
		}
	}
	for _, k := range timerKinds {
		if got, err := ParseTimerKind(k.String()); err != nil || got != k {
			t.Errorf("ParseTimerKind(%q) = %q, %v", k, got, err)
		}
	}
	for _, c := range linkChanges {
		if got, err := ParseLinkChange(c.String()); err != nil || got != c {
			t.Errorf("ParseLinkChange(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseTimerKind("Retry"); err == nil {
		t.Error("ParseTimerKind accepted a misspelling")
	}
}

// FuzzDecodeHistory: whatever DecodeHistory accepts re-encodes and decodes
// to the same events (the upgrade is idempotent), without panics.
func FuzzDecodeHistory(f *testing.F) {
	f.Add(`[]`)                                                                            // empty schema-1 history
	f.Add(`{"schema":2,"events":[]}`)                                                      // empty schema-2 history
	f.Add(`[{"kind":"client.session","detail":"restart: session not found on Fragment"}]`) // a restart
	f.Add(`[{"kind":"link.changed","detail":"added listen=a:1 upstream=b:2"}]`)            // a link
	f.Add(`[{"kind":"node.started","detail":"restored x sessions"}]`)                      // a bad count
	f.Add(`{"schema":1,"events":[{"kind":"fault.fired","detail":"f","state":"kill"}]}`)    // schema 1 in an object
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := DecodeHistory(strings.NewReader(s))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeHistory(&buf, evs); err != nil {
			t.Fatal(err)
		}
		back, err := DecodeHistory(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(evs, back, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	})
}
