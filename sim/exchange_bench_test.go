package sim

import (
	"os"
	"testing"
)

// BenchmarkExchanges pairs a saved history given by BITSIM_HISTORY (e.g. a
// many-clients run's history.json); skipped without it.
func BenchmarkExchanges(b *testing.B) {
	path := os.Getenv("BITSIM_HISTORY")
	if path == "" {
		b.Skip("set BITSIM_HISTORY to a history.json")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	evs, err := DecodeHistory(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Exchanges(evs)
	}
	b.ReportMetric(float64(len(evs)), "events")
}
