package faults

import "time"

// AppReplyDelay makes the app apply its effect, then wait Latency before
// answering (the effect happens even if the node gives up waiting).
//
//	action: {kind: app-reply-delay, latency: 2m}
type AppReplyDelay struct {
	Latency time.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
}

func init() { Register("app-reply-delay", func() Action { return new(AppReplyDelay) }) }

func (*AppReplyDelay) Kind() string     { return "app-reply-delay" }
func (a *AppReplyDelay) String() string { return describe("app-reply-delay", "latency", a.Latency) }
func (a *AppReplyDelay) Validate(Topology, Trigger) error {
	return nonNegative("app-reply-delay", a.Latency)
}
func (a *AppReplyDelay) Apply(f *Firing) error { f.Target.App().SetReplyDelay(a.Latency); return nil }
