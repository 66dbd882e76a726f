package proxy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/sim/memnet"
)

// memTrace sends size bytes in 4 KiB writes through a link with toxic t on
// an in-memory network, inside a bubble, and returns what the far end read
// and when.
func memTrace(t *testing.T, tox sim.Toxic, size int) (trace string) {
	synctest.Test(t, func(t *testing.T) {
		s := memnet.NewScheduler()
		s.Start()
		n := memnet.New(s)
		ctx := context.Background()
		ln, err := n.Listen(ctx, "tcp", "10.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		px := New(WithNetwork(n))
		l, err := px.Add("l", "10.0.0.2:80", "10.0.0.1:80")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.AddToxic(tox); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 64<<10)
			for {
				k, err := c.Read(buf)
				fmt.Fprintf(&b, "%s+%d ", time.Since(start), k)
				if err != nil {
					c.Close()
					return
				}
			}
		}()
		c, err := n.Named("w").DialContext(ctx, "tcp", l.Addr())
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, 4096)
		for sent := 0; sent < size; sent += len(chunk) {
			c.Write(chunk)
		}
		c.Close()
		<-done
		px.Close()
		ln.Close()
		s.Stop()
		trace = b.String()
	})
	return trace
}

func TestMemLinkSameTrace(t *testing.T) {
	for _, tox := range []sim.Toxic{
		{Type: "bandwidth", Stream: sim.Upstream, Attributes: map[string]any{"rate": 20_000}},
		{Type: "latency", Stream: sim.Upstream, Attributes: map[string]any{"latency": 5}},
		{Type: "slicer", Stream: sim.Upstream, Attributes: map[string]any{"average_size": 1000, "delay": 10}},
	} {
		first := memTrace(t, tox, 200<<10)
		for i := range 30 {
			if got := memTrace(t, tox, 200<<10); got != first {
				t.Fatalf("%s: run %d differs:\n%s\n---\n%s", tox.Type, i, got, first)
			}
		}
	}
}
