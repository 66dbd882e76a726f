package scenarios_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// Timeouts used by the specs, in one place.
var timeouts = struct{ spec, slow time.Duration }{spec: 90 * time.Second, slow: 10 * time.Minute}

// breakage deliberately breaks the harness to show which specs catch it:
// BITSIM_BREAK=idempotent-off turns every app naive (the transaction-id
// mitigation is gone), so the case6 specs must fail.
func breakage() func(*farm.Config) {
	switch os.Getenv("BITSIM_BREAK") {
	case "idempotent-off":
		return func(c *farm.Config) { c.App.Mode = app.Naive }
	}
	return nil
}

// component names the part of the system a scenario is about.
func component(s record.Scenario) string {
	switch {
	case s.HasLabel(record.LabelToxics):
		return "the farm's network links"
	case s.HasLabel(record.LabelRandom), s.HasLabel(record.LabelScale):
		return "the farm under random faults"
	case s.HasLabel(record.LabelControl):
		return "the farm without faults"
	}
	return "a BITS upload farm (spec §14)"
}

var _ = Describe("the scenario catalogue", func() {
	all := scenarios.Catalogue()
	byComponent := map[string][]record.Scenario{}
	var order []string
	for _, s := range all {
		c := component(s)
		if _, ok := byComponent[c]; !ok {
			order = append(order, c)
		}
		byComponent[c] = append(byComponent[c], s)
	}
	for _, c := range order {
		Describe(c, func() {
			for _, sc := range byComponent[c] {
				seeds := []int{0}
				if sc.HasLabel(record.LabelRandom) {
					seeds = make([]int, randomSeeds())
					for i := range seeds {
						seeds[i] = i
					}
				}
				for _, k := range seeds {
					sc, k := sc, k
					ctxName := sc.Name
					if sc.Spec != "" {
						ctxName += " (" + sc.Spec + ")"
					}
					if sc.HasLabel(record.LabelRandom) {
						ctxName += fmt.Sprintf(" #%d", k+1)
					}
					decorators := []any{Label(sc.Labels...), SpecTimeout(timeouts.spec)}
					if sc.HasLabel(record.LabelSlow) {
						decorators = []any{Label(sc.Labels...), SpecTimeout(timeouts.slow)}
					}
					Context(ctxName, func() {
						It(outcome(sc), append(decorators, func(ctx SpecContext) {
							if sc.HasLabel(record.LabelSlow) && os.Getenv("BITSIM_SLOW") == "" {
								Skip("slow scenario: set BITSIM_SLOW=1 to run it")
							}
							before := gleak.Goroutines()
							DeferCleanup(func() {
								Eventually(gleak.Goroutines).WithTimeout(5 * time.Second).ShouldNot(gleak.HaveLeaked(append([]any{before}, testutil.GleakIgnores()...)...))
							})
							seed := sim.Seed(GinkgoRandomSeed())
							if sc.HasLabel(record.LabelRandom) {
								seed = scenarios.PlanRuns([]record.Scenario{sc}, seed, k+1)[k].Seed
							}
							dir := GinkgoT().TempDir()
							res, err := scenarios.Run(context.Context(ctx), sc, seed, scenarios.RunOptions{Dir: dir, Mutate: breakage(), Wire: os.Getenv("BITSIM_WIRE") != ""})
							Expect(err).NotTo(HaveOccurred())
							AddReportEntry("seed", fmt.Sprintf("%d (replay: bitsim run --scenario %s --seed %d)", seed, sc.Name, seed))
							AddReportEntry("figures", fmt.Sprintf("deliveries=%d effects=%d restarts=%d resent=%d protocol=%s wall=%s (x%.0f)",
								res.Deliveries, res.Effects, res.Restarts, res.BytesResent, res.ProtocolTime, res.Wall.Round(time.Millisecond), res.Compression))
							var verdicts []string
							for _, v := range res.Verdicts {
								verdicts = append(verdicts, v.String())
							}
							AddReportEntry("verdicts", strings.Join(verdicts, "\n"), ReportEntryVisibilityFailureOrVerbose)
							if !res.Passed {
								AddReportEntry("history", historyText(res.Events), ReportEntryVisibilityFailureOrVerbose)
							}
							Expect(res.Failures).To(BeEmpty(), "scenario %s (seed %d) missed its expectations", sc.Name, seed)
						})...)
					})
				}
			}
		})
	}
})

// outcome is the It text: the observable outcome the scenario asserts.
func outcome(s record.Scenario) string {
	e := s.Expect
	var parts []string
	if e.Deliveries != nil {
		parts = append(parts, fmt.Sprintf("%d deliveries", *e.Deliveries))
	}
	if e.Effects != nil {
		parts = append(parts, fmt.Sprintf("%d effects", *e.Effects))
	}
	if e.Restarts != nil {
		parts = append(parts, fmt.Sprintf("%d restarts", *e.Restarts))
	}
	if e.JobState != "" {
		parts = append(parts, "job "+e.JobState)
	}
	if len(parts) == 0 {
		return "meets its expectations"
	}
	return "ends with " + strings.Join(parts, ", ")
}

func historyText(evs []sim.Event) string {
	var b strings.Builder
	for i, e := range evs {
		if i == 500 {
			fmt.Fprintf(&b, "... %d more events\n", len(evs)-i)
			break
		}
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}
