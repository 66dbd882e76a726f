package record

import (
	"math"
	"strings"
	"testing"
)

// TestWilson checks the Wilson score interval against known values
// (per 1,000, rounded): 0 of 10 → 0–278, 0 of 100 → 0–37, 10 of 10 →
// 722–1000, 5 of 10 → 237–763, 1 of 100 → 2–54.
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		k, n     int
		low, hig float64
	}{{0, 10, 0, 278}, {0, 100, 0, 37}, {10, 10, 722, 1000}, {100, 100, 963, 1000}, {5, 10, 237, 763}, {1, 100, 2, 54}, {0, 0, 0, 1000}} {
		lo, hi := Wilson(c.k, c.n)
		if math.Round(1000*lo) != c.low || math.Round(1000*hi) != c.hig {
			t.Errorf("Wilson(%d, %d) = %.4f–%.4f, want %v–%v per 1,000", c.k, c.n, lo, hi, c.low, c.hig)
		}
	}
}

// TestEstimateOf: the interval keeps a width when every upload agrees (the
// normal approximation gave 0–0 and 1000–1000), and is scaled by the mean
// count per affected upload when some upload has two duplicates.
func TestEstimateOf(t *testing.T) {
	ones := func(n, k int, v float64) []float64 {
		xs := make([]float64, n)
		for i := range k {
			xs[i] = v
		}
		return xs
	}
	for _, c := range []struct {
		xs   []float64
		want string
	}{
		{ones(10, 0, 1), "0 (0–278)"},
		{ones(100, 0, 1), "0 (0–37)"},
		{ones(10, 10, 1), "1000 (722–1000)"},
		{ones(100, 100, 1), "1000 (963–1000)"},
		{ones(10, 10, 2), "2000 (1445–2000)"},     // every upload twice: 2 × (722–1000)
		{[]float64{2, 1, 0, 0}, "750 (225–1275)"}, // 2 of 4 affected (Wilson 150–850), 1.5 each
		{nil, "0 (0–0)"},
	} {
		if got := EstimateOf(c.xs).String(); got != c.want {
			t.Errorf("EstimateOf(%v) = %s, want %s", c.xs, got, c.want)
		}
	}
	if e := EstimateOf(ones(7, 3, 1)); e.Low > e.Per1000 || e.High < e.Per1000 {
		t.Errorf("the interval %v does not hold the rate", e)
	}
}

// TestRateMarkdown: the table shows each row's farm, and the notes explain
// the star and the interval.
func TestRateMarkdown(t *testing.T) {
	md := RateTable{Uploads: 10, Rows: []Rate{{Class: "lost final Ack", Farm: "1 node, K10 until-close", App: "naive", Uploads: 10,
		DupDeliv: EstimateOf(make([]float64, 10)), DupEffect: EstimateOf(make([]float64, 10))}}}.Markdown()
	for _, want := range []string{"| fault class | farm | app |", "| lost final Ack | 1 node, K10 until-close | naive | 10 | 0 (0–278) | 0 (0–278) |", PredictedNote, IntervalNote} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}
