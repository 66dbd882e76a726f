package testutil

import (
	"testing"

	"github.com/onsi/gomega/gleak"
	"go.uber.org/goleak"

	"github.com/bitsim/bitsim/farm/proxy"
)

// LeakOptions returns the goleak options of every bitsim test binary that
// runs toxiproxy links: toxiproxy's documented leaks (links disabled or
// killed mid-transfer strand one goroutine per connection inside
// toxiproxy, see proxy.LeakyTopFunctions) plus extra.
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

// VerifyNone fails t if goroutines leaked, ignoring LeakOptions(extra...).
func VerifyNone(t testing.TB, extra ...goleak.Option) {
	t.Helper()
	goleak.VerifyNone(t, LeakOptions(extra...)...)
}

// GleakIgnores is LeakOptions for Gomega's gleak.HaveLeaked.
func GleakIgnores() []any {
	var out []any
	for _, f := range proxy.LeakyTopFunctions() {
		out = append(out, gleak.IgnoringTopFunction(f))
	}
	return out
}
