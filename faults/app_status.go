package faults

import "fmt"

// AppStatus makes the app answer Status to its next Times notifications
// (0: all of them) instead of processing them.
//
//	action: {kind: app-status, status: 503, times: 1}
type AppStatus struct {
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	Times  int `json:"times,omitempty" yaml:"times,omitempty"`
}

func init() { Register("app-status", func() Action { return new(AppStatus) }) }

func (*AppStatus) Kind() string { return "app-status" }
func (a *AppStatus) String() string {
	return describe("app-status", "status", a.Status, "times", a.Times)
}

func (a *AppStatus) Validate(Topology, Trigger) error {
	if a.Status != 0 && (a.Status < 100 || a.Status > 599) || a.Times < 0 {
		return fmt.Errorf("app-status: status %d, times %d", a.Status, a.Times)
	}
	return nil
}

func (a *AppStatus) Apply(f *Firing) error { f.Target.App().SetStatus(a.Status, a.Times); return nil }
