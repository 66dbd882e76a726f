package conform

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/farm/node"
)

// rig is a BITS node (optionally wrapped by a defect) behind an httptest
// server, notifying conform's mock app.
type rig struct {
	url    string // upload directory URL
	app    *app.App
	dir    string
	ledger string
}

// startRig starts an app and a node configured by mod; wrap, if not nil,
// wraps the node's handler.
func startRig(t testing.TB, mod func(*node.Config), wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	a := app.New(app.Config{Reply: true})
	if err := a.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	cfg := node.Config{Name: "node1", Dir: t.TempDir(), NotificationType: node.NotifyReference,
		NotificationURL: a.NotifyURL(), CleanupInterval: -1}
	if mod != nil {
		mod(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = n
	if wrap != nil {
		h = wrap(n)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		n.Close()
	})
	return &rig{url: srv.URL + n.Config().Prefix, app: a, dir: cfg.Dir, ledger: a.LedgerURL()}
}

// config is the conform configuration that observes r through its app.
func (r *rig) config() Config {
	return Config{URL: r.url, Seed: 42, LedgerURL: r.ledger, AppReplies: true}
}

// failed returns the ids of the failed probes.
func failed(rep *Report) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Outcome == Fail {
			out = append(out, r.ID)
		}
	}
	return out
}
