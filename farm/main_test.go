package farm

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(countingM{m}) }

// countingM prints how many unrolled protocol rows ran (with -v).
type countingM struct{ m *testing.M }

func (c countingM) Run() int {
	code := c.m.Run()
	if testing.Verbose() {
		fmt.Printf("farm: %d protocol exchange rows checked\n", rowsCovered.Load())
	}
	return code
}
