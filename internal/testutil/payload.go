package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bitsim/bitsim/sim"
)

// Payload returns n deterministic bytes drawn from seed.
func Payload(n int, seed uint64) []byte {
	b := make([]byte, n)
	sim.NewRand(sim.Seed(seed)).Read(b)
	return b
}

// PayloadFile writes Payload(n, seed) to a file named name in a fresh
// temporary directory and returns its path and the bytes.
func PayloadFile(t testing.TB, name string, n int, seed uint64) (string, []byte) {
	t.Helper()
	data := Payload(n, seed)
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("testutil: %v", err)
	}
	return p, data
}
