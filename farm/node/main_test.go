package node

import (
	"fmt"
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
)

// TestMain checks for leaked goroutines, ignoring only toxiproxy's own
// documented leaks (testutil.LeakOptions): links disabled or killed
// mid-transfer strand one goroutine per connection inside toxiproxy.
func TestMain(m *testing.M) { testutil.VerifyTestMain(countingM{m}) }

// countingM prints how many unrolled protocol rows ran (with -v).
type countingM struct{ m *testing.M }

func (c countingM) Run() int {
	code := c.m.Run()
	if testing.Verbose() {
		fmt.Printf("node: %d protocol exchange rows checked\n", rowsCovered.Load())
	}
	return code
}
