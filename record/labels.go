package record

// Labels is the registry of scenario labels; Ginkgo specs and `bitsim run
// --label` use these and no others.
var Labels = []string{
	LabelSeedDoc, LabelDerived, LabelToxics, LabelRandom, LabelScale, LabelSlow, LabelControl,
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
