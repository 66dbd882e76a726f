package memnet

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConnBasics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		s.Start()
		defer s.Stop()
		n := New(s)
		ctx := context.Background()
		if _, err := n.Named("c").DialContext(ctx, "tcp", "127.0.0.1:1"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial nowhere: %v", err)
		}
		ln, err := n.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Listen(ctx, "tcp", ln.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("listen twice: %v", err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			b, err := io.ReadAll(c)
			if err != nil || string(b) != "hello world" {
				t.Errorf("server read %q, %v", b, err)
			}
			c.Write([]byte("bye"))
			c.Close()
		}()
		c, err := n.Named("c").DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("hello "))
		c.Write([]byte("world"))
		c.Close()
		<-done
		ln.Close()
	})
}

func TestResetAndDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		s.Start()
		defer s.Stop()
		n := New(s)
		ln, _ := n.Listen(context.Background(), "tcp", "h:1")
		defer ln.Close()
		go func() {
			c, _ := ln.Accept()
			c.(*Conn).SetLinger(0)
			c.Close()
		}()
		c, _ := n.DialContext(context.Background(), "tcp", "h:1")
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read after reset: %v", err)
		}
		c.Close()

		release := make(chan struct{})
		defer close(release)
		go func() {
			c, _ := ln.Accept()
			<-release
			c.Close()
		}()
		c, _ = n.DialContext(context.Background(), "tcp", "h:1")
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != time.Minute {
			t.Fatalf("deadline: %v after %s", err, time.Since(start))
		}
		c.Close()
	})
}

// farmLog runs clients through a round-robin "balancer" to three HTTP
// servers, one down for a while, retrying on errors; it returns the log.
func farmLog(t *testing.T) (log string) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		s.Start()
		n := New(s)
		clock := sim.NewBubble(s, time.Time{})
		var mu sync.Mutex
		var lines []string
		logf := func(format string, a ...any) {
			mu.Lock()
			lines = append(lines, clock.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, a...))
			mu.Unlock()
		}
		var servers []*http.Server
		var addrs []string
		for i := range 3 {
			ln, err := n.Listen(context.Background(), "tcp", fmt.Sprintf("10.0.0.%d:80", i+1))
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				logf("server%d got %s", i+1, b)
				fmt.Fprintf(w, "server%d", i+1)
			})}
			servers = append(servers, srv)
			addrs = append(addrs, ln.Addr().String())
			go srv.Serve(ln)
		}
		// A round-robin balancer: accept, pick the next backend, splice.
		bln, _ := n.Listen(context.Background(), "tcp", "lb:80")
		var bwg sync.WaitGroup
		bwg.Add(1)
		go func() {
			defer bwg.Done()
			next := 0
			bn := n.Named("lb")
			for {
				c, err := bln.Accept()
				if err != nil {
					return
				}
				b := addrs[next%3]
				next++
				up, err := bn.DialContext(context.Background(), "tcp", b)
				if err != nil {
					c.Close()
					continue
				}
				bwg.Add(2)
				go func() { defer bwg.Done(); io.Copy(up, c); up.Close() }()
				go func() { defer bwg.Done(); io.Copy(c, up); c.Close() }()
			}
		}()
		servers[1].Close() // node2 down ...
		var wg sync.WaitGroup
		var trs []*http.Transport
		for i := range 8 {
			tr := &http.Transport{DialContext: n.Named(fmt.Sprintf("client%d", i)).DialContext, DisableKeepAlives: true}
			trs = append(trs, tr)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < 3; r++ {
					for {
						resp, err := (&http.Client{Transport: tr}).Post("http://lb/", "text/plain", strings.NewReader(fmt.Sprintf("c%d-r%d", i, r)))
						if err == nil {
							b, _ := io.ReadAll(resp.Body)
							resp.Body.Close()
							logf("client%d r%d → %s", i, r, b)
							break
						}
						logf("client%d r%d error", i, r)
						clock.Sleep(context.Background(), 10*time.Minute)
					}
				}
			}()
		}
		wg.Wait()
		for _, tr := range trs {
			tr.CloseIdleConnections()
		}
		for _, srv := range servers {
			srv.Close()
		}
		bln.Close()
		bwg.Wait()
		s.Stop()
		log = strings.Join(lines, "\n")
	})
	return log
}

func TestSameRunEveryTime(t *testing.T) {
	first := farmLog(t)
	if !strings.Contains(first, "error") || !strings.Contains(first, "00:10:00") {
		t.Fatalf("the farm never failed over:\n%s", first)
	}
	runs := 20
	if testing.Short() {
		runs = 3
	}
	for i := range runs {
		if got := farmLog(t); got != first {
			t.Fatalf("run %d differs (sha %x vs %x):\n%s\n---\n%s", i, sha256.Sum256([]byte(got)), sha256.Sum256([]byte(first)), got, first)
		}
	}
}
