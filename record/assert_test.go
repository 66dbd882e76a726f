package record

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/sim"
)

func TestEventCountFailures(t *testing.T) {
	evs := []sim.Event{
		{Kind: sim.PacketReceived, Node: "node1", Packet: "Create-Session"},
		{Kind: sim.PacketReceived, Node: "node1", Packet: "Fragment"},
		{Kind: sim.PacketReceived, Node: "node2", Packet: "Fragment"},
		{Kind: sim.AckSent, Node: "node1", Status: 413},
		{Kind: sim.ClientRequest, Packet: "Fragment", First: 0, Last: 999, Total: 3000, Bytes: 1000},
		{Kind: sim.ClientRequest, Packet: "Fragment", First: 2000, Last: 2999, Total: 3000, Bytes: 1000},
		{Kind: sim.SessionExpired, Node: "node1", Reason: "timeout"},
	}
	for _, tc := range []struct {
		name string
		c    EventCount
		want string
		why  string
	}{
		{"kind only - present - holds", EventCount{Kind: sim.AckSent}, "", "no bounds means at least one"},
		{"kind only - absent - fails", EventCount{Kind: sim.NotifyCached}, "events notify.cached: 0, want at least 1", "no bounds means at least one"},
		{"match status - present - holds", EventCount{Kind: sim.AckSent, Match: EventMatch{Status: 413}, Min: N(1)}, "", ""},
		{"max 0 - present - fails", EventCount{Kind: sim.AckSent, Match: EventMatch{Status: 413}, Max: N(0), Why: "no 413"},
			"no 413: events ack.sent status=413: 1, want none", "Why prefixes the message"},
		{"distinct node except Create-Session - two nodes - fails",
			EventCount{Kind: sim.PacketReceived, Except: &EventMatch{Packet: "Create-Session"}, Distinct: "node", Min: N(1), Max: N(1)},
			"events distinct node of packet.received except packet=Create-Session: 2, want 1 (node1, node2)", "lists the values"},
		{"bytes and final - only the final fragment is small - holds",
			EventCount{Kind: sim.ClientRequest, Match: EventMatch{Packet: "Fragment", Bytes: Between(1, 999), Final: B(false)}, Max: N(0)}, "",
			"1000-byte fragments are outside [1, 999]"},
		{"final true - counts the last fragment",
			EventCount{Kind: sim.ClientRequest, Match: EventMatch{Final: B(true)}, Min: N(2)},
			"events client.request final=true: 1, want at least 2", ""},
		{"typed reason - matches", EventCount{Kind: sim.SessionExpired, Match: EventMatch{Reason: "timeout"}, Max: N(0)},
			"events session.expired reason=timeout: 1, want none", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.failure(evs); got != tc.want {
				t.Errorf("failure = %q, want %q (%s)", got, tc.want, tc.why)
			}
		})
	}
}

func TestJobExpectFailures(t *testing.T) {
	jobs := []JobResult{{Name: "a", Result: ClientResult{Resyncs: 0, Retries: 2}}, {Name: "b", Result: ClientResult{Resyncs: 1}}}
	for _, tc := range []struct {
		name string
		j    JobExpect
		want []string
	}{
		{"every job - one misses - one failure", JobExpect{Resyncs: AtLeast(1)}, []string{"job a: resyncs = 0, want at least 1"}},
		{"named job - holds", JobExpect{Job: "b", Resyncs: AtLeast(1)}, nil},
		{"range - above max - fails", JobExpect{Job: "a", Retries: Between(0, 1), Why: "few retries"}, []string{"few retries: job a: retries = 2, want between 0 and 1"}},
		{"unknown job - fails", JobExpect{Job: "c"}, []string{`no job "c"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.j.failures(jobs)); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpectValidate(t *testing.T) {
	for _, e := range []Expect{
		{EventCounts: []EventCount{{}}},
		{EventCounts: []EventCount{{Kind: sim.AckSent, Distinct: "colour"}}},
		{EventCounts: []EventCount{{Kind: sim.AckSent, Min: N(2), Max: N(1)}}},
		{EventCounts: []EventCount{{Kind: sim.AckSent, Match: EventMatch{Bytes: Between(5, 1)}}}},
		{Jobs: []JobExpect{{Resyncs: Between(3, 2)}}},
	} {
		if err := e.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", e)
		}
	}
}

// The vocabulary in YAML, as the README shows it.
func TestParseDeclarativeExpectations(t *testing.T) {
	doc := `
name: strict-overlap
farm: {nodes: 1, overlap: strict}
jobs: [{name: data.bin, size: 307200}]
expect:
  deliveries: 1
  event_counts:
    - {kind: ack.sent, match: {status: 416}, min: 1, why: strict overlap answers 416}
    - kind: packet.received
      except: {packet: Create-Session}
      distinct: node
      min: 1
      max: 1
    - {kind: client.request, match: {packet: Fragment, bytes: {min: 1, max: 5119}, final: false}, max: 0}
  jobs:
    - {job: data.bin, resyncs: {min: 1}}
`
	ss, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := Expect{Deliveries: N(1),
		EventCounts: []EventCount{
			{Kind: sim.AckSent, Match: EventMatch{Status: 416}, Min: N(1), Why: "strict overlap answers 416"},
			{Kind: sim.PacketReceived, Except: &EventMatch{Packet: "Create-Session"}, Distinct: "node", Min: N(1), Max: N(1)},
			{Kind: sim.ClientRequest, Match: EventMatch{Packet: "Fragment", Bytes: Between(1, 5119), Final: B(false)}, Max: N(0)},
		},
		Jobs: []JobExpect{{Job: "data.bin", Resyncs: AtLeast(1)}}}
	if diff := cmp.Diff(want, ss[0].Expect); diff != "" {
		t.Errorf("parsed expectations (-want +got):\n%s", diff)
	}
	if _, err := Parse([]byte("name: x\njobs: [{name: a, size: 1}]\nexpect: {event_counts: [{kind: ack.sent, distinct: colour}]}\n")); err == nil {
		t.Error("accepted distinct: colour")
	}
}

// Overlap counts a Fragment that starts before the offset its node last
// reported for the session (an Ack, a short-body rejection, a restore).
func TestEventMatchOverlap(t *testing.T) {
	frag := func(seq int64, node string, first, last int64) sim.Event {
		return sim.Event{Seq: seq, Kind: sim.PacketReceived, Node: node, Session: "{S}", Packet: "Fragment", First: first, Last: last, Total: 300}
	}
	evs := []sim.Event{
		frag(1, "node1", 0, 99),
		{Seq: 2, Kind: sim.AckSent, Node: "node1", Session: "{S}", Packet: "Fragment", Offset: 100},
		frag(3, "node1", 100, 199), // at the offset: no overlap
		{Seq: 4, Kind: sim.RequestRejected, Node: "node1", Session: "{S}", Packet: "Fragment", Offset: 150},
		frag(5, "node1", 100, 199), // overlaps the 50 bytes kept from the cut body
		frag(6, "node2", 0, 99),    // another node reported nothing for it
		{Seq: 7, Kind: sim.SessionRestored, Node: "node2", Session: "{S}", Offset: 200},
		frag(8, "node2", 150, 249), // overlaps what the restored session holds
	}
	for _, tc := range []struct {
		overlap bool
		want    int
	}{{true, 2}, {false, 3}} {
		c := EventCount{Kind: sim.PacketReceived, Match: EventMatch{Overlap: B(tc.overlap)}}
		if n, _ := c.Count(evs); n != tc.want {
			t.Errorf("overlap=%v: %d events, want %d", tc.overlap, n, tc.want)
		}
	}
	c := EventCount{Kind: sim.PacketReceived, Except: &EventMatch{Overlap: B(true)}}
	if n, _ := c.Count(evs); n != 3 {
		t.Errorf("except overlap: %d events, want 3", n)
	}
}
