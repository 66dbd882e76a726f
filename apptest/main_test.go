package apptest_test

import (
	"testing"

	"github.com/bitsim/bitsim/internal/testutil"
)

func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
