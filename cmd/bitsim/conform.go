package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/conform"
	"github.com/bitsim/bitsim/reports"
	"github.com/bitsim/bitsim/sim"
)

func init() { register(newConformCmd) }

type conformFlags struct {
	out             string
	formats         string
	seed            uint64
	appAddr         string
	ledgerURL       string
	storedDir       string
	verifyCmd       string
	maxUploadSize   int64
	maxFragmentSize int64
	probes          []string
	list            bool
	timeout         time.Duration
	insecure        bool
	headers         []string
}

func newConformCmd() *cobra.Command {
	var f conformFlags
	cmd := &cobra.Command{
		Use:   "conform [flags] URL",
		Short: "Probe any BITS upload server for conformance and robustness (black box, over HTTP)",
		Long: `conform runs a catalogue of probes against the BITS upload server whose upload
directory is URL (e.g. http://host/upload/): protocol negotiation, packet
types and headers, fragments (overlaps, gaps, bad ranges), sessions (new TCP
connections, unknown, cancelled and closed sessions, id case), the form of
error Acks, limits, and notification and reply where the server offers them.
Each probe passes, fails (with the docs/protocol.md section and the exact
exchange), or is not applicable.

What the server stored is checked through whatever it exposes:
  - its notification to conform's mock application, started on --app (the
    notification URL is printed; point the server's BITSServerNotificationURL
    at it); a first calibration upload tells whether notifications arrive;
  - --ledger-url, the ledger of another bitsim mock app the server notifies
    (bitsim serve prints it as ledger_url);
  - --stored-dir, the directory where finished uploads appear;
  - --verify-cmd, a shell command printing the stored file (BITSIM_NAME,
    BITSIM_URL, BITSIM_SIZE, BITSIM_SHA256 in its environment).

Reports (report.json, junit.xml, summary.md, report.html) go to --out.
Exit status: 0 if no probe failed, 1 if one did, 2 for a usage error.`,
		Example: `  bitsim conform http://127.0.0.1:8080/upload/ --ledger-url http://127.0.0.1:9000/ledger
  bitsim conform --app 127.0.0.1:9000 https://bits.example/upload/ --header "Authorization: Basic ..."
  bitsim conform --stored-dir /srv/bits/upload --probe 'fragments/*' http://127.0.0.1/upload/
  bitsim conform --verify-cmd 'ssh srv cat "/srv/bits/upload/$BITSIM_NAME"' http://srv/upload/`,
		Args: cobra.ArbitraryArgs, // checked in RunE: exit 2
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				return listProbes(cmd.OutOrStdout())
			}
			if len(args) != 1 {
				return usage(fmt.Errorf("conform: want one URL, got %d argument(s)", len(args)))
			}
			return runConform(cmd.Context(), cmd.OutOrStdout(), f, args[0])
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage(err) })
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "reports directory (default ./bitsim-out/conform-<timestamp>)")
	fl.StringVar(&f.formats, "format", "all", "report formats: json, junit, markdown, html or all")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the payloads (0: draw one; printed)")
	fl.StringVar(&f.appAddr, "app", "127.0.0.1:0", "start conform's mock application on this loopback `ADDR` (empty: none; not started with --ledger-url)")
	fl.StringVar(&f.ledgerURL, "ledger-url", "", "ledger of a bitsim mock app the server notifies")
	fl.StringVar(&f.storedDir, "stored-dir", "", "`DIR` where the server puts finished uploads (DIR/<file name>)")
	fl.StringVar(&f.verifyCmd, "verify-cmd", "", "shell `COMMAND` that prints the stored file $BITSIM_NAME, or exits non-zero if there is none")
	fl.Int64Var(&f.maxUploadSize, "max-upload-size", 0, "the server's BITSMaximumUploadSize in bytes, if known (enables its probe)")
	fl.Int64Var(&f.maxFragmentSize, "max-fragment-size", 0, "the largest fragment the server accepts, if known (enables its probe)")
	fl.StringArrayVar(&f.probes, "probe", nil, "run only probes matching this `PATTERN` (a group, or an id pattern like 'fragments/gap*'; repeatable)")
	fl.BoolVar(&f.list, "list", false, "list the probes and exit")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "time limit of each HTTP exchange")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify the TLS certificate of an https URL")
	fl.StringArrayVar(&f.headers, "header", nil, "header `K:V` sent on every request, e.g. Authorization (repeatable)")
	return cmd
}

func listProbes(out io.Writer) error {
	for _, p := range conform.Probes() {
		if _, err := fmt.Fprintf(out, "%-45s %-6s %s\n", p.ID, p.Section, p.Title); err != nil {
			return err
		}
	}
	return nil
}

func runConform(ctx context.Context, out io.Writer, f conformFlags, url string) error {
	formats, err := reports.ParseFormats(f.formats)
	if err != nil {
		return usage(err)
	}
	if _, err := conform.Select(f.probes); err != nil {
		return usage(err)
	}
	cfg := conform.Config{URL: url, Seed: sim.Seed(f.seed), Timeout: f.timeout, Insecure: f.insecure,
		LedgerURL: f.ledgerURL, StoredDir: f.storedDir, VerifyCmd: f.verifyCmd,
		MaxUploadSize: f.maxUploadSize, MaxFragmentSize: f.maxFragmentSize, Only: f.probes, Progress: out}
	for _, h := range f.headers {
		hd, err := conform.ParseHeader(h)
		if err != nil {
			return usage(err)
		}
		cfg.Headers = append(cfg.Headers, hd)
	}
	if cfg.Seed == 0 {
		cfg.Seed = sim.NewSeed()
	}
	if f.ledgerURL == "" && f.appAddr != "" {
		a := app.New(app.Config{Reply: true})
		if err := a.Start(ctx, f.appAddr); err != nil {
			return usage(fmt.Errorf("conform: mock app: %w", err))
		}
		defer a.Close()
		cfg.LedgerURL, cfg.AppReplies, cfg.LedgerOptional = a.LedgerURL(), true, true
		fmt.Fprintf(out, "mock app: notification URL %s (ledger %s)\n", a.NotifyURL(), a.LedgerURL())
	}
	fmt.Fprintf(out, "bitsim conform %s (seed %d)\n", url, cfg.Seed)
	rep, err := conform.Run(ctx, cfg)
	if err != nil && (rep == nil || !errors.Is(err, context.Canceled)) {
		return usage(err)
	}
	dir := f.out
	if dir == "" {
		dir = filepath.Join("bitsim-out", "conform-"+rep.Started.UTC().Format("20060102-150405"))
	}
	if _, werr := writeConformReports(dir, rep, formats); werr != nil {
		return werr
	}
	t := rep.Totals
	fmt.Fprintf(out, "%d probes: %d passed, %d failed, %d not applicable; reports in %s\n", t.Probes, t.Passed, t.Failed, t.NotApplicable, dir)
	if err != nil {
		return err
	}
	if rep.Failed() {
		return exitCode(1)
	}
	return nil
}

// conformJUnit returns one testsuite per group and one testcase per probe: a
// failure carries the message and the exchanges, a not-applicable probe
// is skipped.
func conformJUnit(r *conform.Report) reports.JUnitSuites {
	out := reports.JUnitSuites{Name: "bitsim conform " + r.Target, Time: secs(r.Seconds)}
	names, by := r.Groups()
	for _, g := range names {
		s := reports.JUnitSuite{Name: "conform." + g, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
			Properties: []reports.JUnitProperty{{Name: "target", Value: r.Target}, {Name: "seed", Value: fmt.Sprint(r.Seed)}}}
		var total float64
		for _, res := range by[g] {
			c := reports.JUnitCase{Name: res.ID + " (" + res.Section + ")", Classname: "conform." + g, Time: secs(res.Seconds)}
			switch res.Outcome {
			case conform.Fail:
				c.Failure = &reports.JUnitFailure{Message: firstLine(res.Message), Type: res.Section, Text: conform.FailureText(res)}
				s.Failures++
			case conform.NotApplicable:
				c.Skipped = &reports.JUnitSkipped{Message: res.Message}
				s.Skipped++
			}
			if len(res.Notes) > 0 {
				c.SystemOut = &reports.JUnitText{Text: strings.Join(res.Notes, "\n")}
			}
			s.Tests++
			total += res.Seconds
			s.Cases = append(s.Cases, c)
		}
		s.Time = secs(total)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	return out
}

func secs(s float64) string { return fmt.Sprintf("%.3f", s) }

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// writeConformReports writes the report into dir in the given formats,
// under the file names of package reports, and returns the paths.
func writeConformReports(dir string, rep *conform.Report, formats []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range formats {
		var buf bytes.Buffer
		var err error
		switch f {
		case reports.FormatJSON:
			err = rep.WriteJSON(&buf)
		case reports.FormatJUnit:
			err = reports.WriteJUnitXML(&buf, conformJUnit(rep))
		case reports.FormatMarkdown:
			err = rep.WriteMarkdown(&buf)
		case reports.FormatHTML:
			err = rep.WriteHTML(&buf)
		}
		if err != nil {
			return paths, fmt.Errorf("conform: %s: %w", f, err)
		}
		p := filepath.Join(dir, reports.FileName(f))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
