package sim

import "testing"

// TestExchanges pairs one history's calls and returns: an acknowledged
// Fragment (with the node that received it), an error Ack, a transport
// error (unknown), a request whose answer never came (unknown), an answer
// without its request, a notification answered, and a packet whose Ack
// was written.
func TestExchanges(t *testing.T) {
	const u = "http://127.0.0.2:80/up/x"
	evs := []Event{
		{Kind: ClientRequest, Job: "j", Packet: "Fragment", URL: u, First: 0, Last: 9, Total: 20}, // 0
		{Kind: PacketReceived, Node: "node1", Session: "s", Packet: "Fragment", URL: "/up/x"},     // 1
		{Kind: AckSent, Node: "node1", Session: "s", Packet: "Fragment", Status: 200},             // 2
		{Kind: ClientResponse, Job: "j", Packet: "Fragment", Status: 200, Offset: 10},             // 3
		{Kind: ClientRequest, Job: "j", Packet: "Fragment", URL: u, First: 10, Last: 19},          // 4
		{Kind: ClientResponse, Job: "j", Packet: "Fragment", Status: 500, Code: "0x1"},            // 5
		{Kind: ClientRequest, Job: "j", Packet: "Fragment", URL: u, First: 10, Last: 19},          // 6
		{Kind: ClientError, Job: "j", Packet: "Fragment", Err: "reset"},                           // 7
		{Kind: NotifySent, Node: "node1", Session: "s"},                                           // 8
		{Kind: NotifyAnswered, Node: "node1", Session: "s", Status: 200},                          // 9
		{Kind: ClientResponse, Job: "k", Packet: "Ping", Status: 200},                             // 10
		{Kind: ClientRequest, Job: "j", Packet: "Close-Session", URL: u},                          // 11
	}
	ops := Exchanges(evs)
	tests := []struct {
		name             string
		at               int
		kind             ExchangeKind
		call, ret, recvd int
		outcome          Outcome
	}{
		{"acked fragment knows its node", 0, ExchangeClient, 0, 3, 1, OutcomeOK},
		{"node's packet and its ack", 2, ExchangePacket, 1, 2, -1, OutcomeOK},
		{"error ack", 5, ExchangeClient, 4, 5, -1, OutcomeError},
		{"transport error is unknown", 6, ExchangeClient, 6, 7, -1, OutcomeUnknown},
		{"notification answered", 9, ExchangeNotify, 8, 9, -1, OutcomeOK},
		{"answer without request", 10, ExchangeClient, -1, 10, -1, OutcomeOK},
		{"lost reply is unknown", 11, ExchangeClient, 11, -1, -1, OutcomeUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := ops.At(tc.at)
			if x == nil {
				t.Fatal("no exchange")
			}
			if x.Kind != tc.kind || x.CallIdx != tc.call || x.ReturnIdx != tc.ret || x.ReceivedIdx != tc.recvd || x.Outcome != tc.outcome {
				t.Errorf("got %s call %d return %d received %d %s, want %s call %d return %d received %d %s",
					x.Kind, x.CallIdx, x.ReturnIdx, x.ReceivedIdx, x.Outcome, tc.kind, tc.call, tc.ret, tc.recvd, tc.outcome)
			}
		})
	}
	if got := len(ops.Of(ExchangeClient, "j")); got != 4 {
		t.Errorf("job j has %d client exchanges, want 4", got)
	}
}

// A packet a node was handling when it died stays unanswered: the Ack the
// restarted node writes to the retry belongs to the retry.
func TestExchangesAcrossACrash(t *testing.T) {
	evs := []Event{
		{Kind: PacketReceived, Node: "node1", Session: "s", Packet: "Fragment", URL: "/up/x"}, // 0
		{Kind: NodeCrashed, Node: "node1"},                                                    // 1
		{Kind: NodeStarted, Node: "node1"},                                                    // 2
		{Kind: PacketReceived, Node: "node1", Session: "s", Packet: "Fragment", URL: "/up/x"}, // 3
		{Kind: AckSent, Node: "node1", Session: "s", Packet: "Fragment", Status: 200},         // 4
	}
	ops := Exchanges(evs)
	if x := ops.At(0); x.Return != nil || x.Outcome != OutcomeUnknown {
		t.Errorf("the packet lost in the crash got %+v", x.Return)
	}
	if x := ops.At(3); x.ReturnIdx != 4 || x.Outcome != OutcomeOK {
		t.Errorf("the retry: return %d, %s", x.ReturnIdx, x.Outcome)
	}
}
