package conform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// Config configures a conformance run. The zero value plus URL probes a
// server on the wire only (stored files unverified).
type Config struct {
	// URL is the upload directory of the server under test, e.g.
	// "http://127.0.0.1:8080/upload/": each probe uploads to URL plus a
	// fresh file name ("conform-<nonce>-<probe>-<k>.bin").
	URL string
	// Seed makes every payload reproducible (0: draw one; Report.Seed has it).
	Seed sim.Seed
	// Timeout bounds each HTTP exchange (wall time). Default 30 s.
	Timeout time.Duration
	// Insecure skips TLS certificate verification for https URLs.
	Insecure bool
	// Headers are added to every request (e.g. Authorization).
	Headers []Header

	// Ways to see what the server stored (any number of them; none leaves
	// the stored-file checks unverified and the notification probes not
	// applicable):

	// LedgerURL is the ledger of a bitsim mock application (package app)
	// that the server notifies: GET returns its deliveries, each with the
	// remote URL, size and SHA-256 of the file the server handed over.
	LedgerURL string
	// AppReplies says the app behind LedgerURL answers every notification
	// with app.ReplyFor (conform's own app does), so reply downloads are
	// checked byte for byte.
	AppReplies bool
	// LedgerOptional says the server may not notify that app (conform
	// started it and printed its URL): one calibration upload decides, and
	// the channel is dropped (Report.Channels says so) if no notification
	// arrives.
	LedgerOptional bool
	// StoredDir is a directory where the server puts finished uploads:
	// StoredDir/<file name> must hold the file after Close-Session.
	StoredDir string
	// VerifyCmd is a shell command (sh -c) that prints the stored file to
	// standard output and exits 0, or exits non-zero when there is no such
	// file. It gets BITSIM_NAME (file name), BITSIM_URL (upload URL),
	// BITSIM_SIZE and BITSIM_SHA256 (of the expected content) in its
	// environment.
	VerifyCmd string

	// MaxUploadSize is the server's BITSMaximumUploadSize, if known: the
	// limit probe checks that a larger upload gets BG_E_TOO_LARGE.
	MaxUploadSize int64
	// MaxFragmentSize is the largest fragment the server accepts, if known:
	// the limit probe checks that a larger one gets 413.
	MaxFragmentSize int64

	// Only keeps the probes whose id matches one of these path.Match
	// patterns ("fragments/*", "sessions/new-connection"); empty keeps all.
	Only []string
	// Progress, if set, gets one line per probe as it finishes.
	Progress io.Writer
	// Dial replaces the TCP dialer (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Outcome is a probe's verdict.
type Outcome string

// Outcomes.
const (
	Pass          Outcome = "pass"
	Fail          Outcome = "fail"
	NotApplicable Outcome = "n/a"
)

// Result is one probe's outcome. On failure Exchanges holds every exchange
// the probe made, in order, as it went over the wire.
type Result struct {
	ID      string  `json:"id"`
	Group   string  `json:"group"`
	Section string  `json:"section"` // in docs/protocol.md, e.g. "§7.2"
	Title   string  `json:"title"`
	Outcome Outcome `json:"outcome"`
	// Message says why the probe failed or was not applicable.
	Message string `json:"message,omitempty"`
	// Notes are remarks on a pass (e.g. which K1 behaviour the server has,
	// or that the stored file could not be verified).
	Notes     []string   `json:"notes,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
	Seconds   float64    `json:"seconds"`
}

// Exchange is one request and its response as they went over the wire
// (long bodies abbreviated), or the transport error.
type Exchange struct {
	Conn     int    `json:"conn"` // which TCP connection of the probe (1, 2, ...)
	Request  string `json:"request"`
	Response string `json:"response,omitempty"`
	Err      string `json:"error,omitempty"`
}

// Report is a whole run.
type Report struct {
	Schema   string    `json:"schema"` // "bitsim-conform/1"
	Target   string    `json:"target"`
	Seed     sim.Seed  `json:"seed"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Channels []string  `json:"channels"` // how stored files were verified
	Notes    []string  `json:"notes,omitempty"`
	Totals   Totals    `json:"totals"`
	Results  []Result  `json:"results"`
}

// Schema is Report.Schema. Changes within one version are additive.
const Schema = "bitsim-conform/1"

// Totals counts outcomes.
type Totals struct {
	Probes        int `json:"probes"`
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	NotApplicable int `json:"not_applicable"`
}

// Failed reports whether any probe failed.
func (r *Report) Failed() bool { return r.Totals.Failed > 0 }

// Run runs the probes against cfg.URL one after the other and returns the
// report. The error is for set-up problems only (a bad URL, a bad pattern);
// a server that cannot be reached fails its probes.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	s, err := newSuite(cfg)
	if err != nil {
		return nil, err
	}
	sel, err := Select(cfg.Only)
	if err != nil {
		return nil, err
	}
	rep := &Report{Schema: Schema, Target: cfg.URL, Seed: s.seed, Started: time.Now()}
	if cfg.LedgerOptional {
		note := s.calibrate(ctx)
		rep.Notes = append(rep.Notes, note)
		if cfg.Progress != nil {
			fmt.Fprintln(cfg.Progress, note)
		}
	}
	rep.Channels = s.channels()
	for _, p := range sel {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("conform: interrupted: %w", context.Cause(ctx))
		}
		r := s.run(ctx, p)
		rep.Results = append(rep.Results, r)
		rep.Totals.Probes++
		switch r.Outcome {
		case Pass:
			rep.Totals.Passed++
		case Fail:
			rep.Totals.Failed++
		default:
			rep.Totals.NotApplicable++
		}
		if cfg.Progress != nil {
			line := fmt.Sprintf("%-4s %-45s %s", r.Outcome, r.ID, r.Section)
			if r.Message != "" {
				line += "  " + firstLine(r.Message)
			}
			fmt.Fprintln(cfg.Progress, line)
		}
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, nil
}

// Select returns the catalogue's probes matching any pattern (all for
// none), in catalogue order.
func Select(patterns []string) ([]Probe, error) {
	all := Probes()
	if len(patterns) == 0 {
		return all, nil
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("conform: bad probe pattern %q: %w", p, err)
		}
	}
	var out []Probe
	for _, pr := range all {
		for _, p := range patterns {
			if ok, _ := path.Match(p, pr.ID); ok || p == pr.Group {
				out = append(out, pr)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("conform: no probe matches " + strings.Join(patterns, ", "))
	}
	return out, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
