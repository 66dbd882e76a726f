package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/farm/proxy"
)

// TestMain checks the whole package for leaked goroutines, ignoring only
// toxiproxy's own documented leaks (proxy.LeakyTopFunctions).
func TestMain(m *testing.M) {
	var opts []goleak.Option
	for _, f := range proxy.LeakyTopFunctions() {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	goleak.VerifyTestMain(m, opts...)
}
