package reports

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WriteMarkdown writes summary.md: a compact table fit for a CI job
// summary (GitHub's $GITHUB_STEP_SUMMARY), failures first, then each
// failure with its replay command.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	verdict := "all passed"
	if r.Totals.Skipped > 0 {
		verdict = fmt.Sprintf("%d passed, %d skipped", r.Totals.Passed, r.Totals.Skipped)
	}
	if r.Totals.Failed > 0 {
		verdict = fmt.Sprintf("%d failed", r.Totals.Failed)
	}
	// Without scenario runs, the rates or the exploration are the report.
	noRuns := r.Totals.Runs == 0 && (r.Rates != nil || r.Explore != nil)
	switch {
	case r.Explore != nil:
		fmt.Fprintf(&b, "## bitsim explore: %s\n\n", exploreVerdict(*r.Explore))
	case noRuns:
		fmt.Fprintf(&b, "## bitsim: duplicate rates, %d fault classes × %d uploads per app\n\n", len(rateClasses(r.Rates.Rows)), r.Rates.Uploads)
	default:
		fmt.Fprintf(&b, "## bitsim: %s, %s\n\n", plural(r.Totals.Runs, "scenario run"), verdict)
	}
	fmt.Fprintf(&b, "Seed `%d`", r.Run.Seed)
	if len(r.Run.Command) > 0 {
		fmt.Fprintf(&b, " · `%s`", mdCode(strings.Join(r.Run.Command, " ")))
	}
	if !r.Run.Started.IsZero() {
		fmt.Fprintf(&b, " · started %s · %.1f s", r.Run.Started.UTC().Format("2006-01-02 15:04:05Z"), r.Run.WallSeconds)
	}
	if !noRuns && r.Explore == nil {
		fmt.Fprintf(&b, " · %d passed, %d failed", r.Totals.Passed, r.Totals.Failed)
		if r.Totals.Skipped > 0 {
			fmt.Fprintf(&b, ", %d skipped", r.Totals.Skipped)
		}
	}
	b.WriteString("\n\n")
	if r.Rates != nil {
		writeRatesMarkdown(&b, *r.Rates)
	}
	if r.Explore != nil {
		writeExploreMarkdown(&b, *r.Explore)
	}
	if noRuns {
		_, err := io.WriteString(w, b.String())
		return err
	}
	if r.Explore != nil {
		fmt.Fprintf(&b, "### Reproducers: %s, %s\n\n", plural(r.Totals.Runs, "scenario run"), verdict)
	}

	b.WriteString("| | Scenario | Seed | Deliveries | Effects | Restarts | Bytes re-sent | Protocol / wall time (×) | Verdict |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, s := range failuresFirst(r.Scenarios) {
		icon, v := "✅", "pass"
		switch {
		case s.Skipped != "":
			icon, v = "⏭️", "skipped: "+mdCell(s.Skipped)
		case !s.Passed:
			icon, v = "❌", "**FAIL**"
		}
		f := s.Figures
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", icon, mdCell(s.ID), s.Seed, f.Deliveries, f.Effects,
			f.Restarts, groupDigits(f.BytesResent), timeCell(s.Time), v)
	}
	var failed []ScenarioReport
	for _, s := range r.Scenarios {
		if !s.Passed {
			failed = append(failed, s)
		}
	}
	if len(failed) > 0 {
		b.WriteString("\n### Failures\n")
		for _, s := range failed {
			fmt.Fprintf(&b, "\n#### ❌ %s (seed %d)\n\n", mdText(s.ID), s.Seed)
			for _, f := range s.Failures {
				fmt.Fprintf(&b, "- %s\n", mdText(f))
			}
			fmt.Fprintf(&b, "\nReplay: `%s`\n", mdCode(s.Replay))
			if vs := failedVerdicts(s); len(vs) > 0 {
				b.WriteString("\n<details><summary>Checker explanations</summary>\n\n```text\n")
				for _, v := range vs {
					b.WriteString(strings.ReplaceAll(v, "```", "'''"))
					b.WriteString("\n")
				}
				b.WriteString("```\n\n</details>\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// failuresFirst orders scenario runs failures first, keeping run order.
func failuresFirst(in []ScenarioReport) []ScenarioReport {
	out := append([]ScenarioReport(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Passed && out[j].Passed })
	return out
}

func timeCell(t Time) string {
	switch {
	case t.WallNS == 0:
		return t.Protocol
	case t.Compression == 0:
		return fmt.Sprintf("%s / %s", t.Protocol, t.Wall)
	}
	return fmt.Sprintf("%s / %s (×%s)", t.Protocol, t.Wall, compression(t.Compression))
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}

// mdText keeps text on one line and defuses HTML.
func mdText(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCode keeps an inline code span intact.
func mdCode(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "`", "'")
}

// groupDigits formats n with thousands separators: 196,608.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
