package balancer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

// echoNodes starts n TCP servers that answer every connection with their
// index and close.
func echoNodes(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // runs after the listeners are closed (cleanups are LIFO)
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				br := bufio.NewReader(c)
				br.ReadString('\n') // wait for the client's request line
				fmt.Fprintf(c, "%d\n", i)
				c.Close()
			}
		}(i)
		t.Cleanup(func() { ln.Close() })
	}
	return addrs
}

func route(t *testing.T, b *Balancer, hdr string) string {
	t.Helper()
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\n%s\r\n\n", hdr)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func newTestBalancer(t *testing.T, p Policy, addrs []string, failover bool) *Balancer {
	t.Helper()
	b := New(Config{Policy: p, Backends: addrs, Rand: sim.NewRand(1), Failover: failover})
	if err := b.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBalancerPolicies(t *testing.T) {
	addrs := echoNodes(t, 3)
	t.Run("round-robin", func(t *testing.T) {
		b := newTestBalancer(t, Policy{Kind: RoundRobin}, addrs, true)
		var got []string
		for i := 0; i < 6; i++ {
			got = append(got, route(t, b, ""))
		}
		if strings.Join(got, "") != "012012" {
			t.Errorf("order %v", got)
		}
	})
	t.Run("pin with failover", func(t *testing.T) {
		b := newTestBalancer(t, Policy{Kind: Pin, Node: 2}, addrs, true)
		if got := route(t, b, ""); got != "1" {
			t.Errorf("pin:2 went to node index %s", got)
		}
		b.SetDown(1, true)
		if got := route(t, b, ""); got != "2" {
			t.Errorf("pin:2 with node2 down went to %s, want the next node", got)
		}
	})
	t.Run("sticky on the client header", func(t *testing.T) {
		b := newTestBalancer(t, Policy{Kind: Sticky}, addrs, true)
		seen := map[string]string{}
		for i := 0; i < 3; i++ {
			for _, id := range []string{"job-a", "job-b", "job-c", "job-d"} {
				got := route(t, b, StickyHeader+": "+id+"\r\n")
				if prev, ok := seen[id]; ok && prev != got {
					t.Errorf("%s moved from %s to %s", id, prev, got)
				}
				seen[id] = got
			}
		}
	})
	t.Run("random is seeded", func(t *testing.T) {
		run := func() string {
			b := newTestBalancer(t, Policy{Kind: Random}, addrs, true)
			var s string
			for i := 0; i < 10; i++ {
				s += route(t, b, "")
			}
			return s
		}
		if a, b := run(), run(); a != b {
			t.Errorf("same seed, different routes: %s vs %s", a, b)
		}
	})
	t.Run("no node up closes the connection", func(t *testing.T) {
		b := newTestBalancer(t, Policy{Kind: RoundRobin}, addrs, true)
		for i := range addrs {
			b.SetDown(i, true)
		}
		if got := route(t, b, ""); got != "" {
			t.Errorf("got %q from a farm with every node down", got)
		}
	})
}

func TestPeekHeaderDoesNotConsume(t *testing.T) {
	req := "BITS_POST /upload/a HTTP/1.1\r\nHost: x\r\nx-bitsim-client: job-7\r\n\r\nbody"
	br := bufio.NewReaderSize(strings.NewReader(req), 128)
	if got := peekHeader(br, StickyHeader); got != "job-7" {
		t.Errorf("peekHeader = %q", got)
	}
	all, _ := io.ReadAll(br)
	if string(all) != req {
		t.Errorf("consumed: %q", all)
	}
	if got := peekHeader(bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 100)), 16), StickyHeader); got != "" {
		t.Errorf("oversized header block: %q", got)
	}
}
