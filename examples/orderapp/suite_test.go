package orderapp_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/bitsim/bitsim/apptest"
	"github.com/bitsim/bitsim/examples/orderapp"
)

// The shape of a user's own suite: start the application, run the §14
// duplicate cases against it with package apptest, assert with its
// matchers. `go test ./examples/orderapp` runs it.
func TestOrderApp(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "order app against bitsim's catalogue")
}

var _ = Describe("the order application", func() {
	var app apptest.App
	start := func(mode orderapp.Mode) {
		base, _ := orderapp.Serve(GinkgoT(), mode)
		app = apptest.App{URL: base + "/notify", EffectsURL: base + "/effects"}
	}

	DescribeTable("when BITS delivers an order twice",
		func(ctx SpecContext, scenario string) {
			start(orderapp.Idempotent)
			res, err := apptest.Run(ctx, app, scenario, apptest.Options{Seed: uint64(GinkgoRandomSeed())})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).NotTo(apptest.HaveDeliveredExactlyOnce(), "the scenario provokes a second delivery")
			Expect(res).To(apptest.HaveExactlyOnceEffect(), "the idempotent app stores the order once")
		},
		Entry("§14 case 4: node lost after notifying, 1-day fallback", "case4-fallback-duplicate", SpecTimeout(time.Minute)),
		Entry("§14 case 5: final fragment re-forwarded after a crash", "case5-reforward-after-crash", SpecTimeout(time.Minute)),
		Entry("§14 case 7: app slower than the notification time-out", "case7-app-timeout", SpecTimeout(time.Minute)),
	)

	It("in naive mode stores it twice, and the matcher says why", func(ctx SpecContext) {
		start(orderapp.Naive)
		res, err := apptest.Run(ctx, app, "case5-reforward-after-crash", apptest.Options{Seed: uint64(GinkgoRandomSeed())})
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(apptest.HaveResumedWithoutRestart())
		Expect(res).NotTo(apptest.HaveExactlyOnceEffect())
		Expect(apptest.HaveExactlyOnceEffect().FailureMessage(res)).To(ContainSubstring("delivery #2: node1 notified the app again"))
	}, SpecTimeout(time.Minute))
})
