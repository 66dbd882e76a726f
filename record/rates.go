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
	// Rows: per class, the naive app's row then the idempotent app's.
	Rows []Rate `json:"rows"`
	// Notes are footnotes to the table (plain text).
	Notes []string `json:"notes,omitempty"`
}

// Rate is one row of the duplicate-rate table: per 1,000 uploads, with a
// 95% interval (normal approximation over the uploads).
type Rate struct {
	Class     string   `json:"class"`
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

// EstimateOf is the mean per 1,000 of xs (a count per upload) with its 95%
// interval (1.96 standard errors, clipped at 0).
func EstimateOf(xs []float64) Estimate {
	n := float64(len(xs))
	if n == 0 {
		return Estimate{}
	}
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	half := 0.0
	if n > 1 {
		half = 1.96 * math.Sqrt(sq/(n-1)) / math.Sqrt(n)
	}
	return Estimate{Per1000: 1000 * mean, Low: 1000 * max(mean-half, 0), High: 1000 * (mean + half)}
}

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
	b.WriteString("| fault class | app | uploads | duplicate deliveries / 1,000 (95% CI) | duplicate effects / 1,000 (95% CI) |\n|---|---|---:|---:|---:|\n")
	for _, r := range t.Rows {
		p := ""
		if r.Predicted {
			p = PredictedMark
		}
		fmt.Fprintf(&b, "| %s%s | %s | %d | %s | %s |\n", r.Class, p, r.App, r.Uploads, r.DupDeliv, r.DupEffect)
	}
	b.WriteString("\n\\" + PredictedNote + "\n")
	for _, n := range t.Notes {
		b.WriteString("\n" + n + "\n")
	}
	return b.String()
}
