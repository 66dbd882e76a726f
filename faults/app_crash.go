package faults

import "fmt"

// AppCrash arms a crash of the app at Point for its next Times
// notifications (1 if zero): the connection drops without an answer.
//
//	action: {kind: app-crash, point: after-processing, times: 1}
type AppCrash struct {
	Point AppPoint `json:"point,omitempty" yaml:"point,omitempty"`
	Times int      `json:"times,omitempty" yaml:"times,omitempty"`
}

func init() { Register("app-crash", func() Action { return new(AppCrash) }) }

func (*AppCrash) Kind() string { return "app-crash" }
func (a *AppCrash) String() string {
	p := ""
	if a.Point != AppNoCrash {
		p = a.Point.String()
	}
	return describe("app-crash", "point", p, "times", a.Times)
}

func (a *AppCrash) Validate(Topology, Trigger) error {
	if a.Times < 0 {
		return fmt.Errorf("app-crash: negative times")
	}
	return nil
}

func (a *AppCrash) Apply(f *Firing) error {
	f.Target.App().SetCrash(a.Point, max(a.Times, 1))
	return nil
}
