package scenarios_test

import (
	"os"
	"strconv"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim/bubble"
)

// The catalogue as a Ginkgo suite: `go test ./scenarios` runs it (one Go
// test), `go test ./scenarios -ginkgo.label-filter=seed-doc` a part of it,
// `-ginkgo.seed=N` pins the run's seed (printed as "Random Seed").
//
// The specs run on the exact tier (synctest bubbles hosted by this test);
// BITSIM_WIRE=1 runs them on the wire tier (loopback TCP).
func TestScenarios(t *testing.T) {
	defer bubble.Use(t)()
	RegisterFailHandler(Fail)
	RunSpecs(t, "bitsim scenario catalogue")
}

// TestMain checks for leaked goroutines, ignoring the ones toxiproxy itself
// leaks (testutil.LeakOptions) and Ginkgo's own signal handler.
func TestMain(m *testing.M) {
	testutil.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"),
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func1"))
}

// randomSeeds is K, the number of seeds drawn per run for randomized
// scenarios (BITSIM_RANDOM_SEEDS, default 3).
func randomSeeds() int {
	if n, err := strconv.Atoi(os.Getenv("BITSIM_RANDOM_SEEDS")); err == nil && n > 0 {
		return n
	}
	return 3
}
