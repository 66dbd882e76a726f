package reports

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
)

// ratesIntro says how the duplicate-rate table was measured.
func ratesIntro(t record.RateTable) string {
	size := ""
	if t.SizeMax > 0 {
		size = fmt.Sprintf(" (each one file of %s to %s bytes, %s to %s, its size drawn from the seed)",
			groupDigits(t.SizeMin), groupDigits(t.SizeMax), byteSize(t.SizeMin), byteSize(t.SizeMax))
	}
	return fmt.Sprintf("Per fault class, %d uploads%s with each app, the naive and the idempotent app played on the same seeds (seed %d), "+
		"on the farm the table names; duplicate deliveries and duplicate effects per 1,000 uploads with a 95%% interval.", t.Uploads, size, t.Seed)
}

// writeRatesMarkdown writes summary.md's duplicate-rate section.
func writeRatesMarkdown(b *strings.Builder, t record.RateTable) {
	b.WriteString("### Duplicate rates per 1,000 uploads\n\n")
	b.WriteString(ratesIntro(t) + "\n\n")
	b.WriteString(t.Markdown())
	b.WriteString("\n")
}

// rateClass is one fault class of the chart: its rows, one per app.
type rateClass struct {
	name, farm string
	predicted  bool
	rows       []record.Rate
}

func rateClasses(rows []record.Rate) []rateClass {
	var out []rateClass
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.Class]
		if !ok {
			i = len(out)
			at[r.Class] = i
			out = append(out, rateClass{name: r.Class, farm: r.Farm, predicted: r.Predicted})
		}
		out[i].rows = append(out[i].rows, r)
	}
	return out
}

// niceCeil is the smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a
// power of ten that is at least v (at least 10: an all-zero panel still
// has an axis).
func niceCeil(v float64) float64 {
	if v <= 10 {
		return 10
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Chart geometry: a label column, then one panel per measure.
const (
	rcLabelW = 300.0
	rcPanelW = 300.0
	rcGap    = 48.0
	rcBarH   = 11.0
	rcTop    = 40.0
)

// ratesSVG draws the table as a bar chart: two panels (duplicate
// deliveries, duplicate effects per 1,000 uploads), per fault class one bar
// per app (naive red, idempotent green), the 95% interval as whiskers.
func ratesSVG(b *strings.Builder, t record.RateTable) {
	classes := rateClasses(t.Rows)
	perClass := 1
	for _, c := range classes {
		perClass = max(perClass, len(c.rows))
	}
	rowH := float64(perClass)*rcBarH + 10
	h := rcTop + float64(len(classes))*rowH + 28
	w := rcLabelW + 2*(rcPanelW+rcGap)
	fmt.Fprintf(b, `<svg class="rates" xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="duplicate rates per 1,000 uploads">`+"\n",
		num(w), num(h), num(w), num(h))
	b.WriteString("<title>duplicate deliveries and duplicate effects per 1,000 uploads, naive vs idempotent app, 95% interval as whiskers</title>\n")
	measures := []struct {
		title string
		get   func(record.Rate) record.Estimate
	}{
		{"duplicate deliveries / 1,000 uploads", func(r record.Rate) record.Estimate { return r.DupDeliv }},
		{"duplicate effects / 1,000 uploads", func(r record.Rate) record.Estimate { return r.DupEffect }},
	}
	bottom := rcTop + float64(len(classes))*rowH
	for i := 1; i < len(classes); i += 2 {
		fmt.Fprintf(b, `<rect class="band" x="0" y="%s" width="%s" height="%s"/>`+"\n", num(rcTop+float64(i)*rowH), num(w), num(rowH))
	}
	for i, c := range classes {
		y := rcTop + float64(i)*rowH + rowH/2
		label, cls := c.name, "rl"
		if c.predicted {
			label, cls = label+record.PredictedMark, "rl pred"
		}
		if c.farm == "" {
			fmt.Fprintf(b, `<text class="%s" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", cls, num(rcLabelW-10), num(y), html.EscapeString(label))
			continue
		}
		// The class, and below it the farm it is played on.
		fmt.Fprintf(b, `<text class="%s" x="%s" y="%s" text-anchor="end" dominant-baseline="middle"><title>%s</title>%s</text>`+"\n",
			cls, num(rcLabelW-10), num(y-6), html.EscapeString(c.name+" on "+c.farm), html.EscapeString(label))
		fmt.Fprintf(b, `<text class="rf" x="%s" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", num(rcLabelW-10), num(y+7), html.EscapeString(c.farm))
	}
	for k, m := range measures {
		x0 := rcLabelW + float64(k)*(rcPanelW+rcGap)
		top := 0.0
		for _, r := range t.Rows {
			e := m.get(r)
			top = max(top, e.High, e.Per1000)
		}
		top = niceCeil(top)
		x := func(v float64) float64 { return x0 + rcPanelW*min(max(v, 0), top)/top }
		fmt.Fprintf(b, `<text class="axt" x="%s" y="14">%s</text>`+"\n", num(x0), m.title)
		for j := 0; j <= 4; j++ {
			v := top * float64(j) / 4
			fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="ax" x="%s" y="%s" text-anchor="middle">%s</text>`+"\n",
				num(x(v)), num(rcTop-4), num(x(v)), num(bottom), num(x(v)), num(bottom+14), num(math.Round(v)))
		}
		for i, c := range classes {
			for a, r := range c.rows {
				e := m.get(r)
				y := rcTop + float64(i)*rowH + 5 + float64(a)*rcBarH
				app := "other"
				switch r.App {
				case knob.Naive.String():
					app = "naive"
				case knob.Idempotent.String():
					app = "idempotent"
				}
				fmt.Fprintf(b, `<rect class="bar %s" x="%s" y="%s" width="%s" height="%s"><title>%s, %s app: %s per 1,000 (95%% interval %s–%s), %d uploads</title></rect>`+"\n",
					app, num(x0), num(y), num(x(e.Per1000)-x0), num(rcBarH-1), html.EscapeString(c.name), html.EscapeString(r.App),
					num(math.Round(e.Per1000)), num(math.Round(e.Low)), num(math.Round(e.High)), r.Uploads)
				cy := y + (rcBarH-1)/2
				if e.High > e.Low {
					fmt.Fprintf(b, `<path class="whisk" d="M%s %sH%sM%s %sV%sM%s %sV%s"/>`+"\n", num(x(e.Low)), num(cy), num(x(e.High)),
						num(x(e.Low)), num(cy-3), num(cy+3), num(x(e.High)), num(cy-3), num(cy+3))
				}
				fmt.Fprintf(b, `<text class="rv" x="%s" y="%s" dominant-baseline="middle">%s</text>`+"\n", num(max(x(e.Per1000), x(e.High))+4), num(cy+0.5), num(math.Round(e.Per1000)))
			}
		}
		fmt.Fprintf(b, `<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s"/>`+"\n", num(x0), num(rcTop-4), num(x0), num(bottom))
	}
	b.WriteString("</svg>\n")
}
