package main

import (
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
)

// TestMain checks the whole package for leaked goroutines, ignoring only
// toxiproxy's own documented leaks (testutil.LeakOptions).
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
