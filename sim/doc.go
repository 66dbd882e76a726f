// Package sim holds what every part of a bitsim run shares and nothing that
// drives it: the Clock (real, scaled or virtual protocol time), the Seed and
// the seeded Rand streams derived from it, the Network used to listen and
// dial, and the History of typed Events that clients, nodes, the balancer,
// the app and the fault injector append to and that checkers and reports
// read.
//
// Events carry a typed vocabulary (vocab.go: Step, Reason, TimerKind,
// LinkChange and fields such as HostID, SHA256, Fault): readers switch on
// those, never on Event.Detail, which is human text. Exchanges pairs each
// call with its return (client request ↔ response or error, notification
// ↔ answer, packet ↔ Ack); a call without a return is OutcomeUnknown.
// Saved histories carry HistorySchema; DecodeHistory upgrades older ones
// (Upgrade is the only code that parses Detail).
//
// sim imports only the standard library; every other bitsim package may
// import it.
//
//	clock := sim.NewVirtual(time.Time{})
//	clock.AutoAdvance(0, 0) // jump over idle periods
//	defer clock.StopAuto()
//	hist := sim.NewHistory()
//	// ... hand clock and hist to nodes, app and clients ...
//	for _, e := range hist.OfKind(sim.AppDelivery) { fmt.Println(e) }
//	for _, x := range sim.Exchanges(hist.Events()).Of(sim.ExchangeClient, "job-a") {
//		if x.Outcome == sim.OutcomeUnknown { /* the reply was lost: it may have taken effect */ }
//	}
package sim
