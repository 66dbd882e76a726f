package record

import (
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/sim"
)

func TestHistoryDigestNormalises(t *testing.T) {
	at := sim.Epoch.Add(time.Hour)
	a := []sim.Event{{Seq: 1, At: at, Wall: time.Now(), Kind: sim.ClientError, URL: "http://127.0.0.2:41234/upload/x",
		Err: "read tcp 127.0.0.1:5555->127.0.0.2:41234: read: connection reset by peer"}}
	b := []sim.Event{{Seq: 1, At: at, Wall: time.Now().Add(time.Minute), Kind: sim.ClientError, URL: "http://127.0.0.2:39999/upload/x",
		Err: "write tcp 127.0.0.1:6666->127.0.0.2:39999: write: connection reset by peer"}}
	da, db := HistoryDigest(a), HistoryDigest(b)
	if !strings.HasPrefix(da, "sha256:") || da != db {
		t.Fatalf("digests %s and %s should be equal", da, db)
	}
	c := append([]sim.Event(nil), a...)
	c[0].At = at.Add(time.Second)
	if HistoryDigest(c) == da {
		t.Fatal("protocol time must count")
	}
	c[0] = a[0]
	c[0].Err = "EOF"
	if HistoryDigest(c) == da {
		t.Fatal("error class must count")
	}
	if got := Canonical(a[0]); got.URL != "http://127.0.0.2:P/upload/x" || got.Err != "reset" || !got.Wall.IsZero() {
		t.Fatalf("canonical: %+v", got)
	}
}
