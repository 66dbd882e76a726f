package farm

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/farm/proxy"
)

// TestMain checks for leaked goroutines, ignoring only toxiproxy's own
// documented leaks (proxy.LeakyTopFunctions): links disabled or killed
// mid-transfer strand one goroutine per connection inside toxiproxy.
func TestMain(m *testing.M) {
	var opts []goleak.Option
	for _, f := range proxy.LeakyTopFunctions() {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	goleak.VerifyTestMain(countingM{m}, opts...)
}

// countingM prints how many unrolled protocol rows ran (with -v).
type countingM struct{ m *testing.M }

func (c countingM) Run() int {
	code := c.m.Run()
	if testing.Verbose() {
		fmt.Printf("farm: %d protocol exchange rows checked\n", rowsCovered.Load())
	}
	return code
}
