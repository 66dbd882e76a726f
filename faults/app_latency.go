package faults

import (
	"fmt"
	"time"
)

// AppLatency makes the app answer every notification after Latency (0
// restores prompt answers).
//
//	action: {kind: app-latency, latency: 2m}
type AppLatency struct {
	Latency time.Duration `json:"latency,omitempty" yaml:"latency,omitempty"`
}

func init() { Register("app-latency", func() Action { return new(AppLatency) }) }

func (*AppLatency) Kind() string     { return "app-latency" }
func (a *AppLatency) String() string { return describe("app-latency", "latency", a.Latency) }
func (a *AppLatency) Validate(Topology, Trigger) error {
	return nonNegative("app-latency", a.Latency)
}
func (a *AppLatency) Apply(f *Firing) error { f.Target.App().SetLatency(a.Latency); return nil }

func nonNegative(kind string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s: negative duration %s", kind, d)
	}
	return nil
}
