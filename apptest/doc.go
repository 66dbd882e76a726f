// Package apptest tests your own BITS server application from a Go suite
// (go test or Ginkgo): it runs bitsim's scenario catalogue, or scenarios
// you write, on an in-process farm of BITS upload nodes that notify your
// application exactly as IIS does, and gives Gomega matchers whose failure
// messages print the cause chain of every duplicate.
//
// Your application must follow the contract in bitsim's README ("Testing
// your application"): answer notifications (by reference or by value) with
// 200 once the upload is applied, and serve an effect probe answering
// {"effects": {"<txn>": <count>}}.
//
//	app := apptest.App{URL: "http://127.0.0.1:8088/notify", EffectsURL: "http://127.0.0.1:8088/effects"}
//	res, err := apptest.Run(ctx, app, "case4-fallback-duplicate", apptest.Options{})
//	Expect(err).NotTo(HaveOccurred())
//	Expect(res).To(apptest.HaveExactlyOnceEffect())     // the app applied the order once
//	Expect(res).NotTo(apptest.HaveDeliveredExactlyOnce()) // although BITS delivered it twice
//
// Runs against an external app play on bitsim's wire tier (real loopback
// TCP, virtual clock): the 1-day host-id fallback and the 14-day session
// time-out pass in well under a second of wall time. Scenarios that need
// mock-app faults (app-status, app-crash ...) come back skipped
// (Result.Skipped names the reason); the matchers fail on a skipped result
// rather than pass it.
//
// Start gives you the farm itself, to drive with your own BITS client.
package apptest
