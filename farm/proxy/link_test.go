package proxy

import (
	"errors"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"

	"github.com/bitsim/bitsim/sim"
)

func TestDisableRefusesEnableRestores(t *testing.T) {
	checkNoLeaks(t)
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)
	addr := l.Addr()
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr() = %s, want the bound port", addr)
	}
	if _, err := get(c, addr, 1); err != nil {
		t.Fatal(err)
	}

	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if l.Enabled() {
		t.Error("Enabled() after Disable")
	}
	// The pooled connection was closed by the proxy; the new dial is refused.
	if _, err := get(c, addr, 1); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("disabled: err = %v, want ECONNREFUSED", err)
	}

	if err := l.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := l.Enable(); err != nil { // idempotent
		t.Fatal(err)
	}
	if got := l.Addr(); got != addr {
		t.Errorf("re-enabled on %s, want %s", got, addr)
	}
	if _, err := get(c, addr, 1); err != nil {
		t.Errorf("re-enabled: %v", err)
	}
	up.nextHit(t)
	up.nextHit(t)
	up.noHit(t)
}

func TestDisableFailsInFlightRequest(t *testing.T) {
	checkLeaksIgnoring(t) // toxiproxy may strand the chain's last stage
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	c := newClient(t)

	pr, pw := io.Pipe()
	result := make(chan error, 1)
	go func() {
		resp, err := c.Post("http://"+l.Addr()+"/slow", "application/octet-stream", pr)
		if err == nil {
			resp.Body.Close()
		}
		result <- err
	}()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		buf := make([]byte, 4096)
		for {
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
	}()

	select { // the upload is flowing
	case <-up.started:
	case err := <-result:
		t.Fatalf("upload ended before disable: %v", err)
	}
	if err := l.Disable(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err == nil {
		t.Error("in-flight upload succeeded across Disable")
	}
	if h := up.nextHit(t); h.err == nil {
		t.Errorf("server finished the body: %+v", h)
	}
	pw.CloseWithError(errors.New("test over"))
	<-writerDone
}

// newRecordedServer is a Server recording into a fresh history, with an
// upstream to point links at; it is closed when the test ends.
func newRecordedServer(t *testing.T) (*Server, *sim.History, *upstream) {
	checkNoLeaks(t)
	up := newUpstream(t)
	hist := sim.NewHistory()
	s := New(WithSink(hist))
	t.Cleanup(func() { s.Close() })
	return s, hist, up
}

func TestServerLinks(t *testing.T) {
	s, hist, up := newRecordedServer(t)

	for _, name := range []string{"node2", "node1", "node3"} {
		if _, err := s.Add(name, "", up.addr); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add("node1", "", up.addr); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := s.Add("", "", up.addr); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := s.Add("x", "", ""); err == nil {
		t.Error("empty upstream accepted")
	}
	var names []string
	for _, l := range s.Links() {
		names = append(names, l.Name())
	}
	if want := []string{"node1", "node2", "node3"}; !slices.Equal(names, want) {
		t.Errorf("Links() = %v, want %v", names, want)
	}

	l, ok := s.Link("node2")
	if !ok || l.Upstream() != up.addr {
		t.Fatalf("Link(node2) = %v, %v", l, ok)
	}
	addr := l.Addr()
	if err := s.Remove("node2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Link("node2"); ok {
		t.Error("removed link still found")
	}
	if err := s.Remove("node2"); err == nil || !strings.HasPrefix(err.Error(), "proxy: ") {
		t.Errorf("second remove: err = %v", err)
	}
	c := newClient(t)
	if _, err := get(c, addr, 1); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("removed link: err = %v, want ECONNREFUSED", err)
	}

	evs := hist.OfKind(sim.LinkChanged)
	if len(evs) != 4 || evs[3].Node != "node2" || evs[3].Link != sim.LinkRemoved {
		t.Errorf("events = %v", evs)
	}
}

func TestSetUpstream(t *testing.T) {
	checkNoLeaks(t)
	up1, up2 := newUpstream(t), newUpstream(t)
	_, l := newLink(t, up1.addr)
	c := newClient(t)
	if _, err := get(c, l.Addr(), 1); err != nil {
		t.Fatal(err)
	}
	up1.nextHit(t)
	addr := l.Addr()
	if err := l.SetUpstream(up2.addr); err != nil {
		t.Fatal(err)
	}
	if l.Upstream() != up2.addr || l.Addr() != addr || !l.Enabled() {
		t.Errorf("after SetUpstream: upstream %s addr %s enabled %v", l.Upstream(), l.Addr(), l.Enabled())
	}
	if _, err := get(c, l.Addr(), 1); err != nil {
		t.Fatal(err)
	}
	up2.nextHit(t)
	up1.noHit(t)
}

func TestToxicValidation(t *testing.T) {
	up := newUpstream(t)
	_, l := newLink(t, up.addr)
	for _, tc := range []struct {
		name  string
		toxic sim.Toxic
	}{
		{"unknown type", sim.Toxic{Type: "no_such_toxic"}},
		{"empty type", sim.Toxic{}},
		{"misspelt attribute", sim.Toxic{Type: "latency", Attributes: map[string]any{"latancy": 10}}},
		{"bad stream", sim.Toxic{Type: "latency", Stream: "sideways"}},
		{"toxicity above 1", sim.Toxic{Type: "latency", Toxicity: 1.5}},
		{"wrongly typed attribute", sim.Toxic{Type: "latency", Attributes: map[string]any{"latency": "slow"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := l.AddToxic(tc.toxic)
			if err == nil || !strings.HasPrefix(err.Error(), "proxy: ") {
				t.Errorf("AddToxic(%+v) = %v, want a proxy: error", tc.toxic, err)
			}
		})
	}
	if got := l.Toxics(); len(got) != 0 {
		t.Errorf("rejected toxics were installed: %+v", got)
	}
}

func TestToxicsRoundTrip(t *testing.T) {
	up := newUpstream(t)
	_, l := newLink(t, up.addr, WithRST())
	add := []sim.Toxic{
		{Type: "latency", Stream: sim.Upstream, Attributes: map[string]any{"latency": 5}},
		{Name: "ack", Type: "bits_drop_ack", Toxicity: 0.5, Attributes: map[string]any{"pattern": "x", "times": 2}},
	}
	for _, tx := range add {
		if err := l.AddToxic(tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AddToxic(add[0]); err == nil {
		t.Error("duplicate toxic accepted")
	}
	got := l.Toxics()
	if len(got) != 2 {
		t.Fatalf("Toxics() = %+v", got)
	}
	lat, ack := got[0], got[1]
	if lat.Name != "latency_upstream" || lat.Stream != sim.Upstream || lat.Toxicity != 1 || lat.Attributes["latency"] != 5.0 {
		t.Errorf("latency = %+v", lat)
	}
	if ack.Name != "ack" || ack.Stream != sim.Downstream || ack.Toxicity != 0.5 || ack.Attributes["pattern"] != "x" || ack.Attributes["times"] != 2.0 {
		t.Errorf("ack = %+v", ack)
	}

	if err := l.UpdateToxic(sim.Toxic{Name: "ack", Attributes: map[string]any{"times": 3}}); err != nil {
		t.Fatal(err)
	}
	if a := l.Toxics()[1]; a.Attributes["times"] != 3.0 || a.Attributes["pattern"] != "x" || a.Toxicity != 1 {
		t.Errorf("updated ack = %+v", a)
	}
	for _, bad := range []sim.Toxic{
		{Name: "ack", Type: "latency"},
		{Name: "ack", Stream: sim.Upstream},
		{Name: "nope", Type: "latency"},
		{Name: "ack", Attributes: map[string]any{"bogus": 1}},
	} {
		if err := l.UpdateToxic(bad); err == nil {
			t.Errorf("UpdateToxic(%+v) accepted", bad)
		}
	}
	if err := l.RemoveToxic("nope"); !errors.Is(err, toxiproxy.ErrToxicNotFound) {
		t.Errorf("RemoveToxic(nope) = %v", err)
	}

	l.ResetToxics()
	if got := l.Toxics(); len(got) != 0 {
		t.Errorf("after reset: %+v", got)
	}
}

// Attribute names are the JSON fields of every toxic type bitsim uses.
func TestAttributeNames(t *testing.T) {
	for typ, want := range map[string][]string{
		"latency":              {"jitter", "latency"},
		"bandwidth":            {"rate"},
		"slicer":               {"average_size", "delay", "size_variation"},
		"timeout":              {"timeout"},
		"reset_peer":           {"timeout"},
		"limit_data":           {"bytes"},
		"slow_close":           {"delay"},
		"bits_drop_ack":        {"hold", "pattern", "skip", "times"},
		"bits_cut_request":     {"body", "bytes", "pattern", "times"},
		"bits_limit_data_safe": {"bytes"},
		"bits_reset_safe":      {"timeout"},
	} {
		got, err := attributeNames(typ)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("attributeNames(%s) = %v, %v; want %v", typ, got, err, want)
		}
	}
}

func TestClosedServer(t *testing.T) {
	up := newUpstream(t)
	s := New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := s.Add("a", "", up.addr); err == nil {
		t.Error("Add after Close succeeded")
	}
	if _, err := s.ServeAPI(t.Context(), nil, "127.0.0.1:0"); err == nil {
		t.Error("ServeAPI after Close succeeded")
	}
}

// A bits_watch toxic's history event leaves out the process-wide
// registration id: the same run gives the same history wherever it comes
// in a process.
func TestWatchIDNotInHistory(t *testing.T) {
	s, hist, up := newRecordedServer(t)
	for _, name := range []string{"a", "b"} {
		l, err := s.Add(name, "", up.addr)
		if err != nil {
			t.Fatal(err)
		}
		id, unreg := Watch(func() {})
		defer unreg()
		if err := l.AddToxic(sim.Toxic{Name: "w", Type: "bits_watch", Attributes: map[string]any{"id": id, "bytes": 10}}); err != nil {
			t.Fatal(err)
		}
	}
	var details []string
	for _, e := range hist.Events() {
		if e.Link == sim.LinkToxicAdded {
			details = append(details, e.Detail)
		}
	}
	if len(details) != 2 || details[0] != details[1] || strings.Contains(details[0], `"id"`) || !strings.Contains(details[0], `"bytes":10`) {
		t.Errorf("watch toxics recorded as %q", details)
	}
}
