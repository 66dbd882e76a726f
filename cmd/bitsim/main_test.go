package main

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/farm/proxy"
)

// TestMain checks the whole package for leaked goroutines, ignoring only
// toxiproxy's own documented leaks (proxy.LeakyTopFunctions) and the
// built-in toxics that can be stranded by them.
func TestMain(m *testing.M) {
	var opts []goleak.Option
	for _, f := range append(proxy.LeakyTopFunctions(),
		"github.com/Shopify/toxiproxy/v2/toxics.(*LatencyToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*TimeoutToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*LimitDataToxic).Pipe",
		"github.com/Shopify/toxiproxy/v2/toxics.(*ResetToxic).Pipe") {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	goleak.VerifyTestMain(m, opts...)
}
