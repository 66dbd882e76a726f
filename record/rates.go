package record

import (
	"fmt"
	"math"
	"strings"

	"github.com/bitsim/bitsim/sim"
)

// RateTable is the duplicate-rate table of `bitsim explore --rates`: per
// fault class, the duplicate deliveries and duplicate effects per 1,000
// uploads with the naive and the idempotent app, played on the same seeds.
// It is rates.json, and the reports render it (a section of summary.md, a
// bar chart in report.html).
type RateTable struct {
	Seed sim.Seed `json:"seed"`
	// Uploads per fault class and app.
	Uploads int `json:"uploads"`
	// SizeMin and SizeMax bound each upload's size in bytes (one file per
	// upload, its size drawn from the seed, the same for both apps).
	SizeMin int64 `json:"upload_size_min,omitempty"`
	SizeMax int64 `json:"upload_size_max,omitempty"`
	// Rows: per class, the naive app's row then the idempotent app's.
	Rows []Rate `json:"rows"`
	// Notes are footnotes to the table (plain text).
	Notes []string `json:"notes,omitempty"`
}

// Rate is one row of the duplicate-rate table: per 1,000 uploads, with a
// 95% interval (see EstimateOf).
type Rate struct {
	Class string `json:"class"`
	// Farm is the shape the class is played on (nodes, balancer, host id,
	// the knobs that decide whether it duplicates).
	Farm      string   `json:"farm,omitempty"`
	App       string   `json:"app"`
	Uploads   int      `json:"uploads"`
	Predicted bool     `json:"predicted"`
	DupDeliv  Estimate `json:"duplicate_deliveries_per_1000"`
	DupEffect Estimate `json:"duplicate_effects_per_1000"`
}

// Estimate is a rate per 1,000 and its 95% interval.
type Estimate struct {
	Per1000 float64 `json:"per_1000"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
}

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson is the Wilson score 95% interval of a proportion, k successes
// out of n trials: correct coverage for small n and for proportions near
// 0 or 1, where the normal approximation collapses to zero width (0 of 10
// gives 0–0.278, 10 of 10 gives 0.722–1). n = 0 gives 0–1.
func Wilson(k, n int) (low, high float64) {
	if n <= 0 {
		return 0, 1
	}
	nf, p, z2 := float64(n), float64(k)/float64(n), z95*z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	low, high = max(center-half, 0), min(center+half, 1)
	if k <= 0 {
		low = 0
	}
	if k >= n {
		high = 1
	}
	return low, high
}

// EstimateOf is the mean per 1,000 of xs (a count per upload) with its 95%
// interval: the Wilson score interval of the share of uploads with at
// least one duplicate, scaled by the mean count per such upload (1 when
// no upload has one; the counts are mostly 0 or 1, and the scale is taken
// as known). Unlike 1.96 standard errors it does not shrink to zero width
// when every upload agrees: 0 of 100 reads "0 (0–37)", 100 of 100
// "1000 (963–1000)". See IntervalNote.
func EstimateOf(xs []float64) Estimate {
	if len(xs) == 0 {
		return Estimate{}
	}
	var sum float64
	k := 0
	for _, x := range xs {
		sum += x
		if x > 0 {
			k++
		}
	}
	scale := 1.0
	if k > 0 {
		scale = sum / float64(k)
	}
	low, high := Wilson(k, len(xs))
	return Estimate{Per1000: 1000 * sum / float64(len(xs)), Low: 1000 * scale * low, High: 1000 * scale * high}
}

// IntervalNote explains the table's 95% intervals.
const IntervalNote = "95% CI: the Wilson score interval of the share of uploads with at least one duplicate, " +
	"times the mean number of duplicates per such upload (1 when there is none). It stays honest when every upload agrees: " +
	"0 of 100 uploads reads 0 (0–37), 100 of 100 reads 1000 (963–1000)."

// String is "12 (0–35)": the rate and its interval, rounded.
func (e Estimate) String() string { return fmt.Sprintf("%.0f (%.0f–%.0f)", e.Per1000, e.Low, e.High) }

// PredictedMark flags, in the table, the classes for which the protocol
// predicts duplicate deliveries that a naive app applies twice.
const PredictedMark = " *"

// PredictedNote explains PredictedMark.
const PredictedNote = "* the protocol predicts duplicate deliveries for this class, applied twice by a naive app (docs/protocol.md §14 cases 4, 5, 7, 9)."

// Markdown is the table as Markdown, its notes below it.
func (t RateTable) Markdown() string {
	var b strings.Builder
	b.WriteString("| fault class | farm | app | uploads | duplicate deliveries / 1,000 (95% CI) | duplicate effects / 1,000 (95% CI) |\n|---|---|---|---:|---:|---:|\n")
	for _, r := range t.Rows {
		p := ""
		if r.Predicted {
			p = PredictedMark
		}
		fmt.Fprintf(&b, "| %s%s | %s | %s | %d | %s | %s |\n", r.Class, p, r.Farm, r.App, r.Uploads, r.DupDeliv, r.DupEffect)
	}
	b.WriteString("\n\\" + PredictedNote + "\n\n" + IntervalNote + "\n")
	for _, n := range t.Notes {
		b.WriteString("\n" + n + "\n")
	}
	return b.String()
}
