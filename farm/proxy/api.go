package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/gorilla/mux"

	"github.com/bitsim/bitsim/sim"
)

// apiShutdownGrace bounds how long Close waits for in-flight REST calls.
const apiShutdownGrace = 5 * time.Second

// router rebuilds toxiproxy's routes on a gorilla/mux router (its handlers
// read mux.Vars). ApiServer.Listen is never used: it blocks forever, cannot
// be stopped and exits the process when it cannot bind.
//
// The routes that start, stop or remove a link, or add a toxic, go through
// the Server's own handlers for links added with Add, which the Server runs
// itself (see ownLink): toxiproxy's handlers would start its own listener
// for them, or wait forever for an accept loop that never ran.
func (s *Server) router() *mux.Router {
	tp := s.tp
	r := mux.NewRouter()
	r.HandleFunc("/reset", s.apiReset).Methods(http.MethodPost).Name("ResetState")
	r.HandleFunc("/proxies", tp.ProxyIndex).Methods(http.MethodGet).Name("ProxyIndex")
	r.HandleFunc("/proxies", tp.ProxyCreate).Methods(http.MethodPost).Name("ProxyCreate")
	r.HandleFunc("/populate", s.apiPopulate).Methods(http.MethodPost).Name("Populate")
	r.HandleFunc("/proxies/{proxy}", tp.ProxyShow).Methods(http.MethodGet).Name("ProxyShow")
	r.HandleFunc("/proxies/{proxy}", s.apiProxyUpdate).Methods(http.MethodPost).Name("ProxyUpdate")
	r.HandleFunc("/proxies/{proxy}", s.apiProxyDelete).Methods(http.MethodDelete).Name("ProxyDelete")
	r.HandleFunc("/proxies/{proxy}/toxics", tp.ToxicIndex).Methods(http.MethodGet).Name("ToxicIndex")
	r.HandleFunc("/proxies/{proxy}/toxics", s.apiToxicCreate).Methods(http.MethodPost).Name("ToxicCreate")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicShow).Methods(http.MethodGet).Name("ToxicShow")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicUpdate).Methods(http.MethodPost).Name("ToxicUpdate")
	r.HandleFunc("/proxies/{proxy}/toxics/{toxic}", tp.ToxicDelete).Methods(http.MethodDelete).Name("ToxicDelete")
	r.HandleFunc("/version", tp.Version).Methods(http.MethodGet).Name("Version")
	return r
}

// ownNamed returns the link called name if the Server runs it itself.
func (s *Server) ownNamed(name string) (*toxiproxy.Proxy, *ownLink) {
	p, err := s.tp.Collection.Get(name)
	if err != nil {
		return nil, nil
	}
	if m := s.ownOf(p); m != nil {
		return p, m
	}
	return nil, nil
}

// apiError answers as toxiproxy's handlers do.
func apiError(w http.ResponseWriter, msg string, code int) {
	b, _ := json.Marshal(toxiproxy.ApiError{Message: msg, StatusCode: code})
	w.Header().Set("Content-Type", "application/json")
	http.Error(w, string(b), code)
}

// apiProxyUpdate is toxiproxy's ProxyUpdate (absent fields keep their
// values; a new listen or upstream address restarts the link).
func (s *Server) apiProxyUpdate(w http.ResponseWriter, r *http.Request) {
	p, m := s.ownNamed(mux.Vars(r)["proxy"])
	if m == nil {
		s.tp.ProxyUpdate(w, r)
		return
	}
	p.Lock()
	in := struct {
		Listen   string `json:"listen"`
		Upstream string `json:"upstream"`
		Enabled  bool   `json:"enabled"`
	}{p.Listen, p.Upstream, p.Enabled}
	p.Unlock()
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, toxiproxy.ErrBadRequestBody.Error()+": "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := m.update(in.Listen, in.Upstream, in.Enabled); err != nil {
		apiError(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.tp.ProxyShow(w, r)
}

// apiProxyDelete is toxiproxy's ProxyDelete.
func (s *Server) apiProxyDelete(w http.ResponseWriter, r *http.Request) {
	if _, m := s.ownNamed(mux.Vars(r)["proxy"]); m == nil {
		s.tp.ProxyDelete(w, r)
		return
	}
	if _, err := s.remove(mux.Vars(r)["proxy"]); err != nil {
		apiError(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiReset is toxiproxy's ResetState: every link is enabled and loses its
// toxics.
func (s *Server) apiReset(w http.ResponseWriter, r *http.Request) {
	for _, p := range s.tp.Collection.Proxies() {
		var err error
		if m := s.ownOf(p); m != nil {
			err = m.start()
		} else {
			err = p.Start()
		}
		if err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
			apiError(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p.Toxics.ResetToxics(r.Context())
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiPopulate is toxiproxy's Populate. A link the Server runs whose listen
// or upstream address the input changes is removed first; toxiproxy then
// creates the new one (run by toxiproxy, as REST-created links are).
func (s *Server) apiPopulate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, toxiproxy.ErrBadRequestBody.Error()+": "+err.Error(), http.StatusBadRequest)
		return
	}
	var in []struct {
		Name     string `json:"name"`
		Listen   string `json:"listen"`
		Upstream string `json:"upstream"`
	}
	if json.Unmarshal(body, &in) == nil {
		for _, x := range in {
			p, m := s.ownNamed(x.Name)
			if m == nil || x.Upstream == "" {
				continue
			}
			p.Lock()
			same := p.Listen == x.Listen && p.Upstream == x.Upstream
			p.Unlock()
			if !same {
				if _, err := s.remove(x.Name); err != nil {
					apiError(w, err.Error(), http.StatusInternalServerError)
					return
				}
			}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.tp.Populate(w, r)
}

// apiToxicCreate is toxiproxy's ToxicCreate; on a link the Server runs,
// reset_peer and limit_data become bits_reset_safe and
// bits_limit_data_safe, as with Link.AddToxic (the default name stays the
// requested type's).
func (s *Server) apiToxicCreate(w http.ResponseWriter, r *http.Request) {
	if _, m := s.ownNamed(mux.Vars(r)["proxy"]); m != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			apiError(w, toxiproxy.ErrBadRequestBody.Error()+": "+err.Error(), http.StatusBadRequest)
			return
		}
		var in struct {
			Name   string `json:"name"`
			Type   string `json:"type"`
			Stream string `json:"stream"`
		}
		var all map[string]json.RawMessage
		if json.Unmarshal(body, &in) == nil && json.Unmarshal(body, &all) == nil {
			if in.Name == "" {
				in.Name = sim.Toxic{Type: in.Type, Stream: sim.Direction(in.Stream)}.Key()
			}
			m.adding(in.Name, in.Type)
		}
		if all != nil && memType(in.Type) != in.Type {
			all["name"], _ = json.Marshal(in.Name)
			all["type"], _ = json.Marshal(memType(in.Type))
			if b, err := json.Marshal(all); err == nil {
				body = b
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.tp.ToxicCreate(w, r)
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
