package faults

import "testing"

func TestParseSchedule(t *testing.T) {
	for _, doc := range []string{
		"- trigger: {event: ack.sent, packet: Fragment}\n  action: {kind: drop-sessions, node: node1}\n",
		"name: x\nfaults:\n  - trigger: {point: after-notify-sent}\n    action: {kind: kill}\n",
	} {
		if s, err := ParseSchedule([]byte(doc)); err != nil || len(s) != 1 {
			t.Errorf("%q: %v %v", doc, s, err)
		}
	}
	for _, doc := range []string{"", "name: x\n", "- action: {kind: explode}\n", "- trigger: {evnt: ack.sent}\n  action: {kind: kill, node: n}\n", "42\n"} {
		if _, err := ParseSchedule([]byte(doc)); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
}
