package extapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Effects is an app's count of applied effects per transaction id.
type Effects map[string]int

// MaxProbeSize bounds a probe's answer.
const MaxProbeSize = 16 << 20

// ErrNotJSON is wrapped by ParseEffects for an answer that is not the
// probe's JSON document.
var ErrNotJSON = errors.New("the answer is not {\"effects\": {\"<txn>\": <count>}}")

// ParseEffects parses a probe's answer: a JSON object with an "effects"
// object mapping transaction ids to non-negative integer counts. Other
// top-level fields are ignored; everything else is an error naming what
// was wrong and quoting the start of the answer.
func ParseEffects(b []byte) (Effects, error) {
	var doc struct {
		Effects *map[string]json.Number `json:"effects"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v (answer starts %s)", ErrNotJSON, err, quoteStart(b))
	}
	if doc.Effects == nil {
		return nil, fmt.Errorf("%w: no \"effects\" object (answer starts %s)", ErrNotJSON, quoteStart(b))
	}
	out := Effects{}
	for txn, n := range *doc.Effects {
		v, err := n.Int64()
		if err != nil || v < 0 || v > 1<<31 {
			return nil, fmt.Errorf("%w: count %q for transaction %q is not a non-negative integer", ErrNotJSON, n, txn)
		}
		out[txn] = int(v)
	}
	return out, nil
}

func quoteStart(b []byte) string {
	const n = 60
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// Probe reads an external app's effects, from URL (GET) or, when URL is
// empty, from Cmd (run with sh -c; its standard output is the JSON).
type Probe struct {
	URL string
	Cmd string
	// Client is used for URL; default a client with a 30 s timeout.
	Client *http.Client
}

// Configured reports whether the probe has a source.
func (p Probe) Configured() bool { return p.URL != "" || p.Cmd != "" }

// String names the probe's source ("" when not configured).
func (p Probe) String() string {
	if p.URL != "" {
		return p.URL
	}
	if p.Cmd != "" {
		return fmt.Sprintf("command %q", p.Cmd)
	}
	return ""
}

// Read asks the app for its effects now.
func (p Probe) Read(ctx context.Context) (Effects, error) {
	var body []byte
	switch {
	case p.URL != "":
		c := p.Client
		if c == nil {
			c = &http.Client{Timeout: 30 * time.Second}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
		if err != nil {
			return nil, fmt.Errorf("extapp: effect probe %s: %w", p.URL, err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("extapp: effect probe %s: %w", p.URL, err)
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxProbeSize+1))
		if err != nil {
			return nil, fmt.Errorf("extapp: effect probe %s: %w", p.URL, err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("extapp: effect probe %s answered %d, want 200 (answer starts %s)", p.URL, resp.StatusCode, quoteStart(body))
		}
	case p.Cmd != "":
		cmd := exec.CommandContext(ctx, "sh", "-c", p.Cmd)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("extapp: effect probe %s: %w: %s", p, err, strings.TrimSpace(stderr.String()))
		}
		body = out
	default:
		return nil, errors.New("extapp: no effect probe configured")
	}
	if len(body) > MaxProbeSize {
		return nil, fmt.Errorf("extapp: effect probe %s: answer over %d bytes", p, MaxProbeSize)
	}
	eff, err := ParseEffects(body)
	if err != nil {
		return nil, fmt.Errorf("extapp: effect probe %s: %w", p, err)
	}
	return eff, nil
}

// Diff returns the effects applied between two reads: every transaction
// whose count changed, with the difference (negative if the app forgot
// some).
func Diff(before, after Effects) Effects {
	out := Effects{}
	for txn, n := range after {
		if d := n - before[txn]; d != 0 {
			out[txn] = d
		}
	}
	for txn, n := range before {
		if _, ok := after[txn]; !ok && n != 0 {
			out[txn] = -n
		}
	}
	return out
}

// Unknown returns the transactions of d that are not in known, sorted.
func Unknown(d Effects, known []string) []string {
	k := map[string]bool{}
	for _, t := range known {
		k[t] = true
	}
	var out []string
	for t := range d {
		if !k[t] {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// CheckReachable fails fast when nothing answers at the app's URL: it
// must be an http URL whose host accepts a TCP connection within timeout
// (default 3 s). The error names the URL.
func CheckReachable(ctx context.Context, appURL string, timeout time.Duration) error {
	u, err := url.Parse(appURL)
	if err != nil {
		return fmt.Errorf("extapp: app URL %q: %w", appURL, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		// §9: BITSServerNotificationURL must be http; HTTPS is not supported.
		return fmt.Errorf("extapp: app URL %q: want http://HOST:PORT/PATH (IIS notifies over plain http only)", appURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("extapp: app URL %s is unreachable: %w", appURL, err)
	}
	c.Close()
	return nil
}
