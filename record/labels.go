package record

// Labels is the registry of scenario labels; Ginkgo specs and `bitsim run
// --label` use these and no others.
var Labels = []string{
	LabelSeedDoc, LabelDerived, LabelToxics, LabelRandom, LabelScale, LabelSlow, LabelControl, LabelExplore,
}

// Scenario labels.
const (
	LabelSeedDoc = "seed-doc" // a case documented in "Preventing Multiple Uploads" (spec §14 cases 1–6)
	LabelDerived = "derived"  // a derived case (spec §14 cases 7–15)
	LabelToxics  = "toxics"   // the built-in toxics matrix
	LabelRandom  = "random"   // randomized schedules drawn from the seed
	LabelScale   = "scale"    // many concurrent clients
	LabelSlow    = "slow"     // too slow for the default test run
	LabelControl = "control"  // no-fault control runs
	// LabelExplore marks a schedule drawn (or a reproducer found) by bitsim
	// explore against an external app: on the wire tier its jobs run one
	// after another, in job order, as a random scenario's do, so that a
	// fault bites the same job in every replay.
	LabelExplore = "explore"
)

// KnownLabel reports whether l is in the registry.
func KnownLabel(l string) bool {
	for _, x := range Labels {
		if x == l {
			return true
		}
	}
	return false
}
