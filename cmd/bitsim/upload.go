package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/knob"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bitsim/bitsim/client"
)

func init() { register(newUploadCmd) }

// uploadFlags are the flags of `bitsim upload`.
type uploadFlags struct {
	reply           string
	fragmentSize    string
	retryDelay      time.Duration
	allowShortDelay bool
	noProgress      time.Duration
	requestTimeout  time.Duration
	responseTimeout time.Duration
	headers         []string
	txn             string
	jobID           string
	json            bool
	noProgressBar   bool
	closeNotFound   string
	replyHost       string
	missingReply    string
	fallback        string
	rangeMissing    string
}

func newUploadCmd() *cobra.Command {
	var f uploadFlags
	cmd := &cobra.Command{
		Use:   "upload [flags] FILE URL",
		Short: "Upload FILE to URL as a BITS client (upload or upload-reply job)",
		Long: `Upload FILE to URL with the BITS upload protocol, as a Windows BITS client
would: Create-Session, Fragments, (reply download), Close-Session, with
transient errors retried every --retry-delay until --no-progress-timeout.

With --reply the job is an upload-reply job and the server's reply is
written to the given file. With --txn the upload is wrapped in the mock
app's transaction-id envelope.

The exit code is 0 only when the job reached TRANSFERRED/ACKNOWLEDGED, 1 when
it ended in ERROR, 2 for a usage or set-up error (bad flag, missing file, bad
URL: no job ran), 130 when it was cancelled by an interrupt (after sending
Cancel-Session). On a terminal, stderr shows a progress bar and a summary
line; otherwise only failures are reported there. --json prints the summary
on stdout in every case, set-up errors included (state NOT_STARTED, with an
"error" field; every line has "exit", the exit code).

--no-progress-timeout bounds the whole job: it ends (BG_E_NO_PROGRESS) at
the latest that long after its last progress, a hung request included, and
the error says how long it actually went without progress.`,
		Example: `  bitsim upload report.dat http://127.0.0.1:8080/upload/inbox/report.dat
  bitsim upload --reply answer.bin --txn T-42 --json report.dat http://farm/upload/x
  bitsim upload --fragment-size 1MiB --retry-delay 5s --header "X-Token: abc" a.bin http://h/upload/a.bin`,
		Args: cobra.ArbitraryArgs, // checked in RunE, so that --json reports it
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return f.setupFailed(cmd.OutOrStdout(), fmt.Errorf("upload: want FILE URL, got %d argument(s)", len(args)))
			}
			return runUpload(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args[0], args[1])
		},
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// --json is seen if it came before the bad flag.
		return f.setupFailed(c.OutOrStdout(), err)
	})
	fl := cmd.Flags()
	fl.StringVar(&f.reply, "reply", "", "upload-reply job: write the server's reply to this `FILE`")
	fl.StringVar(&f.fragmentSize, "fragment-size", "0", "fixed fragment `SIZE` (e.g. 65536, 64KiB, 1MiB; clamped to 5KiB-13MiB); 0 = Windows-like adaptive")
	fl.DurationVar(&f.retryDelay, "retry-delay", client.DefaultMinRetryDelay, "minimum retry delay after a transient error (values under 5s are raised to 5s)")
	fl.BoolVar(&f.allowShortDelay, "allow-short-retry-delay", false, "testing: keep a --retry-delay under 5s")
	fl.DurationVar(&f.noProgress, "no-progress-timeout", client.DefaultNoProgressTimeout, "give up (BG_E_NO_PROGRESS) after this long without progress; 0 = no retries")
	fl.DurationVar(&f.requestTimeout, "request-timeout", client.DefaultRequestTimeout, "guard on sending each request (negative: none)")
	fl.DurationVar(&f.responseTimeout, "response-timeout", client.DefaultResponseTimeout, "guard on waiting for each response (negative: none)")
	fl.StringArrayVar(&f.headers, "header", nil, "custom header `K:V` sent on every request, reply GETs included (repeatable)")
	fl.StringVar(&f.txn, "txn", "", "wrap the upload in the transaction-id envelope with this `ID`")
	fl.StringVar(&f.jobID, "job-id", "", "job id for events and the X-Bitsim-Client header (default job-N)")
	fl.BoolVar(&f.json, "json", false, "print a one-line JSON summary on stdout")
	fl.BoolVar(&f.noProgressBar, "no-progress", false, "never draw a progress bar")
	fl.StringVar(&f.closeNotFound, "close-not-found", "restart", "K4: Close-Session answered 0x8020001F: restart | no-resend")
	fl.StringVar(&f.replyHost, "reply-host", "origin", "K6: resolve a relative reply URL against: origin | hostid")
	fl.StringVar(&f.missingReply, "missing-reply", "empty", "K7: upload-reply final Ack without BITS-Reply-URL: empty | error")
	fl.StringVar(&f.fallback, "fallback", "any-failure", "K8: host-id fallback timer starts on: any-failure | connect-failure")
	fl.StringVar(&f.rangeMissing, "range-missing", "restart", "416 Ack without BITS-Received-Content-Range: restart (new session) | near-miss (use a misspelled header's value) | error")
	return cmd
}

// options turns the flags into client options and a job spec.
func (f uploadFlags) options(file, url string) (client.Options, client.JobSpec, error) {
	var o client.Options
	size, err := parseSize(f.fragmentSize)
	if err != nil {
		return o, client.JobSpec{}, err
	}
	o.FragmentSize = size
	o.MinRetryDelay = f.retryDelay
	o.AllowShortRetryDelay = f.allowShortDelay
	o.NoProgressTimeout = f.noProgress
	if f.noProgress == 0 {
		o.NoProgressTimeout = client.NoRetries
	}
	o.RequestTimeout = orNoTimeout(f.requestTimeout)
	o.ResponseTimeout = orNoTimeout(f.responseTimeout)
	if len(f.headers) > 0 {
		o.Header = http.Header{}
		for _, kv := range f.headers {
			k, v, ok := strings.Cut(kv, ":")
			k = strings.TrimSpace(k)
			if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(v, "\r\n") {
				return o, client.JobSpec{}, fmt.Errorf("bad --header %q: want K:V", kv)
			}
			o.Header[k] = append(o.Header[k], strings.TrimSpace(v))
		}
	}
	if o.CloseNotFound, err = knob.ParseCloseNotFound(f.closeNotFound); err != nil {
		return o, client.JobSpec{}, err
	}
	if o.ReplyHost, err = knob.ParseReplyHost(f.replyHost); err != nil {
		return o, client.JobSpec{}, err
	}
	if o.MissingReply, err = knob.ParseMissingReply(f.missingReply); err != nil {
		return o, client.JobSpec{}, err
	}
	if o.Fallback, err = knob.ParseFallback(f.fallback); err != nil {
		return o, client.JobSpec{}, err
	}
	if f.rangeMissing == "" {
		f.rangeMissing = "restart"
	}
	if o.RangeMissing, err = knob.ParseRangeMissing(f.rangeMissing); err != nil {
		return o, client.JobSpec{}, err
	}
	spec := client.JobSpec{ID: f.jobID, Type: client.Upload, LocalFile: file, RemoteURL: url, Txn: f.txn}
	if f.reply != "" {
		spec.Type, spec.ReplyFile = client.UploadReply, f.reply
	}
	return o, spec, nil
}

// orNoTimeout maps a flag's 0 or negative value to "no guard" (the
// client's zero value would mean the default).
func orNoTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return client.NoTimeout
	}
	return d
}

// parseSize parses a byte count with an optional K/KB/KiB, M/MB/MiB suffix
// (all binary).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	low := strings.ToLower(t)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"kb", 1 << 10}, {"k", 1 << 10}, {"mib", 1 << 20}, {"mb", 1 << 20}, {"m", 1 << 20}, {"b", 1}} {
		if strings.HasSuffix(low, u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// isTerminal reports whether w is a terminal (progress bar only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// jsonSummary is the --json line: the job's Result, its state as a name
// (NOT_STARTED when set-up failed) and the exit code.
type jsonSummary struct {
	client.Result
	State string `json:"state"`
	Exit  int    `json:"exit"`
}

func printJSON(w io.Writer, s jsonSummary) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// setupFailed reports a usage or set-up error: the JSON line with --json,
// and exit code 2 either way.
func (f uploadFlags) setupFailed(stdout io.Writer, err error) error {
	if !f.json {
		return usage(err)
	}
	s := jsonSummary{Result: client.Result{Job: f.jobID, Error: err.Error()}, State: "NOT_STARTED", Exit: 2}
	if jerr := printJSON(stdout, s); jerr != nil {
		return jerr
	}
	return usage(err)
}

func runUpload(ctx context.Context, stdout, stderr io.Writer, f uploadFlags, file, url string) error {
	opts, spec, err := f.options(file, url)
	if err != nil {
		return f.setupFailed(stdout, err)
	}
	var bar *progressbar.ProgressBar
	if !f.noProgressBar && isTerminal(stderr) {
		opts.OnProgress = func(acked, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("uploading"), progressbar.OptionShowBytes(true),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish())
			}
			_ = bar.Set64(acked)
		}
	}
	job, err := client.NewJob(opts, spec)
	if err != nil {
		return f.setupFailed(stdout, err)
	}
	// An interrupt cancels the job (Cancel-Session for an open session)
	// rather than abandoning the session on the server.
	stop := context.AfterFunc(ctx, job.Cancel)
	defer stop()
	res, err := job.Run(context.WithoutCancel(ctx))
	if bar != nil {
		_ = bar.Finish()
	}
	code := 1
	switch {
	case res.State.Succeeded():
		code = 0
	case errors.Is(err, client.ErrCancelled):
		code = 130
	}
	if f.json {
		if jerr := printJSON(stdout, jsonSummary{Result: res, State: res.State.String(), Exit: code}); jerr != nil {
			return jerr
		}
	} else if err != nil || isTerminal(stderr) {
		fmt.Fprintf(stderr, "%s: %s %d/%d bytes (%d sent), %d session(s), %d restart(s), %d retries",
			spec.ID, res.State, res.BytesAcked, res.BytesTotal, res.BytesSent, res.Sessions, res.Restarts, res.Retries)
		if spec.Type == client.UploadReply && res.State.Succeeded() {
			fmt.Fprintf(stderr, ", reply %d bytes in %s", res.ReplySize, spec.ReplyFile)
		}
		if err != nil {
			fmt.Fprintf(stderr, ": %v", err)
		}
		fmt.Fprintln(stderr)
	}
	if code == 0 {
		return nil
	}
	return exitCode(code)
}
