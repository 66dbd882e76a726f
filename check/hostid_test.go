package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

// pinnedJob is a job that got host id 127.0.0.2 from node1 in answer to
// its Create-Session, then sends one Fragment with url and receiver node.
func pinnedJob(fragURL, node string, between ...sim.Event) Input {
	const shared, pinned = "http://127.0.0.1:80/upload/a.bin", "http://127.0.0.2:80/upload/a.bin"
	h := &hist{}
	h.add(sim.Event{Kind: sim.JobSource, Job: "j", URL: shared, Total: 10})
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j", Packet: "Create-Session", URL: shared})
	h.add(sim.Event{Kind: sim.PacketReceived, Node: "node1", Packet: "Create-Session", URL: "/upload/a.bin"})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j", Packet: "Create-Session", Status: 201, HostID: "127.0.0.2"})
	h.add(sim.Event{Kind: sim.ClientHostID, Job: "j", Step: sim.StepPinned, HostID: "127.0.0.2", URL: pinned})
	for _, e := range between {
		e.Job = "j"
		h.add(e)
	}
	h.add(sim.Event{Kind: sim.ClientRequest, Job: "j", Packet: "Fragment", URL: fragURL, First: 0, Last: 9, Total: 10})
	h.add(sim.Event{Kind: sim.PacketReceived, Node: node, Packet: "Fragment", URL: "/upload/a.bin"})
	h.add(sim.Event{Kind: sim.ClientResponse, Job: "j", Packet: "Fragment", Status: 200, Offset: 10})
	return Input{Events: h.evs}
}

func TestHostIDHonoured(t *testing.T) {
	const shared, pinned = "http://127.0.0.1:80/upload/a.bin", "http://127.0.0.2:80/upload/a.bin"
	fallback := []sim.Event{{Kind: sim.ClientTimerFired, Timer: sim.TimerHostFallback}, {Kind: sim.ClientHostID, Step: sim.StepFallback, URL: shared}}
	tests := []struct {
		name string
		in   Input
		want Status
		text string
	}{
		{"no host id - pass, nothing to check", Input{Events: (&hist{}).add(sim.Event{Kind: sim.JobSource, Job: "j", URL: shared}).evs}, Pass, "0 host ids"},
		{"fragment to the pinned host, same node - pass", pinnedJob(pinned, "node1"), Pass, "1 packets sent while pinned"},
		{"fragment to the shared address while pinned - fail", pinnedJob(shared, "node2"), Fail, "was sent to 127.0.0.1:80"},
		{"fragment to the pinned host received by another node - fail", pinnedJob(pinned, "node2"), Fail, "was received by node2"},
		{"shared address after the fallback timer fired - pass", pinnedJob(shared, "node2", fallback...), Pass, "0 packets sent while pinned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := HostIDHonoured{}.Check(tc.in)
			if v.Status != tc.want || !strings.Contains(v.String(), tc.text) {
				t.Errorf("got %s, want %s containing %q", v, tc.want, tc.text)
			}
		})
	}
}

// savedHistory loads a saved run's history (any schema).
func savedHistory(t *testing.T, run string) []sim.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "legacy-run-v1", run, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := sim.DecodeHistory(f)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestHostIDHonouredOnSavedRuns: the control run (three jobs pinned to
// three nodes) and §14 case 4 (pinned, node lost, fallback, re-upload
// through the shared address and a new pin) pass; the control run with one
// pinned Fragment redirected to the shared address fails, naming it.
func TestHostIDHonouredOnSavedRuns(t *testing.T) {
	for _, run := range []string{"control", "case4-fallback-duplicate"} {
		v := HostIDHonoured{}.Check(Input{Events: savedHistory(t, run)})
		if v.Status != Pass || v.Figures["pinned_packets"] == 0 {
			t.Errorf("%s: %s (figures %v)", run, v, v.Figures)
		}
	}
	evs := savedHistory(t, "control")
	pinned := map[string]bool{}
	var strayed int64
	for i, e := range evs {
		if e.Kind == sim.ClientHostID && e.Step == sim.StepPinned {
			pinned[e.Job] = true
		}
		if e.Kind == sim.ClientRequest && e.Packet == "Fragment" && pinned[e.Job] && strayed == 0 {
			evs[i].URL = strings.Replace(e.URL, hostOf(e.URL), "127.0.0.1:1", 1)
			strayed = e.Seq
		}
	}
	v := HostIDHonoured{}.Check(Input{Events: evs})
	if v.Status != Fail || len(v.Findings) != 1 || !strings.Contains(v.Findings[0].Message, "was sent to 127.0.0.1:1") {
		t.Errorf("redirected Fragment #%d: %s", strayed, v)
	}
}
