package conform

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON (schema Schema).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Groups returns the results by group, in catalogue order.
func (r *Report) Groups() (names []string, by map[string][]Result) {
	by = map[string][]Result{}
	for _, res := range r.Results {
		if _, ok := by[res.Group]; !ok {
			names = append(names, res.Group)
		}
		by[res.Group] = append(by[res.Group], res)
	}
	return names, by
}

// FailureText is a failed probe's explanation: what a conforming server
// does, what happened, and every exchange.
func FailureText(res Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (docs/protocol.md %s)\n%s\n", res.Title, res.Section, res.Message)
	for i, e := range res.Exchanges {
		fmt.Fprintf(&b, "\n--- exchange %d (connection %d) ---\n> %s", i+1, e.Conn, indent(e.Request, "> "))
		if e.Response != "" {
			fmt.Fprintf(&b, "\n< %s", indent(e.Response, "< "))
		}
		if e.Err != "" {
			fmt.Fprintf(&b, "\n! %s", e.Err)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// WriteMarkdown writes summary.md: totals, a table per group, then each
// failure with its exchanges.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	verdict := "PASS"
	if r.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "# bitsim conform: %s\n\n", verdict)
	fmt.Fprintf(&b, "Target `%s`, seed %d: **%d probes, %d passed, %d failed, %d not applicable** (%.1f s).\n\n",
		r.Target, r.Seed, r.Totals.Probes, r.Totals.Passed, r.Totals.Failed, r.Totals.NotApplicable, r.Seconds)
	if len(r.Channels) == 0 {
		b.WriteString("Stored files: not verified (no channel).\n\n")
	} else {
		fmt.Fprintf(&b, "Stored files verified through: %s.\n\n", strings.Join(r.Channels, "; "))
	}
	names, by := r.Groups()
	for _, g := range names {
		fmt.Fprintf(&b, "## %s\n\n| probe | spec | outcome | detail |\n|---|---|---|---|\n", g)
		for _, res := range by[g] {
			detail := res.Message
			if detail == "" {
				detail = strings.Join(res.Notes, "; ")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(res.ID), res.Section, outcomeMark(res.Outcome), mdCell(detail))
		}
		b.WriteString("\n")
	}
	for _, res := range r.Results {
		if res.Outcome == Fail {
			fmt.Fprintf(&b, "### FAIL %s (%s)\n\n```\n%s```\n\n", res.ID, res.Section, strings.ReplaceAll(FailureText(res), "```", "'''"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomeMark(o Outcome) string {
	switch o {
	case Pass:
		return "pass"
	case Fail:
		return "**FAIL**"
	}
	return "n/a"
}

func mdCell(s string) string {
	s = strings.ReplaceAll(firstLine(s), "|", `\|`)
	return strings.ReplaceAll(s, "`", "'")
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{"failureText": FailureText}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bitsim conform {{.R.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
.pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}.na{color:#777}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;font-size:90%}
</style></head><body>
<h1>bitsim conform: {{if .R.Failed}}<span class="fail">FAIL</span>{{else}}<span class="pass">PASS</span>{{end}}</h1>
<p>Target <code>{{.R.Target}}</code>, seed {{.R.Seed}}: {{.R.Totals.Probes}} probes, {{.R.Totals.Passed}} passed,
{{.R.Totals.Failed}} failed, {{.R.Totals.NotApplicable}} not applicable.
Stored files: {{if .R.Channels}}{{range $i, $c := .R.Channels}}{{if $i}}; {{end}}{{$c}}{{end}}{{else}}not verified{{end}}.</p>
{{range .Groups}}<h2>{{.Name}}</h2>
<table><tr><th>probe</th><th>spec</th><th>outcome</th><th>what a conforming server does</th><th>detail</th></tr>
{{range .Results}}<tr><td>{{.ID}}</td><td>{{.Section}}</td>
<td class="{{if eq .Outcome "pass"}}pass{{else if eq .Outcome "fail"}}fail{{else}}na{{end}}">{{.Outcome}}</td>
<td>{{.Title}}</td><td>{{.Message}}{{range .Notes}}<br>{{.}}{{end}}
{{if eq .Outcome "fail"}}<details><summary>exchanges</summary><pre>{{failureText .}}</pre></details>{{end}}</td></tr>
{{end}}</table>
{{end}}</body></html>
`))

// WriteHTML writes report.html: one self-contained page, a table per
// group, failures with their exchanges.
func (r *Report) WriteHTML(w io.Writer) error {
	type group struct {
		Name    string
		Results []Result
	}
	names, by := r.Groups()
	var gs []group
	for _, g := range names {
		gs = append(gs, group{g, by[g]})
	}
	return page.Execute(w, struct {
		R      *Report
		Groups []group
	}{r, gs})
}
