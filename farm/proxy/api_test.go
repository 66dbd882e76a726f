package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/bitsim/bitsim/sim"
)

// The toxiproxy client package drives a Server through ServeAPI.
func TestRESTAPIWithToxiproxyClient(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	s, l := newLink(t, up.addr)
	// The client package uses http.DefaultClient: close its idle
	// connections before the API server shuts down.
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	apiAddr, err := s.ServeAPI(t.Context(), sim.TCP{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ServeAPI(t.Context(), sim.TCP{}, "127.0.0.1:0"); err == nil {
		t.Error("second ServeAPI succeeded")
	}
	cl := toxiclient.NewClient(apiAddr)
	c := newClient(t)

	// Version.
	resp, err := http.Get("http://" + apiAddr + "/version")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(v) == 0 {
		t.Errorf("/version: %d %q", resp.StatusCode, v)
	}

	// List: the link added through Go is there.
	proxies, err := cl.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	px, ok := proxies["web"]
	if !ok || px.Listen != l.Addr() || px.Upstream != up.addr || !px.Enabled {
		t.Fatalf("proxies = %+v", proxies)
	}

	// Disable and enable.
	if err := px.Disable(); err != nil {
		t.Fatal(err)
	}
	if l.Enabled() {
		t.Error("link enabled after REST disable")
	}
	if _, err := get(c, l.Addr(), 1); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("disabled: err = %v, want ECONNREFUSED", err)
	}
	if err := px.Enable(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(c, l.Addr(), 1); err != nil {
		t.Errorf("enabled: %v", err)
	}
	up.nextHit(t)

	// Toxics, built-in and bitsim's, show on the Link.
	if _, err := px.AddToxic("lat", "latency", "upstream", 1, toxiclient.Attributes{"latency": 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := px.AddToxic("", "bits_drop_ack", "downstream", 1, toxiclient.Attributes{"times": 1}); err != nil {
		t.Fatal(err)
	}
	if got := l.Toxics(); len(got) != 2 || got[0].Name != "lat" || got[1].Name != "bits_drop_ack_downstream" {
		t.Errorf("Toxics() = %+v", got)
	}
	if _, err := post(c, l.Addr(), "", "", []byte("x")); err == nil {
		t.Error("Ack not dropped")
	}
	up.nextHit(t)
	if _, err := px.UpdateToxic("lat", -1, toxiclient.Attributes{"latency": 2}); err != nil {
		t.Fatal(err)
	}
	if got := l.Toxics(); got[0].Attributes["latency"] != 2.0 {
		t.Errorf("updated: %+v", got[0])
	}
	if err := px.RemoveToxic("lat"); err != nil {
		t.Fatal(err)
	}
	if err := px.RemoveToxic("bits_drop_ack_downstream"); err != nil {
		t.Fatal(err)
	}
	if got := l.Toxics(); len(got) != 0 {
		t.Errorf("after removal: %+v", got)
	}
	toxics, err := px.Toxics()
	if err != nil || len(toxics) != 0 {
		t.Errorf("client Toxics() = %v, %v", toxics, err)
	}

	// A proxy created over REST is a Link.
	created, err := cl.CreateProxy("rest", "127.0.0.1:0", up.addr)
	if err != nil {
		t.Fatal(err)
	}
	rl, ok := s.Link("rest")
	if !ok || rl.Addr() != created.Listen {
		t.Fatalf("Link(rest) = %v, %v; created %+v", rl, ok, created)
	}
	if _, err := get(c, rl.Addr(), 1); err != nil {
		t.Errorf("through REST-created link: %v", err)
	}
	up.nextHit(t)

	// Populate and reset.
	if _, err := cl.Populate([]toxiclient.Proxy{{Name: "pop", Listen: "127.0.0.1:0", Upstream: up.addr, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if err := px.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ResetState(); err != nil {
		t.Fatal(err)
	}
	if !l.Enabled() {
		t.Error("reset did not re-enable the link")
	}
	if n := len(s.Links()); n != 3 {
		t.Errorf("%d links, want 3", n)
	}
	if err := created.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Link("rest"); ok {
		t.Error("deleted link still present")
	}
	if _, err := cl.Proxy("rest"); err == nil {
		t.Error("client still finds the deleted proxy")
	}
}

// Cancelling ServeAPI's context stops the API; Close still works after.
func TestServeAPIStopsWithContext(t *testing.T) {
	checkNoLeaks(t)
	s := New()
	ctx, cancel := context.WithCancel(t.Context())
	addr, err := s.ServeAPI(ctx, nil, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	resp, err := c.Get("http://" + addr + "/proxies")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
	cancel()
	// Close waits for the shutdown the cancellation started.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("http://" + addr + "/proxies"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after cancel: err = %v, want ECONNREFUSED", err)
	}
}

// REST calls on a link added with Add (run by the Server itself, not by
// toxiproxy): reset_peer keeps its name and its RST, a new upstream takes
// effect, populate with other addresses replaces the link, delete removes
// it, and no goroutine is left behind.
func TestRESTOnOwnLink(t *testing.T) {
	checkNoLeaks(t)
	up, up2 := newUpstream(t), newUpstream(t)
	s, l := newLink(t, up.addr)
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	apiAddr, err := s.ServeAPI(t.Context(), sim.TCP{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := toxiclient.NewClient(apiAddr)
	px, err := cl.Proxy("web")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t)

	tx, err := px.AddToxic("", "reset_peer", "downstream", 1, toxiclient.Attributes{"timeout": 0})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Name != "reset_peer_downstream" || tx.Type != "bits_reset_safe" {
		t.Errorf("created %+v", tx)
	}
	if _, err := post(c, l.Addr(), "", "", []byte("hello")); !isReset(err) {
		t.Errorf("through reset_peer: err = %v, want ECONNRESET", err)
	}
	up.nextHit(t)
	if err := px.RemoveToxic("reset_peer_downstream"); err != nil {
		t.Fatal(err)
	}

	px.Upstream = up2.addr
	if err := px.Save(); err != nil {
		t.Fatal(err)
	}
	if l.Upstream() != up2.addr || !l.Enabled() {
		t.Errorf("after update: upstream %s, enabled %v", l.Upstream(), l.Enabled())
	}
	if _, err := get(c, l.Addr(), 1); err != nil {
		t.Errorf("after update: %v", err)
	}
	up2.nextHit(t)

	if _, err := cl.Populate([]toxiclient.Proxy{{Name: "web", Listen: "127.0.0.1:0", Upstream: up.addr, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	nl, ok := s.Link("web")
	if !ok || nl.Upstream() != up.addr || !nl.Enabled() {
		t.Fatalf("after populate: %v %v", nl, ok)
	}
	if err := px.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Link("web"); ok {
		t.Error("deleted link still present")
	}
}
