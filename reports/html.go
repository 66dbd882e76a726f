package reports

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/bitsim/bitsim/record"
)

// report.html is one self-contained file: inline CSS, a few lines of
// inline JS (expand/collapse, failures-only filter) and inline SVG; no
// external assets, so it can be attached to CI runs and opened offline.

type htmlScenario struct {
	ScenarioReport
	Index    int
	Open     bool
	Class    string
	Timeline template.HTML
	Plot     template.HTML
	Legend   []legendItem
	More     int // jobs not in the legend
	Explain  []string
}

type legendItem struct {
	Job   string
	Color string
}

type htmlPage struct {
	Report
	Title      string
	RatesIntro string
	RatesChart template.HTML
	// IntervalNote explains the rates' 95% intervals.
	IntervalNote string
	// PredictedNote explains the star of the predicted classes.
	PredictedNote string
	// The exploration's headline, held invariants, scope and coverage
	// rows (Report.Explore).
	ExploreHeadline string
	ExploreHeld     []string
	ScopeLine       string
	NoGuarantee     string
	ExploreCoverage []exploreCoverage
	Scenarios       []htmlScenario
	Order           []htmlScenario // failures first, for the summary table
}

func (o Options) writeHTML(w io.Writer, rep Report, results []*record.Result) error {
	maxRows := o.MaxRows
	if maxRows <= 0 {
		maxRows = 240
	}
	page := htmlPage{Report: rep, Title: "bitsim report"}
	if rep.Totals.Failed > 0 {
		page.Title = fmt.Sprintf("bitsim report: %d of %d failed", rep.Totals.Failed, rep.Totals.Runs)
	}
	if rep.Rates != nil {
		var b strings.Builder
		ratesSVG(&b, *rep.Rates)
		page.RatesChart, page.RatesIntro, page.PredictedNote = template.HTML(b.String()), ratesIntro(*rep.Rates), record.PredictedNote
		page.IntervalNote = record.IntervalNote
		if rep.Totals.Runs == 0 {
			page.Title = "bitsim duplicate rates"
		}
	}
	if e := rep.Explore; e != nil {
		page.Title = "bitsim explore: " + exploreVerdict(*e)
		page.ExploreHeadline, page.ExploreHeld, page.ExploreCoverage = exploreHeadline(*e), heldInvariants(*e), coverageRows(*e)
		if e.Scope != nil {
			page.ScopeLine, page.NoGuarantee = scopeLine(*e.Scope), noGuarantee(*e)
		}
	}
	i := 0
	for _, r := range results {
		if r == nil {
			continue
		}
		s := rep.Scenarios[i]
		hs := htmlScenario{ScenarioReport: s, Index: i, Open: !s.Passed, Class: "pass"}
		switch {
		case s.Skipped != "":
			hs.Class = "skip"
		case !s.Passed:
			hs.Class = "fail"
		}
		var b strings.Builder
		buildTimeline(r.Events, r.Ledger, maxRows).svg(&b, "sequence diagram of "+s.ID)
		hs.Timeline = template.HTML(b.String())
		b.Reset()
		ss := plotSeries(r.Events)
		plotSVG(&b, ss, "bytes acknowledged per job, "+s.ID)
		hs.Plot = template.HTML(b.String())
		for k, x := range ss {
			if k == 10 {
				hs.More = len(ss) - k
				break
			}
			hs.Legend = append(hs.Legend, legendItem{strings.TrimPrefix(x.job, "job-"), palette[k%len(palette)]})
		}
		hs.Explain = failedVerdicts(s)
		page.Scenarios = append(page.Scenarios, hs)
		i++
	}
	page.Order = append([]htmlScenario(nil), page.Scenarios...)
	fs := failuresFirst(rep.Scenarios)
	for k := range fs {
		for _, hs := range page.Scenarios {
			if hs.ID == fs[k].ID && hs.Seed == fs[k].Seed {
				page.Order[k] = hs
				break
			}
		}
	}
	return pageTmpl.Execute(w, page)
}

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"bytes":  func(n int64) string { return groupDigits(n) },
	"timec":  timeCell,
	"join":   strings.Join,
	"plural": plural,
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --fail:#c62828; --pass:#2e7d32; --unk:#b26a00; --ink:#1f2933; --mute:#6b7785; --line:#d9dee4; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
header { background: #14213d; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #c9d3e0; font-size: 13px; }
header code { color: #fff; }
main { padding: 18px 28px 60px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; } .dot.pass { background: var(--pass); } .dot.fail { background: var(--fail); }
.badge.fail { background: var(--fail); } .badge.pass { background: var(--pass); } .badge.unknown { background: var(--unk); } .badge.skip { background: #9ca3af; } .dot.skip { background: #9ca3af; }
.totals { margin: 4px 0 14px; font-size: 15px; }
.controls { margin: 10px 0 16px; }
.controls button, .controls label { font: inherit; margin-right: 10px; }
button { border: 1px solid var(--line); background: var(--bg); border-radius: 6px; padding: 4px 10px; cursor: pointer; }
table { border-collapse: collapse; }
#summary { width: 100%; margin-bottom: 22px; }
#summary th, #summary td, .tbl th, .tbl td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
#summary th, .tbl th { background: var(--bg); font-weight: 600; font-size: 13px; }
#summary td.num, .tbl td.num { text-align: right; font-variant-numeric: tabular-nums; }
#summary tr.fail td { background: #fff5f5; }
#summary a { color: inherit; }
details.scenario { border: 1px solid var(--line); border-radius: 8px; margin: 10px 0; background: #fff; }
details.scenario.fail { border-color: #e8a5a5; }
details.scenario > summary { cursor: pointer; padding: 9px 14px; font-size: 15px; list-style-position: outside; margin-left: 14px; }
details.scenario > summary .sub { color: var(--mute); font-size: 13px; margin-left: 8px; }
details.scenario > .body { padding: 0 18px 16px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.desc { color: #374151; max-width: 1100px; }
.failures li { color: var(--fail); }
.replay { background: #0f172a; color: #e2e8f0; padding: 8px 12px; border-radius: 6px; display: inline-block; font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
ol.chain { margin: 4px 0 8px; padding-left: 22px; font-size: 13px; }
ol.chain li { margin: 1px 0; }
.finding { margin: 2px 0; }
.finding .msg { font-weight: 500; }
.dups { border-left: 4px solid var(--fail); background: #fff7f7; padding: 6px 14px; margin: 8px 0; max-width: 1200px; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fcfcfd; }
.legend { font-size: 12px; color: var(--mute); margin: 4px 0; }
.legend span.sw { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin: 0 4px 0 10px; }
pre.explain { background: var(--bg); padding: 8px 12px; border-radius: 6px; font-size: 12px; white-space: pre-wrap; }
.hidepass details.scenario.pass, .hidepass #summary tr.pass { display: none; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .lane { stroke: #b8c2cc; stroke-width: 1.2; stroke-dasharray: 4 3; }
svg .lanehead { fill: #eef2f7; stroke: #9aa8b6; }
svg .lanehead.k0 { fill: #e3efff; } svg .lanehead.k1 { fill: #f1f1f1; } svg .lanehead.k2 { fill: #e9f7ec; } svg .lanehead.k3 { fill: #f6ecff; }
svg .lanelbl { font-weight: 600; text-anchor: middle; font-size: 12px; }
svg .tcol { fill: var(--mute); font-size: 11px; }
svg .t { fill: var(--mute); font-size: 10.5px; font-variant-numeric: tabular-nums; }
svg .l { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; fill: #1f2933; }
svg line.a { stroke-width: 1.4; }
svg line.req { stroke: #2563eb; } svg text.req { fill: #1d4ed8; }
svg line.ack { stroke: #16a34a; stroke-dasharray: 5 3; } svg text.ack { fill: #15803d; }
svg line.resync { stroke: #ea580c; stroke-dasharray: 5 3; } svg text.resync { fill: #c2410c; font-weight: 600; }
svg line.err { stroke: var(--fail); stroke-dasharray: 3 3; } svg text.err { fill: var(--fail); font-weight: 600; }
svg line.notify { stroke: #7c3aed; } svg text.notify { fill: #6d28d9; }
svg line.answer { stroke: #7c3aed; stroke-dasharray: 5 3; } svg text.answer { fill: #6d28d9; }
svg line.sum { stroke: #0f766e; stroke-width: 3; } svg text.sum { fill: #0f766e; font-weight: 600; }
svg line.sumerr { stroke: var(--fail); stroke-width: 3; stroke-dasharray: 6 3; } svg text.sumerr { fill: var(--fail); font-weight: 600; }
svg .via { fill: #fff; stroke: #555; stroke-width: 1.2; }
svg .down { fill: url(#hatch); stroke: none; }
svg .xbar { stroke: var(--fail); stroke-width: 3; }
svg .x { stroke: var(--fail); stroke-width: 3; fill: none; }
svg .rbar { stroke: var(--pass); stroke-width: 3; }
svg .r { fill: var(--pass); }
svg .n { fill: #64748b; }
svg circle.dlv { fill: #dcfce7; stroke: var(--pass); stroke-width: 1.5; }
svg circle.dup { fill: var(--fail); stroke: #7f1d1d; stroke-width: 1.5; }
svg .dn { text-anchor: middle; font-weight: 700; font-size: 10.5px; }
svg text.mcrash, svg text.mdup, svg text.mfault { fill: var(--fail); font-weight: 700; }
svg text.mrestart { fill: var(--pass); font-weight: 600; }
svg text.mnote { fill: #475569; }
svg line.fault { stroke: var(--fail); stroke-width: 2; stroke-dasharray: 8 4; }
svg text.gap { fill: var(--mute); font-style: italic; }
svg .grid { stroke: #e5e7eb; } svg .tick { stroke: #9ca3af; } svg .frame { fill: none; stroke: #9ca3af; }
svg .ax { fill: var(--mute); font-size: 10.5px; } svg .axt { fill: #374151; font-size: 11.5px; }
svg .ser { fill: none; stroke-width: 2; } svg .ser.thin { stroke-width: 1; opacity: .55; }
svg .mk.restart { fill: var(--fail); stroke: #fff; stroke-width: 1.5; }
svg .mk.resync { fill: #ea580c; }
svg.bytes .mode-order { display: none; } svg.bytes.order .mode-order { display: inline; } svg.bytes.order .mode-time { display: none; }
h3 button.xmode { font-size: 12px; font-weight: normal; margin-left: 10px; }
svg .mk.err { stroke: #334155; stroke-width: 1.6; fill: none; }
#rates h2, #explore h2, h2.repros { font-size: 18px; margin: 6px 0 6px; }
#explore .held { color: var(--pass); font-weight: 600; }
#explore .guarantee { border-left: 4px solid var(--pass); background: #f3faf4; padding: 8px 14px; margin: 10px 0; max-width: 1100px; }
#explore .noguarantee { border-left: 4px solid var(--fail); background: #fff5f5; padding: 8px 14px; margin: 10px 0; max-width: 1100px; }
#explore details.explain > summary { cursor: pointer; margin: 8px 0; }
#explore-violations tr.fail td { background: #fff5f5; } #explore-violations .badge { white-space: nowrap; }
#rates .scroll { margin: 8px 0 12px; }
.legend span.box { display: inline-block; width: 12px; height: 10px; vertical-align: middle; margin: 0 4px 0 10px; }
.box.naive, svg .bar.naive { background: var(--fail); fill: var(--fail); }
.box.idempotent, svg .bar.idempotent { background: var(--pass); fill: var(--pass); }
svg .bar.other { fill: #64748b; }
svg .whisk { stroke: #111827; stroke-width: 1.2; fill: none; }
svg .band { fill: #f6f8fa; }
svg .rl.pred { font-weight: 700; }
svg .rf { fill: var(--mute); font-size: 10px; }
svg .rv { fill: #374151; font-size: 10px; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<svg width="0" height="0" style="position:absolute" aria-hidden="true">
<defs>
<marker id="ah-req" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#2563eb"/></marker>
<marker id="as-req" viewBox="0 0 10 10" refX="1" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M10 0L0 5L10 10z" fill="#2563eb"/></marker>
<marker id="ah-ack" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#16a34a"/></marker>
<marker id="as-ack" viewBox="0 0 10 10" refX="1" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M10 0L0 5L10 10z" fill="#0f766e"/></marker>
<marker id="ah-sum" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L10 5L0 10z" fill="#0f766e"/></marker>
<marker id="ah-resync" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L10 5L0 10z" fill="#ea580c"/></marker>
<marker id="ah-err" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M1 1L9 9M9 1L1 9" stroke="#c62828" stroke-width="2.2"/></marker>
<marker id="ah-notify" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L10 5L0 10z" fill="#7c3aed"/></marker>
<marker id="ah-answer" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L10 5L0 10z" fill="#7c3aed"/></marker>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fde2e2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e57373" stroke-width="2.5"/></pattern>
</defs>
</svg>
<header>
<h1>bitsim report {{if .Run.Passed}}<span class="badge pass">PASS</span>{{else}}<span class="badge fail">FAIL</span>{{end}}</h1>
<div class="meta">seed <code>{{.Run.Seed}}</code>{{with .Run.Command}} · <code>{{join . " "}}</code>{{end}} · run directory <code>{{.Run.Dir}}</code>{{if not .Run.Started.IsZero}} · started {{.Run.Started.UTC.Format "2006-01-02 15:04:05Z"}} · {{printf "%.1f" .Run.WallSeconds}} s wall{{end}} · schema {{.Schema}}</div>
</header>
<main>
{{with .Rates}}<section id="rates">
<h2>Duplicate rates per 1,000 uploads</h2>
<p class="desc">{{$.RatesIntro}}</p>
<div class="legend"><span class="box naive"></span>naive app <span class="box idempotent"></span>idempotent app · whiskers: 95% interval · {{$.PredictedNote}}</div>
<div class="scroll">{{$.RatesChart}}</div>
<table class="tbl" id="rates-table"><thead><tr><th>Fault class</th><th>Farm</th><th>App</th><th>Uploads</th><th>Duplicate deliveries / 1,000 (95% CI)</th><th>Duplicate effects / 1,000 (95% CI)</th></tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Class}}{{if .Predicted}} *{{end}}</td><td>{{.Farm}}</td><td>{{.App}}</td><td class="num">{{.Uploads}}</td><td class="num">{{.DupDeliv}}</td><td class="num">{{.DupEffect}}</td></tr>
{{end}}</tbody></table>
<p class="legend">{{$.IntervalNote}}</p>
{{range .Notes}}<p class="legend">{{.}}</p>{{end}}
</section>{{end}}
{{with .Explore}}<section id="explore">
<h2>Exploration {{if .Held}}<span class="badge pass">every invariant held</span>{{else}}<span class="badge fail">{{plural (len .Violations) "distinct violation"}}</span>{{end}}</h2>
<p class="desc">{{$.ExploreHeadline}}</p>
{{if .Held}}<p class="held">Every invariant held in every run: {{join .Invariants ", "}}.</p>
{{else}}<table class="tbl" id="explore-violations"><thead><tr><th>Invariant</th><th>Runs seen</th><th>Faults in reproducer</th><th>Reproducer</th><th>Replay</th></tr></thead><tbody>
{{range .Violations}}<tr class="fail"><td><span class="badge fail">{{.Invariant}}</span></td><td class="num">{{.Seen}}</td><td>{{.Shrink}}</td><td><a href="{{.Repro}}"><code>{{.Repro}}</code></a></td><td><code class="replay">{{.Replay}}</code></td></tr>
{{end}}</tbody></table>
{{with $.ExploreHeld}}<p>Held in every run: {{join . ", "}}.</p>{{end}}
<details class="explain"><summary>Violations explained</summary>
{{range .Violations}}<h3>{{.Invariant}} (first in run {{.FirstRun}})</h3><p>{{.Title}}</p><pre class="explain">{{.Explanation}}</pre>
{{end}}</details>
{{end}}{{with .Scope}}<h3>Exhaustive scope</h3>
<p class="desc">{{$.ScopeLine}}</p>
<table class="tbl" id="explore-coverage"><thead><tr><th>Fault class</th><th>Single faults</th><th>Schedules</th><th>Failing</th><th>Faults placed</th><th>Fired</th></tr></thead><tbody>
{{range $.ExploreCoverage}}<tr><td>{{.Class}}</td><td class="num">{{.Faults}}</td><td class="num">{{.Schedules}}</td><td class="num">{{.Failing}}</td><td class="num">{{.Drawn}}</td><td class="num">{{.Fired}}</td></tr>
{{end}}</tbody></table>
{{with .Guarantee}}<p class="guarantee">{{.}}</p>{{else}}<p class="noguarantee">{{$.NoGuarantee}}</p>{{end}}
{{else}}{{with $.ExploreCoverage}}<h3>Coverage: faults drawn and fired per class</h3>
<table class="tbl" id="explore-coverage"><thead><tr><th>Fault class</th><th>Drawn</th><th>Fired</th></tr></thead><tbody>
{{range .}}<tr><td>{{.Class}}</td><td class="num">{{.Drawn}}</td><td class="num">{{.Fired}}</td></tr>
{{end}}</tbody></table>{{end}}
{{end}}</section>
{{if $.Scenarios}}<h2 class="repros">Reproducers</h2>{{end}}{{end}}
{{if or .Scenarios (not (or .Rates .Explore))}}<div class="totals"><b>{{.Totals.Runs}}</b> scenario runs: <b style="color:var(--pass)">{{.Totals.Passed}} passed</b>, <b style="color:var(--fail)">{{.Totals.Failed}} failed</b>{{if .Totals.Errors}} ({{.Totals.Errors}} could not run){{end}}{{if .Totals.Skipped}}, <b>{{.Totals.Skipped}} skipped</b>{{end}}.</div>
<div class="controls"><button type="button" id="expand">Expand all</button><button type="button" id="collapse">Collapse all</button><label><input type="checkbox" id="onlyfail"> failures only</label></div>
<table id="summary">
<thead><tr><th></th><th>Scenario</th><th>Spec</th><th>Seed</th><th>Deliveries</th><th>Effects</th><th>Dups</th><th>Restarts</th><th>Bytes re-sent</th><th>Protocol / wall time (×)</th><th>Verdict</th></tr></thead>
<tbody>
{{range .Order}}<tr class="{{.Class}}"><td><span class="dot {{.Class}}"></span></td><td><a href="#s{{.Index}}">{{.ID}}</a></td><td>{{.Spec}}</td><td class="num">{{.Seed}}</td><td class="num">{{.Figures.Deliveries}}</td><td class="num">{{.Figures.Effects}}</td><td class="num">{{.Figures.Duplicates}}</td><td class="num">{{.Figures.Restarts}}</td><td class="num">{{bytes .Figures.BytesResent}}</td><td>{{timec .Time}}</td><td>{{if .Skipped}}<span class="badge skip">skipped</span>{{else if .Passed}}<span class="badge pass">pass</span>{{else}}<span class="badge fail">FAIL</span>{{end}}</td></tr>
{{end}}</tbody>
</table>{{end}}
{{range .Scenarios}}
<details class="scenario {{.Class}}" id="s{{.Index}}"{{if .Open}} open{{end}}>
<summary>{{if .Skipped}}<span class="badge skip">skipped</span>{{else if .Passed}}<span class="badge pass">pass</span>{{else}}<span class="badge fail">FAIL</span>{{end}} <b>{{.ID}}</b><span class="sub">{{with .Spec}}{{.}} · {{end}}seed {{.Seed}} · {{.Figures.Deliveries}} deliveries, {{.Figures.Effects}} effects, {{.Figures.Restarts}} restarts · {{timec .Time}}</span></summary>
<div class="body">
<p class="desc">{{.Description}}</p>
{{with .Skipped}}<p class="skipped"><b>Skipped:</b> {{.}}</p>{{end}}
{{with .App}}<p class="app">Your application: <code>{{.App}}</code> · effect probe: {{if .Probe}}<code>{{.Probe}}</code>{{else}}none{{end}}{{with .Err}} · <span style="color:var(--fail)">probe error: {{.}}</span>{{end}}</p>{{end}}
{{if not .Passed}}<h3>Failures</h3><ul class="failures">{{range .Failures}}<li>{{.}}</li>{{end}}</ul>{{end}}
<div>Replay: <code class="replay">{{.Replay}}</code></div>
<h3>Verdicts</h3>
<table class="tbl"><thead><tr><th>Checker</th><th>Status</th><th>Summary and findings</th></tr></thead><tbody>
{{range .Verdicts}}{{$dup := eq .Checker "duplicates"}}<tr><td>{{.Checker}}</td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td>{{.Summary}}{{range .Findings}}<div class="finding">[{{.Status}}] <span class="msg">{{.Message}}</span>{{if $dup}}{{if .Chain}} <i>(cause chain below)</i>{{end}}{{else}}{{with .Chain}}<ol class="chain">{{range .}}<li>{{.}}</li>{{end}}</ol>{{end}}{{end}}</div>{{end}}</td></tr>
{{end}}</tbody></table>
{{with .Duplicates}}<h3>Duplicate deliveries, explained</h3>{{range .}}<div class="dups"><div class="msg"><b>{{.Message}}</b></div><ol class="chain">{{range .Chain}}<li>{{.}}</li>{{end}}</ol></div>{{end}}{{end}}
<h3>Sequence diagram</h3>
<div class="legend">blue: requests · green dashed: Acks · purple: notifications and answers · red: faults, crashes, errors (× = failed exchange; hatched lane = node down) · ○ on the balancer: routed there · teal bars: collapsed runs of exchanges · app lane: deliveries numbered, duplicates red</div>
<div class="scroll">{{.Timeline}}</div>
<h3>Bytes acknowledged per job <button type="button" class="xmode">x axis: history order</button></h3>
<div class="legend">{{range .Legend}}<span class="sw" style="background:{{.Color}}"></span>{{.Job}}{{end}}{{if .More}} and {{.More}} more jobs{{end}} · <span style="color:var(--fail)">●</span> restart from byte 0 · <span style="color:#ea580c">▲</span> 416 resync/rewind · × interruption (transport error or error Ack)</div>
<div class="scroll plot">{{.Plot}}</div>
{{with .Faults}}<h3>Faults</h3><table class="tbl"><thead><tr><th>Fault</th><th>Trigger</th><th>Action</th><th>Fired</th><th>When</th></tr></thead><tbody>
{{range .}}<tr><td>{{.Name}}{{if .Optional}} <i>(optional)</i>{{end}}</td><td>{{.Trigger}}</td><td>{{.Action}}</td><td class="num">{{.Fired}}</td><td>{{range .Firings}}{{.At}}{{with .Node}} on {{.}}{{end}}{{with .Err}} <b>failed: {{.}}</b>{{end}} (#{{.Seq}})<br>{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
<h3>Jobs</h3>
<table class="tbl"><thead><tr><th>Job</th><th>State</th><th>Size</th><th>Sent</th><th>Re-sent</th><th>Sessions</th><th>Restarts</th><th>Resumes</th><th>Retries</th><th>Interruptions and outcomes</th></tr></thead><tbody>
{{range .Jobs}}<tr><td>{{.Name}}{{with .Txn}}<br><small>txn {{.}}</small>{{end}}</td><td>{{.Client.State}}{{with .Client.Code}} {{.}}{{end}}{{with .Client.Error}}<br><small>{{.}}</small>{{end}}</td><td class="num">{{bytes .Size}}</td><td class="num">{{bytes .Stats.BytesSent}}</td><td class="num">{{bytes .Stats.BytesResent}}</td><td class="num">{{.Stats.Sessions}}</td><td class="num">{{.Stats.Restarts}}</td><td class="num">{{.Stats.Resumes}}</td><td class="num">{{.Stats.Retries}}</td><td>{{range .Stats.Outcomes}}{{.}}<br>{{end}}</td></tr>
{{end}}</tbody></table>
{{with .Explain}}<h3>Checker explanations</h3><pre class="explain">{{range .}}{{.}}
{{end}}</pre>{{end}}
</div>
</details>
{{end}}
</main>
<script>
(function () {
  var all = function () { return document.querySelectorAll("details.scenario"); };
  var rates = document.querySelector("svg.rates");
  if (rates) { rates.setAttribute("data-bars", String(rates.querySelectorAll("rect.bar").length)); }
  var ex = document.getElementById("explore");
  if (ex) {
    ex.setAttribute("data-violations", String(ex.querySelectorAll("#explore-violations tbody tr").length));
    ex.setAttribute("data-classes", String(ex.querySelectorAll("#explore-coverage tbody tr").length));
  }
  var s = document.getElementById("summary");
  if (!s) { return; }
  document.getElementById("expand").onclick = function () { all().forEach(function (d) { d.open = true; }); };
  document.getElementById("collapse").onclick = function () { all().forEach(function (d) { d.open = false; }); };
  document.getElementById("onlyfail").onchange = function (e) { document.body.classList.toggle("hidepass", e.target.checked); };
  document.querySelectorAll("#summary a").forEach(function (a) {
    a.onclick = function () { var d = document.querySelector(a.getAttribute("href")); if (d) { d.open = true; } };
  });
  document.querySelectorAll("button.xmode").forEach(function (b) {
    var svg = b.closest("details").querySelector("svg.bytes");
    if (!svg || svg.classList.contains("only")) { b.remove(); return; }
    b.onclick = function () {
      var o = svg.classList.toggle("order");
      b.textContent = o ? "x axis: protocol time" : "x axis: history order";
    };
  });
  var n = 0, sections = all();
  sections.forEach(function (d) { if (d.querySelector("svg.timeline")) { n++; } });
  s.setAttribute("data-sections", String(sections.length));
  s.setAttribute("data-timelines", String(n));
})();
</script>
</body>
</html>
`
