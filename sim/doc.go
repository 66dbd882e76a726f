// Package sim holds what every part of a bitsim run shares and nothing that
// drives it: the Clock (real, scaled or virtual protocol time), the Seed and
// the seeded Rand streams derived from it, the Network used to listen and
// dial, and the History of typed Events that clients, nodes, the balancer,
// the app and the fault injector append to and that checkers and reports
// read.
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
package sim
