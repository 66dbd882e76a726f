package testutil

import (
	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/farm/proxy"
)

// LeakOptions returns the goleak options of every bitsim test binary:
// toxiproxy's documented leaks (links disabled or killed mid-transfer
// strand one goroutine per connection inside toxiproxy) plus extra.
func LeakOptions(extra ...goleak.Option) []goleak.Option {
	var opts []goleak.Option
	for _, f := range proxy.LeakyTopFunctions() {
		opts = append(opts, goleak.IgnoreTopFunction(f))
	}
	return append(opts, extra...)
}

// VerifyTestMain runs the tests of m and then fails the binary if
// goroutines leaked, ignoring LeakOptions(extra...). Call it from TestMain.
func VerifyTestMain(m goleak.TestingM, extra ...goleak.Option) {
	goleak.VerifyTestMain(m, LeakOptions(extra...)...)
}
