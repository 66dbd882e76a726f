package conform

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bitsim/bitsim/ledger"
)

// store is one way of seeing what the server stored for a file name.
type store interface {
	describe() string
	// check compares what is stored for name with want (nil: nothing may
	// be stored) and returns a description of the difference, or "".
	check(ctx context.Context, t *T, name string, want []byte) (string, error)
}

// expectStored checks, through every channel, that the server stored
// exactly want for name. Without a channel it notes that nothing was
// verified.
func (t *T) expectStored(name string, want []byte) { t.expect(name, want, "stored file") }

// expectNothingStored checks that the server neither stored nor delivered
// anything for name.
func (t *T) expectNothingStored(name string) { t.expect(name, nil, "nothing stored") }

func (t *T) expect(name string, want []byte, what string) {
	if len(t.s.store) == 0 {
		t.Notef("%s not verified: no channel (mock app, --ledger-url, --stored-dir or --verify-cmd)", what)
		return
	}
	for _, st := range t.s.store {
		diff, err := st.check(t.ctx, t, name, want)
		if err != nil {
			t.Failf("%s: %v", st.describe(), err)
		}
		if diff != "" {
			t.Failf("%s for %s: %s", st.describe(), name, diff)
		}
	}
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// compare describes how got differs from want ("" if equal).
func compare(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("stored %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s); first difference at byte %d",
		len(got), digest(got), len(want), digest(want), i)
}

// ledgerStore reads a bitsim mock app's ledger.
type ledgerStore struct {
	url string
	hc  *http.Client
}

func (l *ledgerStore) describe() string { return "app ledger " + l.url }

// deliveries returns the app's deliveries of name (matched on the path of
// BITS-Original-Request-URL), oldest first.
func (l *ledgerStore) deliveries(ctx context.Context, name string) ([]ledger.Delivery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	if err != nil {
		return nil, fmt.Errorf("conform: ledger: %w", err)
	}
	resp, err := l.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("conform: ledger: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("conform: ledger: GET %s: %s", l.url, resp.Status)
	}
	var snap ledger.Snapshot
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&snap); err != nil {
		return nil, fmt.Errorf("conform: ledger: %w", err)
	}
	var out []ledger.Delivery
	for _, d := range snap.Deliveries {
		p := d.RemoteURL
		if u, err := url.Parse(d.RemoteURL); err == nil {
			p = u.Path
		}
		if strings.HasSuffix(p, "/"+name) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (l *ledgerStore) check(ctx context.Context, _ *T, name string, want []byte) (string, error) {
	ds, err := l.deliveries(ctx, name)
	if err != nil {
		return "", err
	}
	if want == nil {
		if len(ds) > 0 {
			return fmt.Sprintf("the app got %d notification(s) (%d bytes, sha256 %.12s), want none", len(ds), ds[0].Size, ds[0].SHA256), nil
		}
		return "", nil
	}
	if len(ds) == 0 {
		return "the app got no notification", nil
	}
	sha := digest(want)
	for _, d := range ds {
		if d.SHA256 != sha || d.Size != int64(len(want)) {
			return fmt.Sprintf("the app got %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s)", d.Size, d.SHA256, len(want), sha), nil
		}
	}
	return "", nil
}

// dirStore reads StoredDir/<name>.
type dirStore struct{ dir string }

func (d dirStore) describe() string { return "stored dir " + d.dir }

func (d dirStore) check(_ context.Context, _ *T, name string, want []byte) (string, error) {
	got, err := os.ReadFile(filepath.Join(d.dir, name))
	switch {
	case errors.Is(err, fs.ErrNotExist) && want == nil:
		return "", nil
	case errors.Is(err, fs.ErrNotExist):
		return "no such file", nil
	case err != nil:
		return "", fmt.Errorf("conform: %w", err)
	case want == nil:
		return fmt.Sprintf("a %d-byte file is stored, want none", len(got)), nil
	}
	return compare(got, want), nil
}

// cmdStore runs VerifyCmd, which prints the stored file.
type cmdStore struct{ cmd string }

func (c cmdStore) describe() string { return "verify command" }

func (c cmdStore) check(ctx context.Context, t *T, name string, want []byte) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", c.cmd)
	cmd.Env = append(os.Environ(), "BITSIM_NAME="+name, "BITSIM_URL="+t.URL(name),
		"BITSIM_SIZE="+itoa(int64(len(want))), "BITSIM_SHA256="+digest(want))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && want == nil:
		return "", nil
	case errors.As(err, &ee):
		return fmt.Sprintf("no stored file (exit %d: %s)", ee.ExitCode(), strings.TrimSpace(stderr.String())), nil
	case err != nil:
		return "", fmt.Errorf("conform: verify command: %w", err)
	case want == nil:
		return fmt.Sprintf("a %d-byte file is stored, want none", len(got)), nil
	}
	return compare(got, want), nil
}
