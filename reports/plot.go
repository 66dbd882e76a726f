package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// The bytes plot is a step chart of the offset each job's server last
// acknowledged, over protocol time: resumes continue the line, rewinds (416
// resync) and restarts (new session) are drops with a marker, transport
// errors and error Acks are crosses on the line.

type point struct {
	at    time.Duration
	ord   int // position in the history, for runs that take no protocol time
	bytes int64
}

type mark struct {
	point
	kind string // restart | resync | err
	what string
}

type series struct {
	job   string
	total int64
	pts   []point
	marks []mark
}

// plotSeries reads every job's acknowledged bytes from the history: the
// answers of its client exchanges.
func plotSeries(evs []sim.Event) []*series {
	t0 := start(evs)
	ops := sim.Exchanges(evs)
	var out []*series
	by := map[string]*series{}
	for i, e := range evs {
		p := point{at: e.At.Sub(t0), ord: i}
		s := by[e.Job]
		if e.Kind == sim.JobSource {
			s = &series{job: e.Job, total: e.Total}
			by[e.Job] = s
			out = append(out, s)
			s.pts = append(s.pts, p)
			continue
		}
		if s == nil {
			continue
		}
		cur := s.pts[len(s.pts)-1].bytes
		switch x := ops.At(i); {
		case x != nil && x.Kind == sim.ExchangeClient && x.ReturnIdx == i:
			s.answer(x, p, cur)
		case e.Kind == sim.ClientSession && e.Step == sim.StepRestarted:
			p.bytes = 0
			s.pts = append(s.pts, p)
			s.marks = append(s.marks, mark{p, "restart", "restart from byte 0 (restart: " + e.Why() + ")"})
		case e.Kind == sim.JobDone:
			p.bytes = cur
			s.pts = append(s.pts, p)
		}
	}
	return out
}

// answer draws the answer to one of the job's requests: an accepted
// Fragment moves the line (a 416 with a resync mark), any other failure is
// a cross at the current height.
func (s *series) answer(x *sim.Exchange, p point, cur int64) {
	e := x.Return
	switch {
	case x.Outcome == sim.OutcomeOK && x.IsFragment():
		p.bytes = e.Offset
		s.pts = append(s.pts, p)
		if e.Status == 416 {
			s.marks = append(s.marks, mark{p, "resync", fmt.Sprintf("416 resync %d → %d", cur, e.Offset)})
		}
	case x.Outcome != sim.OutcomeOK:
		p.bytes = cur
		what := shortErr(e.Err)
		if e.Kind == sim.ClientResponse {
			what = fmt.Sprintf("%d %s", e.Status, e.Code)
		}
		s.marks = append(s.marks, mark{p, "err", e.Packet + ": " + what})
	}
}

var palette = []string{"#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d", "#7c3aed", "#0d9488", "#b45309"}

// plotSVG draws the bytes-acknowledged chart. It holds two views of the
// same data, switched by the page's script: x = protocol time (default),
// and x = history order, which spreads out what happened at one protocol
// instant (a run without faults takes no protocol time at all).
func plotSVG(b *strings.Builder, ss []*series, title string) {
	const w, h = 900.0, 270.0
	var span time.Duration
	for _, s := range ss {
		for _, p := range s.pts {
			span = max(span, p.at)
		}
		for _, m := range s.marks {
			span = max(span, m.at)
		}
	}
	cls := "bytes"
	if span == 0 {
		cls += " order only"
	}
	fmt.Fprintf(b, `<svg class="%s" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		cls, w, h, w, h, esc(title))
	if len(ss) == 0 {
		b.WriteString(`<text class="note" x="80" y="40">no jobs in the history</text></svg>`)
		return
	}
	if span > 0 {
		plotView(b, ss, false, w, h)
	}
	plotView(b, ss, true, w, h)
	b.WriteString(`</svg>`)
}

// plotFrame maps data to the drawing area of one view.
type plotFrame struct {
	left, top, plotW, plotH float64
	byOrder                 bool
	span                    time.Duration
	maxY                    int64
	minOrd, maxOrd          int
}

func (f *plotFrame) x(p point) float64 {
	if f.byOrder {
		return f.left + f.plotW*float64(p.ord-f.minOrd)/float64(f.maxOrd-f.minOrd)
	}
	return f.left + f.plotW*float64(p.at)/float64(f.span)
}

func (f *plotFrame) y(v int64) float64 { return f.top + f.plotH - f.plotH*float64(v)/float64(f.maxY) }

// newPlotFrame sizes a view to hold every point and mark of ss.
func newPlotFrame(ss []*series, byOrder bool, w, h float64) *plotFrame {
	const left, right, top, bottom = 78.0, 44.0, 16.0, 46.0
	f := &plotFrame{left: left, top: top, plotW: w - left - right, plotH: h - top - bottom, byOrder: byOrder, maxY: 1, minOrd: -1, maxOrd: 1}
	for _, s := range ss {
		f.maxY = max(f.maxY, s.total)
		for _, p := range s.pts {
			f.span, f.maxY, f.maxOrd = max(f.span, p.at), max(f.maxY, p.bytes), max(f.maxOrd, p.ord)
			if f.minOrd < 0 || p.ord < f.minOrd {
				f.minOrd = p.ord
			}
		}
		for _, m := range s.marks {
			f.span, f.maxOrd = max(f.span, m.at), max(f.maxOrd, m.ord)
		}
	}
	f.minOrd = max(f.minOrd, 0)
	if f.maxOrd <= f.minOrd {
		f.maxOrd = f.minOrd + 1
	}
	return f
}

func plotView(b *strings.Builder, ss []*series, byOrder bool, w, h float64) {
	f := newPlotFrame(ss, byOrder, w, h)
	mode := "mode-time"
	if byOrder {
		mode = "mode-order"
	}
	fmt.Fprintf(b, `<g class="%s">`, mode)
	f.axes(b, h)
	thin := len(ss) > 10
	for i, s := range ss {
		f.line(b, s, palette[i%len(palette)], thin)
	}
	b.WriteString(`</g>`)
}

// axes draws the grid, ticks, axis titles and frame.
func (f *plotFrame) axes(b *strings.Builder, h float64) {
	left, top, plotW, plotH := f.left, f.top, f.plotW, f.plotH
	for i := 0; i <= 4; i++ {
		v := f.maxY * int64(i) / 4
		yy := f.y(v)
		fmt.Fprintf(b, `<line class="grid" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/><text class="ax" x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			left, yy, left+plotW, yy, left-6, yy+4, esc(byteSize(v)))
	}
	type tick struct {
		x   float64
		lbl string
	}
	var ticks []tick
	if f.byOrder {
		for i := 0; i <= 5; i++ {
			ticks = append(ticks, tick{left + plotW*float64(i)/5, fmt.Sprintf("#%d", f.minOrd+1+(f.maxOrd-f.minOrd)*i/5)})
		}
	} else {
		step := niceStep(f.span)
		for t := time.Duration(0); t <= f.span; t += step {
			ticks = append(ticks, tick{left + plotW*float64(t)/float64(f.span), offset(t)})
		}
	}
	for _, t := range ticks {
		fmt.Fprintf(b, `<line class="tick" x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f"/><text class="ax" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`,
			t.x, top+plotH, t.x, top+plotH+4, t.x, top+plotH+16, esc(t.lbl))
	}
	xlabel := "protocol time"
	if f.byOrder {
		xlabel = "history order (event number)"
	}
	fmt.Fprintf(b, `<text class="axt" x="%.0f" y="%.0f" text-anchor="middle">%s</text>`, left+plotW/2, h-8, esc(xlabel))
	fmt.Fprintf(b, `<text class="axt" transform="translate(14 %.0f) rotate(-90)" text-anchor="middle">bytes acknowledged</text>`, top+plotH/2)
	fmt.Fprintf(b, `<rect class="frame" x="%.0f" y="%.0f" width="%.0f" height="%.0f"/>`, left, top, plotW, plotH)
}

// line draws one job's steps (the acknowledged offset holds until the
// next Ack) and its marks; retry storms are thinned out evenly.
func (f *plotFrame) line(b *strings.Builder, s *series, col string, thin bool) {
	const maxErrMarksPerLine = 60
	var d strings.Builder
	for k, p := range s.pts {
		if k == 0 {
			fmt.Fprintf(&d, "M%.1f %.1f", f.x(p), f.y(p.bytes))
			continue
		}
		fmt.Fprintf(&d, "H%.1fV%.1f", f.x(p), f.y(p.bytes))
	}
	cls := "ser"
	if thin {
		cls = "ser thin"
	}
	fmt.Fprintf(b, `<path class="%s" stroke="%s" d="%s"><title>%s</title></path>`, cls, col, d.String(), esc(s.job))
	nerr := 0
	for _, m := range s.marks {
		if m.kind == "err" {
			nerr++
		}
	}
	stride := max(1, (nerr+maxErrMarksPerLine-1)/maxErrMarksPerLine)
	errs := 0
	for _, m := range s.marks {
		x, y := f.x(m.point), f.y(m.bytes)
		switch m.kind {
		case "restart":
			fmt.Fprintf(b, `<circle class="mk restart" cx="%.1f" cy="%.1f" r="5"><title>%s: %s</title></circle>`, x, y, esc(s.job), esc(m.what))
		case "resync":
			fmt.Fprintf(b, `<path class="mk resync" d="M%.1f %.1fl5 9h-10z"><title>%s: %s</title></path>`, x, y-6, esc(s.job), esc(m.what))
		default:
			if errs++; (errs-1)%stride != 0 {
				continue
			}
			fmt.Fprintf(b, `<path class="mk err" d="M%.1f %.1fl6 6m0 -6l-6 6"><title>%s: %s</title></path>`, x-3, y-3, esc(s.job), esc(m.what))
		}
	}
}

// niceStep picks a round tick step giving at most 6 ticks over span.
func niceStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, time.Second, 5 * time.Second,
		10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour} {
		if span/s <= 5 {
			return s
		}
	}
	return span / 5
}

// byteSize formats a byte count: 0, 512 B, 200 KiB, 1.5 MiB.
func byteSize(n int64) string {
	switch {
	case n == 0:
		return "0"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }
