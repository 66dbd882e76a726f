package check

import (
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// wireLog builds a farm history as the nodes would record it.
type wireLog struct {
	t  time.Time
	ev []sim.Event
}

func (w *wireLog) at(d time.Duration) *wireLog { w.t = sim.Epoch.Add(d); return w }

// pkt records a packet received by node at host, and its Ack (status 0:
// none was written).
func (w *wireLog) pkt(node, host, packet, session string, first, last, total int64, status int, code string) *wireLog {
	e := sim.Event{At: w.t, Kind: sim.PacketReceived, Source: node, Node: node, Packet: packet, Session: session,
		URL: "http://" + host + "/upload/a.bin", First: first, Last: last, Total: total}
	w.ev = append(w.ev, e)
	if status != 0 {
		ack := sim.Event{At: w.t, Kind: sim.AckSent, Source: node, Node: node, Packet: packet, Session: session, Status: status, Code: code}
		w.ev = append(w.ev, ack)
	}
	return w
}

func (w *wireLog) crash(node string) *wireLog {
	w.ev = append(w.ev, sim.Event{At: w.t, Kind: sim.NodeCrashed, Source: node, Node: node})
	return w
}

func judgeOne(t *testing.T, c Checker, w *wireLog) Verdict {
	t.Helper()
	return c.Check(Input{Events: w.ev})
}

// Each client-conduct checker catches the misbehaviour it is about and
// passes the Windows-like behaviour.
func TestClientConductCatchesMisbehaviour(t *testing.T) {
	const sh, h2 = "127.0.0.1:80", "127.0.0.3:80"
	created := func(w *wireLog, sid, hostID string, fallback time.Duration) *wireLog {
		w.ev = append(w.ev, sim.Event{At: w.t, Kind: sim.PacketReceived, Node: "node2", Packet: "Create-Session", URL: "http://" + sh + "/upload/a.bin"},
			sim.Event{At: w.t, Kind: sim.SessionCreated, Node: "node2", Session: sid},
			sim.Event{At: w.t, Kind: sim.AckSent, Node: "node2", Packet: "Create-Session", Status: 200, HostID: hostID, Duration: fallback})
		return w
	}
	cases := []struct {
		name string
		c    Checker
		w    *wireLog
		want Status
		msg  string
	}{
		{"resume-same-session-pass", ClientResumes{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 0, 9, 100, 0, "").crash("node1").
			pkt("node1", sh, "Ping", "", 0, 0, 0, 200, "").
			pkt("node1", sh, "Fragment", "S1", 0, 9, 100, 200, ""), Pass, "resumed session S1"},
		{"resume-new-session-fail", ClientResumes{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 0, 9, 100, 0, "").crash("node1").
			pkt("node1", sh, "Create-Session", "", 0, 0, 0, 200, ""), Fail, "never reported lost"},
		{"restart-pass", ClientRestarts{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 10, 19, 100, 500, "0x8020001F").
			pkt("node1", sh, "Create-Session", "", 0, 0, 0, 200, ""), Pass, "new session"},
		{"restart-resent-fail", ClientRestarts{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 10, 19, 100, 500, "0x8020001F").
			pkt("node1", sh, "Fragment", "S1", 10, 19, 100, 500, "0x8020001F"), Fail, "instead of Create-Session"},
		{"close-no-resend-pass", ClientRestarts{}, newLog().
			pkt("node1", sh, "Close-Session", "S1", 0, 0, 0, 500, "0x8020001F"), Pass, "K4"},
		{"host-id-early-fallback-fail", ClientHostID{}, created(newLog(), "S1", "127.0.0.3", time.Minute).
			pkt("node2", h2, "Fragment", "S1", 0, 9, 100, 200, "").
			at(10*time.Second).pkt("node1", sh, "Fragment", "S1", 10, 19, 100, 500, "0x8020001F"), Fail, "before the 1m0s time-out"},
		{"host-id-fallback-pass", ClientHostID{}, created(newLog(), "S1", "127.0.0.3", time.Minute).
			pkt("node2", h2, "Fragment", "S1", 0, 9, 100, 200, "").
			at(61*time.Second).pkt("node1", sh, "Fragment", "S1", 10, 19, 100, 500, "0x8020001F"), Pass, "fell back to 127.0.0.1:80"},
		{"host-id-ignored-fail", ClientHostID{}, created(newLog(), "S1", "127.0.0.3", 0).
			pkt("node1", sh, "Fragment", "S1", 0, 9, 100, 500, "0x8020001F"), Fail, "no fallback time-out"},
		{"final-retry-pass", ClientFinalRetry{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 90, 99, 100, 0, "").crash("node1").
			pkt("node1", sh, "Fragment", "S1", 90, 99, 100, 200, ""), Pass, "final fragment retried"},
		{"final-skipped-fail", ClientFinalRetry{}, newLog().
			pkt("node1", sh, "Fragment", "S1", 90, 99, 100, 0, "").crash("node1").
			pkt("node1", sh, "Close-Session", "S1", 0, 0, 0, 200, ""), Fail, "without a successful Ack"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judgeOne(t, tc.c, tc.w)
			if v.Status != tc.want || !strings.Contains(v.String(), tc.msg) {
				t.Errorf("got %s, want %s with %q", v, tc.want, tc.msg)
			}
		})
	}
	// Content-Length: a tolerated packet fails; none at all is unknown.
	w := newLog().pkt("node1", sh, "Ping", "", 0, 0, 0, 200, "")
	w.ev = append(w.ev, sim.Event{Kind: sim.RequestTolerated, Node: "node1", Packet: "Ping", Reason: sim.ReasonMissingContentLength})
	if v := judgeOne(t, ClientContentLength{}, w); v.Status != Fail || !strings.Contains(v.String(), "would be rejected by IIS") {
		t.Errorf("tolerated: %s", v)
	}
	for _, c := range ClientConduct() {
		if v := c.Check(Input{}); v.Status != Unknown {
			t.Errorf("%s on an empty history: %s", c.Name(), v)
		}
	}
}

func newLog() *wireLog { return &wireLog{t: sim.Epoch} }
