package balancer

import (
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
)

// TestMain checks for leaked goroutines (the balancer uses no toxiproxy link;
// testutil.LeakOptions is the one option set of every package).
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
