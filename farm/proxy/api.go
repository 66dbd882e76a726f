package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/bitsim/bitsim/sim"
)

// apiShutdownGrace bounds how long Close waits for in-flight REST calls.
const apiShutdownGrace = 5 * time.Second

// router rebuilds toxiproxy's routes on a gorilla/mux router (its handlers
// read mux.Vars). ApiServer.Listen is never used: it blocks forever, cannot
// be stopped and exits the process when it cannot bind.
func (s *Server) router() *mux.Router {
	tp := s.tp
	r := mux.NewRouter()
	r.HandleFunc("/reset", tp.ResetState).Methods(http.MethodPost).Name("ResetState")
	r.HandleFunc("/proxies", tp.ProxyIndex).Methods(http.MethodGet).Name("ProxyIndex")
	r.HandleFunc("/proxies", tp.ProxyCreate).Methods(http.MethodPost).Name("ProxyCreate")
	r.HandleFunc("/populate", tp.Populate).Methods(http.MethodPost).Name("Populate")
	r.HandleFunc("/proxies/{proxy}", tp.ProxyShow).Methods(http.MethodGet).Name("ProxyShow")
	r.HandleFunc("/proxies/{proxy}", tp.ProxyUpdate).Methods(http.MethodPost).Name("ProxyUpdate")
	r.HandleFunc("/proxies/{proxy}", tp.ProxyDelete).Methods(http.MethodDelete).Name("ProxyDelete")
	r.HandleFunc("/proxies/{proxy}/toxics", tp.ToxicIndex).Methods(http.MethodGet).Name("ToxicIndex")
	r.HandleFunc("/proxies/{proxy}/toxics", tp.ToxicCreate).Methods(http.MethodPost).Name("ToxicCreate")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicShow).Methods(http.MethodGet).Name("ToxicShow")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicUpdate).Methods(http.MethodPost).Name("ToxicUpdate")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicDelete).Methods(http.MethodDelete).Name("ToxicDelete")
	r.HandleFunc("/version", tp.Version).Methods(http.MethodGet).Name("Version")
	return r
}

// ServeAPI serves APIHandler on addr (e.g. "127.0.0.1:0"), listening through
// n (sim.TCP if nil), and returns the bound address, suitable for
// toxiproxy's client.NewClient and the CLI's -host flag. The API runs until
// Close is called or ctx is done; ctx also bounds the listen call. A Server
// serves at most one API.
func (s *Server) ServeAPI(ctx context.Context, n sim.Network, addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("proxy: serve api: server closed")
	}
	if s.api != nil {
		return "", errors.New("proxy: serve api: already serving on " + s.api.addr)
	}
	ln, err := sim.OrTCP(n).Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("proxy: serve api: %w", err)
	}
	a := &apiServer{
		addr: ln.Addr().String(),
		srv: &http.Server{
			Handler:           s.router(),
			ReadHeaderTimeout: 10 * time.Second,
		},
		done: make(chan struct{}),
	}
	go a.serve(ln)
	a.stopCtx = context.AfterFunc(ctx, func() { _ = a.shutdown() })
	s.api = a
	return a.addr, nil
}

// apiServer owns the REST API's http.Server and its Serve goroutine.
type apiServer struct {
	addr    string
	srv     *http.Server
	done    chan struct{} // closed when Serve returned
	stopCtx func() bool   // unregisters the ctx hook; set before publication

	once sync.Once
	err  error
}

func (a *apiServer) serve(ln net.Listener) {
	defer close(a.done)
	if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.err = err // read only after <-done
	}
}

// shutdown stops the API, letting in-flight calls finish for a grace period,
// and waits for the Serve goroutine. It is idempotent.
func (a *apiServer) shutdown() error {
	a.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), apiShutdownGrace)
		defer cancel()
		err := a.srv.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, a.srv.Close())
		}
		<-a.done
		a.err = errors.Join(err, a.err)
	})
	return a.err
}
