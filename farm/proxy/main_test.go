package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines, ignoring only the documented
// toxiproxy leaks of limit_data and reset_peer (LeakyTopFunctions).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakIgnores()...)
}

func leakIgnores() []goleak.Option {
	var opts []goleak.Option
	for _, fn := range LeakyTopFunctions() {
		opts = append(opts, goleak.IgnoreTopFunction(fn))
	}
	return opts
}

// checkNoLeaks verifies, after every cleanup registered later has run,
// that the test left no goroutine behind, with no ignores at all. Call it
// first in the test.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	snap := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, snap) })
}

// --- HTTP upstream ------------------------------------------------------

// hit is what the test upstream saw of one request.
type hit struct {
	path   string
	packet string // BITS-Packet-Type request header
	n      int64  // body bytes read
	err    error  // body read error
}

// upstream is a tiny net/http server standing in for a farm node.
//
//	POST /sink    reads the body; answers an Ack whose
//	              BITS-Received-Content-Range is the X-Range-End request
//	              header (or the body size).
//	GET  /blob?n= answers n bytes.
//	POST /slow    like /sink, but signals started after the first byte.
type upstream struct {
	addr    string
	hits    chan hit      // one per completed handler
	started chan struct{} // /slow got its first byte
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{hits: make(chan hit, 64), started: make(chan struct{}, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sink", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		u.hits <- hit{path: r.URL.Path, packet: r.Header.Get("BITS-Packet-Type"), n: n, err: err}
		if err != nil {
			return
		}
		end := r.Header.Get("X-Range-End")
		if end == "" {
			end = strconv.FormatInt(n, 10)
		}
		w.Header()["BITS-Packet-Type"] = []string{"Ack"} // exact case on the wire
		w.Header()["BITS-Received-Content-Range"] = []string{end}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /blob", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		u.hits <- hit{path: r.URL.Path}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = w.Write(bytes.Repeat([]byte{'b'}, n))
	})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		var one [1]byte
		n, err := io.ReadFull(r.Body, one[:])
		if err == nil {
			u.started <- struct{}{}
			var m int64
			m, err = io.Copy(io.Discard, r.Body)
			n += int(m)
		}
		u.hits <- hit{path: r.URL.Path, n: int64(n), err: err}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u.addr = srv.Listener.Addr().String()
	return u
}

// nextHit waits for the upstream to finish a request.
func (u *upstream) nextHit(t *testing.T) hit {
	t.Helper()
	select {
	case h := <-u.hits:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("upstream: no request arrived")
		return hit{}
	}
}

// noHit checks that the upstream finished no request so far.
func (u *upstream) noHit(t *testing.T) {
	t.Helper()
	select {
	case h := <-u.hits:
		t.Fatalf("upstream: unexpected request %+v", h)
	default:
	}
}

// --- proxy and client ---------------------------------------------------

// newLink starts a Server with one link "web" in front of up. The server
// is closed at cleanup, before the upstream.
func newLink(t *testing.T, up string, opts ...Option) (*Server, *Link) {
	t.Helper()
	s := New()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	l, err := s.Add("web", "", up, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

// newClient returns a client with its own keep-alive transport, whose
// idle connections are closed at cleanup, before the proxy.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// post sends a BITS-like request to /sink through addr.
func post(c *http.Client, addr, packet, rangeEnd string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/sink", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if packet != "" {
		req.Header.Set("BITS-Packet-Type", packet)
	}
	if rangeEnd != "" {
		req.Header.Set("X-Range-End", rangeEnd)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, err
}

// get fetches n bytes from /blob through addr and returns the body size.
func get(c *http.Client, addr string, n int) (int, error) {
	resp, err := c.Get("http://" + addr + "/blob?n=" + strconv.Itoa(n))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// --- raw TCP upstream ---------------------------------------------------

// rawConn is what a raw upstream saw of one connection.
type rawConn struct {
	n      int64     // bytes read until EOF or error
	eof    time.Time // when the read ended
	closed time.Time // when the upstream closed its side (source mode)
}

// newRawUpstream accepts TCP connections; on each it writes write bytes
// and closes (if write > 0), or reads until EOF and closes (if write == 0),
// then reports. Its goroutines end at cleanup.
func newRawUpstream(t *testing.T, write int) (string, <-chan rawConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan rawConn, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				var r rawConn
				if write > 0 {
					_, _ = c.Write(bytes.Repeat([]byte{'r'}, write))
					r.closed = time.Now()
					c.Close()
				} else {
					r.n, _ = io.Copy(io.Discard, c)
					r.eof = time.Now()
				}
				out <- r
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), out
}

func nextRaw(t *testing.T, c <-chan rawConn) rawConn {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("raw upstream: no connection ended")
		return rawConn{}
	}
}

// dial opens a raw connection to addr, closed at cleanup.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// writeAll writes n bytes to c in a goroutine (writes fail once the proxy
// cuts the connection) and returns a channel closed when it is done.
func writeAll(c net.Conn, n int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.Write(bytes.Repeat([]byte{'w'}, n))
	}()
	return done
}

// connCounter counts the connections a transport dials.
type connCounter struct{ n atomic.Int64 }

func (c *connCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c.n.Add(1)
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// checkLeaksIgnoring is checkNoLeaks with the documented ignores.
func checkLeaksIgnoring(t *testing.T) {
	t.Helper()
	snap := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, append(leakIgnores(), snap)...) })
}
