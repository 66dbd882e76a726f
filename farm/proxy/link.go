package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"maps"
	"slices"
	"strings"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/bitsim/bitsim/sim"
)

// Link is one named TCP proxy of a Server: it accepts clients on Addr and
// forwards each connection to Upstream through two toxic chains, one per
// direction (see the package documentation).
//
// A Link is a handle on toxiproxy's proxy of that name: handles returned by
// different calls for the same link are interchangeable, and a handle on a
// removed link keeps working on the detached proxy without affecting the
// Server. Methods are safe for concurrent use, but concurrent Enable,
// Disable and SetUpstream calls on one link race with each other's outcome.
type Link struct {
	s *Server
	p *toxiproxy.Proxy
}

// Name returns the link's name.
func (l *Link) Name() string { return l.p.Name }

// Addr returns the address the link listens on. After an Add with port 0
// it is the bound address; Enable rebinds the same one.
func (l *Link) Addr() string {
	l.p.Lock()
	defer l.p.Unlock()
	return l.p.Listen
}

// Upstream returns the address connections are forwarded to.
func (l *Link) Upstream() string {
	l.p.Lock()
	defer l.p.Unlock()
	return l.p.Upstream
}

// Enabled reports whether the link is listening.
func (l *Link) Enabled() bool {
	if m := l.s.ownOf(l.p); m != nil {
		return m.enabled()
	}
	l.p.Lock()
	defer l.p.Unlock()
	return l.p.Enabled
}

// SetUpstream points the link at addr. Toxiproxy restarts the link to do
// so: every live connection is closed, and the listener is rebound on the
// same address if the link was enabled.
func (l *Link) SetUpstream(addr string) error {
	if addr == "" {
		return fmt.Errorf("proxy: %s: set upstream: empty address", l.Name())
	}
	if m := l.s.ownOf(l.p); m != nil {
		m.mu.Lock()
		m.upstream = addr
		m.mu.Unlock()
		l.p.Lock()
		l.p.Upstream = addr
		l.p.Unlock()
		if m.enabled() {
			m.stop()
			if err := m.start(); err != nil {
				return fmt.Errorf("proxy: %s: set upstream %s: %w", l.Name(), addr, err)
			}
		}
		l.emit(sim.Event{Link: sim.LinkUpstream, Upstream: addr, Detail: "upstream=" + addr})
		return nil
	}
	l.p.Lock()
	in := toxiproxy.Proxy{Listen: l.p.Listen, Upstream: addr, Enabled: l.p.Enabled}
	l.p.Unlock()
	if err := l.p.Update(&in); err != nil {
		return fmt.Errorf("proxy: %s: set upstream %s: %w", l.Name(), addr, err)
	}
	l.emit(sim.Event{Link: sim.LinkUpstream, Upstream: addr, Detail: "upstream=" + addr})
	return nil
}

// Disable closes the link's listener and every live connection: new dials
// are refused (ECONNREFUSED) and in-flight exchanges fail on both sides.
// Toxics stay configured. Disabling a disabled link does nothing.
func (l *Link) Disable() error {
	if m := l.s.ownOf(l.p); m != nil {
		m.stop()
	} else {
		l.p.Stop()
	}
	l.emit(sim.Event{Link: sim.LinkDisabled, Detail: "disabled"})
	return nil
}

// Enable starts listening again on Addr. It fails if another socket took
// the port meanwhile. Enabling an enabled link does nothing.
func (l *Link) Enable() error {
	var err error
	if m := l.s.ownOf(l.p); m != nil {
		err = m.start()
	} else {
		err = l.p.Start()
	}
	if err != nil && !errors.Is(err, toxiproxy.ErrProxyAlreadyStarted) {
		return fmt.Errorf("proxy: %s: enable: %w", l.Name(), err)
	}
	l.emit(sim.Event{Link: sim.LinkEnabled, Detail: "enabled"})
	return nil
}

// AddToxic appends t to the toxic chain of its direction (downstream if
// t.Stream is empty), named t.Key(). It applies to live connections too.
// A toxicity of 0 means 1 (always). Attribute names are checked against the
// toxic type, so a misspelt attribute is an error rather than a silent
// zero value.
func (l *Link) AddToxic(t sim.Toxic) error {
	dir, tox, err := checkToxic(t)
	if err != nil {
		return fmt.Errorf("proxy: %s: add toxic %s: %w", l.Name(), t.Key(), err)
	}
	typ, attrs := t.Type, attrsOrEmpty(t.Attributes)
	if m := l.s.ownOf(l.p); m != nil {
		m.adding(t.Key(), typ)
		typ = memType(typ)
	}
	if mutant.On("toxics-builtin-noop") && !strings.HasPrefix(t.Type, "bits_") {
		typ, attrs = "noop", map[string]any{}
	}
	body, err := json.Marshal(toxicJSON{
		Name: t.Key(), Type: typ, Stream: string(dir), Toxicity: &tox, Attributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("proxy: %s: add toxic %s: %w", l.Name(), t.Key(), err)
	}
	if _, err := l.p.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("proxy: %s: add toxic %s: %w", l.Name(), t.Key(), err)
	}
	l.emit(sim.Event{Link: sim.LinkToxicAdded, Detail: "toxic added " + string(historyBody(t.Type, body))})
	return nil
}

// historyBody is a toxic's body as the history records it: a bits_watch's
// id is left out, since Watch numbers registrations process-wide (the
// same run played after another in one process, as explore plays its
// runs, got another id and another history digest).
func historyBody(typ string, body []byte) []byte {
	if typ != "bits_watch" {
		return body
	}
	var tj toxicJSON
	if json.Unmarshal(body, &tj) != nil {
		return body
	}
	attrs := maps.Clone(tj.Attributes)
	delete(attrs, "id")
	tj.Attributes = attrs
	if b, err := json.Marshal(tj); err == nil {
		return b
	}
	return body
}

// UpdateToxic changes the attributes and toxicity of the toxic named
// t.Key(). Attributes absent from t keep their values; Type and Stream, if
// set, must match the existing toxic. Live connections pick up the change,
// and per-connection state (bytes counted so far, matches seen) survives.
//
// Caveat: toxiproxy decodes the new attributes into the running toxic, so
// an update while traffic flows through it is a data race in toxiproxy
// (the race detector reports it). To change a toxic under load, remove it
// and add a new one.
func (l *Link) UpdateToxic(t sim.Toxic) error {
	name := t.Key()
	w := l.p.Toxics.GetToxic(name)
	if w == nil {
		return fmt.Errorf("proxy: %s: update toxic %s: %w", l.Name(), name, toxiproxy.ErrToxicNotFound)
	}
	if t.Type == "" {
		t.Type = w.Type
	}
	if l.s.ownOf(l.p) != nil {
		t.Type = memType(t.Type)
	}
	if t.Type != w.Type {
		return fmt.Errorf("proxy: %s: update toxic %s: type %s cannot become %s", l.Name(), name, w.Type, t.Type)
	}
	if t.Stream == "" {
		t.Stream = sim.Direction(w.Stream)
	}
	dir, tox, err := checkToxic(t)
	if err != nil {
		return fmt.Errorf("proxy: %s: update toxic %s: %w", l.Name(), name, err)
	}
	if string(dir) != w.Direction.String() {
		return fmt.Errorf("proxy: %s: update toxic %s: stream %s cannot become %s", l.Name(), name, w.Direction, dir)
	}
	body, err := json.Marshal(toxicJSON{Toxicity: &tox, Attributes: attrsOrEmpty(t.Attributes)})
	if err != nil {
		return fmt.Errorf("proxy: %s: update toxic %s: %w", l.Name(), name, err)
	}
	if _, err := l.p.Toxics.UpdateToxicJson(name, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("proxy: %s: update toxic %s: %w", l.Name(), name, err)
	}
	l.emit(sim.Event{Link: sim.LinkToxicUpdated, Detail: "toxic updated " + name + " " + string(body)})
	return nil
}

// RemoveToxic removes the toxic called name from live and future
// connections.
func (l *Link) RemoveToxic(name string) error {
	if err := l.p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		return fmt.Errorf("proxy: %s: remove toxic %s: %w", l.Name(), name, err)
	}
	l.emit(sim.Event{Link: sim.LinkToxicRemoved, Detail: "toxic removed " + name})
	return nil
}

// ResetToxics removes every toxic.
func (l *Link) ResetToxics() {
	l.p.Toxics.ResetToxics(context.Background())
	l.emit(sim.Event{Link: sim.LinkToxicsReset, Detail: "toxics reset"})
}

// Toxics returns the link's toxics in pipeline order, upstream chain first. Attribute values are JSON-decoded (numbers are
// float64).
func (l *Link) Toxics() []sim.Toxic {
	arr := l.p.Toxics.GetToxicArray()
	// Marshal under the collection's lock: UpdateToxicJson decodes into the
	// same structs while holding it.
	l.p.Toxics.Lock()
	defer l.p.Toxics.Unlock()
	out := make([]sim.Toxic, 0, len(arr))
	for _, x := range arr {
		w, ok := x.(*toxics.ToxicWrapper)
		if !ok {
			continue
		}
		var attrs map[string]any
		if b, err := json.Marshal(w.Toxic); err == nil {
			_ = json.Unmarshal(b, &attrs)
		}
		out = append(out, sim.Toxic{
			Name:       w.Name,
			Type:       w.Type,
			Stream:     sim.Direction(w.Direction.String()),
			Toxicity:   float64(w.Toxicity),
			Attributes: attrs,
		})
	}
	return out
}

// emit records a link.changed event: e's Link, Listen, Upstream and
// Detail, stamped with the link's name and clock.
func (l *Link) emit(e sim.Event) {
	o := l.s.optionsOf(l.p)
	e.At, e.Kind, e.Source, e.Node = o.clock.Now(), sim.LinkChanged, "proxy", l.Name()
	o.sink.Record(e)
}

// toxicJSON is the body of toxiproxy's toxic create and update calls.
type toxicJSON struct {
	Name       string         `json:"name,omitempty"`
	Type       string         `json:"type,omitempty"`
	Stream     string         `json:"stream,omitempty"`
	Toxicity   *float64       `json:"toxicity,omitempty"`
	Attributes map[string]any `json:"attributes"`
}

func attrsOrEmpty(a map[string]any) map[string]any {
	if a == nil {
		return map[string]any{}
	}
	return a
}

// checkToxic validates t and returns its direction and effective toxicity.
func checkToxic(t sim.Toxic) (sim.Direction, float64, error) {
	if t.Type == "" {
		return "", 0, errors.New("empty toxic type")
	}
	dir, err := sim.ParseDirection(string(t.Stream))
	if err != nil {
		return "", 0, err
	}
	tox := t.Toxicity
	if tox == 0 {
		tox = 1
	}
	if tox < 0 || tox > 1 {
		return "", 0, fmt.Errorf("toxicity %v out of (0, 1]", t.Toxicity)
	}
	known, err := attributeNames(t.Type)
	if err != nil {
		return "", 0, err
	}
	for k := range t.Attributes {
		if !slices.Contains(known, k) {
			return "", 0, fmt.Errorf("unknown attribute %q for %s (known: %s)", k, t.Type, strings.Join(known, ", "))
		}
	}
	return dir, tox, nil
}

// attributeNames lists the JSON attributes of a registered toxic type.
func attributeNames(typ string) ([]string, error) {
	proto := toxics.New(&toxics.ToxicWrapper{Type: typ})
	if proto == nil {
		return nil, fmt.Errorf("unknown toxic type %q", typ)
	}
	b, err := json.Marshal(proto)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(m)), nil
}
