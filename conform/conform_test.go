package conform

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"context"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/google/go-cmp/cmp"
	"testing"
)

func TestCorrectNodePassesEveryProbe(t *testing.T) {
	r := startRig(t, func(c *node.Config) { c.MaxUploadSize, c.MaxFragmentSize = 8<<20, 2<<20 }, nil)
	cfg := r.config()
	cfg.MaxUploadSize, cfg.MaxFragmentSize = 8<<20, 2<<20
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Results {
		if res.Outcome != Pass {
			t.Errorf("%s: %s: %s", res.ID, res.Outcome, res.Message)
			for _, e := range res.Exchanges {
				t.Logf("conn %d\n%s\n--\n%s\n%s", e.Conn, e.Request, e.Response, e.Err)
			}
		}
	}
	t.Logf("%d probes: %d passed, %d failed, %d not applicable", rep.Totals.Probes, rep.Totals.Passed, rep.Totals.Failed, rep.Totals.NotApplicable)
	if rep.Totals.Probes < 60 {
		t.Errorf("catalogue has %d probes, want at least 60", rep.Totals.Probes)
	}
}

// TestChannels: a correct node passes through every channel; the
// corrupting defects are caught through each of them, the notification
// probes being not applicable without the app.
func TestChannels(t *testing.T) {
	noNotify := func(extra func(*node.Config)) func(*node.Config) {
		return func(c *node.Config) {
			c.NotificationType, c.NotificationURL = node.NotifyNone, ""
			if extra != nil {
				extra(c)
			}
		}
	}
	channels := []struct {
		name string
		cfg  func(r *rig) Config
	}{
		{"stored-dir", func(r *rig) Config { return Config{URL: r.url, Seed: 7, StoredDir: r.dir} }},
		{"verify-cmd", func(r *rig) Config {
			return Config{URL: r.url, Seed: 7, VerifyCmd: `cat "$DIR/$BITSIM_NAME"`}
		}},
	}
	servers := []struct {
		name string
		mod  func(*node.Config)
		want []string
	}{
		{"correct", nil, nil},
		{"K1 strict", func(c *node.Config) { c.Overlap = node.OverlapStrict }, nil},
		{"overlap stored twice", func(c *node.Config) { c.Defects.StoreOverlapTwice = true },
			[]string{"fragments/overlap", "fragments/overlap-keeps-stored-bytes"}},
		{"gap acknowledged", func(c *node.Config) { c.Defects.AckGap = true },
			[]string{"fragments/cut-body", "fragments/gap", "fragments/gap-final", "fragments/gap-then-resume"}},
	}
	for _, ch := range channels {
		for _, sv := range servers {
			t.Run(ch.name+"/"+strings.ReplaceAll(sv.name, " ", "-"), func(t *testing.T) {
				r := startRig(t, noNotify(sv.mod), nil)
				t.Setenv("DIR", r.dir)
				rep, err := Run(context.Background(), ch.cfg(r))
				if err != nil {
					t.Fatal(err)
				}
				got := failed(rep)
				slices.Sort(got)
				if diff := cmp.Diff(sv.want, got); diff != "" {
					t.Errorf("failed probes (-want +got):\n%s", diff)
					for _, res := range rep.Results {
						if res.Outcome == Fail {
							t.Logf("%s: %s", res.ID, res.Message)
						}
					}
				}
				for _, res := range rep.Results {
					na := res.Outcome == NotApplicable
					want := res.Group == GroupNotification || strings.HasPrefix(res.ID, "limits/max-") ||
						sv.name == "gap acknowledged" && res.ID == "errors/416-code" // no 416 to look at
					if na != want {
						t.Errorf("%s: %s (%s), want not applicable = %v", res.ID, res.Outcome, res.Message, want)
					}
				}
			})
		}
	}
}

// TestStoredFileCheckedOnlyWithAChannel: without any channel a corrupting
// server passes the Ack-level probes, and the probes say the file was not
// verified.
func TestStoredFileUnverifiedWithoutAChannel(t *testing.T) {
	r := startRig(t, func(c *node.Config) { c.Defects.StoreOverlapTwice = true }, nil)
	rep, err := Run(context.Background(), Config{URL: r.url, Seed: 1, Only: []string{"fragments/overlap-keeps-stored-bytes"}})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	if res.Outcome != Pass || len(res.Notes) == 0 || !strings.Contains(strings.Join(res.Notes, " "), "not verified") {
		t.Errorf("got %s %q notes %q, want a pass noting the file was not verified", res.Outcome, res.Message, res.Notes)
	}
}

// TestCalibrationDropsASilentLedger: an app the server does not notify is
// dropped after the calibration upload.
func TestCalibrationDropsASilentLedger(t *testing.T) {
	r := startRig(t, func(c *node.Config) { c.NotificationType, c.NotificationURL = node.NotifyNone, "" }, nil)
	cfg := r.config()
	cfg.LedgerOptional = true
	cfg.Only = []string{"notification/once", "fragments/single"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Channels) != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "not used") {
		t.Errorf("channels %q notes %q, want no channel and a calibration note", rep.Channels, rep.Notes)
	}
	if got := []Outcome{rep.Results[0].Outcome, rep.Results[1].Outcome}; got[0] != Pass || got[1] != NotApplicable {
		t.Errorf("outcomes %v, want [pass n/a]", got)
	}
}

// TestIdleCloseRetried: a server that closes every connection after its
// response without saying so costs a resend on a new connection, noted,
// not a failure.
func TestIdleCloseRetried(t *testing.T) {
	r := startRig(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			next.ServeHTTP(w, req)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close() // after the response was flushed by Hijack
				}
			}
		})
	})
	cfg := r.config()
	cfg.Only = []string{"fragments/contiguous"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	if res.Outcome != Pass || !strings.Contains(strings.Join(res.Notes, "\n"), "resent on a new connection") {
		t.Errorf("%s %q notes %q, want a pass with resends noted", res.Outcome, res.Message, res.Notes)
	}
}

// TestTLS: https targets work (with --insecure for a self-signed
// certificate).
func TestTLS(t *testing.T) {
	n, err := node.New(node.Config{Dir: t.TempDir(), NotificationType: node.NotifyNone, CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(n)
	t.Cleanup(func() { srv.Close(); n.Close() })
	rep, err := Run(context.Background(), Config{URL: srv.URL + "/upload/", Insecure: true, Only: []string{"fragments/*"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Errorf("failed over TLS: %v", failed(rep))
	}
	rep, err = Run(context.Background(), Config{URL: srv.URL + "/upload/", Only: []string{"packets/ping"}})
	if err != nil {
		t.Fatal(err)
	}
	if res := rep.Results[0]; res.Outcome != Fail || !strings.Contains(res.Message, "certificate") {
		t.Errorf("without --insecure: %s %q, want a certificate failure", res.Outcome, res.Message)
	}
}

// TestReportWriters: a failure's exchange reaches summary.md and
// report.html (escaped), and report.json reads back.
func TestReportWriters(t *testing.T) {
	r := startRig(t, nil, caseSensitiveTypes)
	cfg := r.config()
	cfg.Only = []string{"packets/ping*"}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var js, md, html bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !cmp.Equal(back.Totals, rep.Totals) || back.Schema != Schema {
		t.Errorf("report.json reads back as %+v, %v", back.Totals, err)
	}
	if rep.Totals.Failed != 1 {
		t.Fatalf("totals %+v, want packets/ping-mixed-case failed", rep.Totals)
	}
	for name, b := range map[string]string{"summary.md": md.String(), "report.html": html.String()} {
		for _, want := range []string{"packets/ping-mixed-case", "BITS-Packet-Type: pInG", "HTTP/1.1 400 Bad Request"} {
			if !strings.Contains(b, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}
