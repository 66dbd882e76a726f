package faults

// AppRestart brings a crashed app back.
//
//	action: {kind: app-restart}
type AppRestart struct{}

func init() { Register("app-restart", func() Action { return new(AppRestart) }) }

func (*AppRestart) Kind() string                     { return "app-restart" }
func (*AppRestart) String() string                   { return "app-restart" }
func (*AppRestart) Validate(Topology, Trigger) error { return nil }
func (*AppRestart) Apply(f *Firing) error            { f.Target.App().Restart(); return nil }
