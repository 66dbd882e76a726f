package farm

import (
	"context"
	"net/http"
	"time"

	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/faults"
)

// target is the farm as fault actions see it (faults.Target): the only
// door from package faults into the farm, its nodes, links and app.
type target struct{ f *Farm }

var _ faults.Target = target{}

func (t target) HasNode(name string) bool { return t.f.slot(name) != nil }

func (t target) HasLink(name string) bool {
	_, err := t.f.Link(name)
	return err == nil
}

func (t target) KillNode(name, session string, loseTail int64) {
	s := t.f.slot(name)
	if s == nil {
		return
	}
	if s.remote != "" {
		_ = t.f.runHook(context.Background(), "kill", t.f.cfg.Target.KillCmd, s)
		return
	}
	if loseTail > 0 {
		// The tail is cut when the dead node's handlers have ended, before
		// it restarts (Farm.Restart).
		t.f.mu.Lock()
		s.tail = &node.KillOptions{LoseTail: loseTail, Session: session}
		t.f.mu.Unlock()
	}
	t.f.killNow(s, session)
}

func (t target) Disarm(name string) {
	if n := t.f.Node(name); n != nil {
		n.Disarm()
	}
}

func (t target) RestartNode(ctx context.Context, name string) error {
	if s := t.f.slot(name); s != nil && s.remote != "" {
		return t.f.runHook(ctx, "restart", t.f.cfg.Target.RestartCmd, s)
	}
	return t.f.Restart(ctx, name)
}

func (t target) SetDown(name string, down bool) error {
	if t.f.slot(name) != nil {
		return t.f.setDown(name, down)
	}
	l, err := t.f.Link(name)
	if err != nil {
		return err
	}
	if down {
		return l.Disable()
	}
	return l.Enable()
}

func (t target) Link(name string) (faults.Link, error) {
	l, err := t.f.Link(name)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (t target) DropSessions(name, reason string) {
	if n := t.f.Node(name); n != nil {
		n.DropSessions(reason)
	}
}

func (t target) AnswerStatus(name, packet string, nth, status int, header map[string]string) {
	if n := t.f.Node(name); n != nil {
		h := http.Header{}
		for k, v := range header {
			h.Set(k, v)
		}
		n.AnswerStatus(packet, nth, status, h)
	}
}

func (t target) SlowDisk(name string, d time.Duration, times int) {
	if n := t.f.Node(name); n != nil {
		n.SlowDisk(d, times)
	}
}

func (t target) App() faults.App { return t.f.app }
