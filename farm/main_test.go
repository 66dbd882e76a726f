package farm_test

import (
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
)

// TestMain checks for leaked goroutines, ignoring only toxiproxy's own
// documented leaks (testutil.LeakOptions).
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
