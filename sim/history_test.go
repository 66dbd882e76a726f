package sim

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHistoryJSONRoundTrip(t *testing.T) {
	h := NewHistory()
	at := Epoch.Add(time.Hour)
	h.Record(Event{At: at, Wall: at, Kind: PacketReceived, Source: "node1", Node: "node1", Session: "{S}", Packet: "Fragment", First: 0, Last: 99, Total: 200})
	h.Record(Event{At: at, Wall: at, Kind: AppDelivery, Source: "app", Txn: "t-1", Bytes: 200, Duration: time.Second})
	var buf bytes.Buffer
	if err := h.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h.Events(), back.Events()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got := back.OfKind(AppDelivery); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("OfKind = %+v", got)
	}
}

func TestHistoryNotify(t *testing.T) {
	h := NewHistory()
	c, stop := h.Notify()
	defer stop()
	h.Record(Event{Kind: NodeStarted})
	<-c
	if h.Len() != 1 {
		t.Fatal(h.Len())
	}
}

func TestRandIsSeeded(t *testing.T) {
	a, b := NewRand(42), NewRand(42)
	for i := 0; i < 100; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed, different streams")
		}
	}
	x, y := Seed(42).Fork("lb"), Seed(42).Fork("faults")
	if x.Uint64() == y.Uint64() {
		t.Error("forks with different names should differ")
	}
	buf1, buf2 := make([]byte, 13), make([]byte, 13)
	Seed(7).Fork("p").Read(buf1)
	Seed(7).Fork("p").Read(buf2)
	if !bytes.Equal(buf1, buf2) {
		t.Error("Read not deterministic")
	}
}
