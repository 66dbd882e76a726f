package check

import (
	"fmt"

	"github.com/bitsim/bitsim/sim"
)

// FaultsFired: every fault of the schedule fired at least once (fault.fired
// events name the fault in Fault). A fault that never fired makes the run
// fail unless it is marked Optional, so a green run cannot hide a fault
// that did nothing.
type FaultsFired struct{}

// Name implements Checker.
func (FaultsFired) Name() string { return "faults-fired" }

// Check implements Checker.
func (FaultsFired) Check(in Input) Verdict {
	fired := map[string]int{}
	for _, e := range in.Events {
		if e.Kind == sim.FaultFired {
			fired[e.Fault]++
		}
	}
	var fs []Finding
	var n int64
	for i, f := range in.Schedule {
		name := in.Schedule.FaultName(i)
		if fired[name] > 0 {
			n++
			continue
		}
		st := Fail
		if f.Optional {
			st = Unknown
		}
		fs = append(fs, Finding{Status: st, Node: f.Node(),
			Message: fmt.Sprintf("fault %s (%s → %s) never fired", name, f.When(), f.What())})
	}
	summary := fmt.Sprintf("%d of %d faults fired", n, len(in.Schedule))
	return verdict(FaultsFired{}.Name(), fs, summary, map[string]int64{"faults": int64(len(in.Schedule)), "fired": n})
}
