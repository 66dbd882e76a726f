package orderapp

import (
	"net/http/httptest"
	"path/filepath"
)

// TB is the part of testing.TB (or Ginkgo's GinkgoT()) Serve needs.
type TB interface {
	Helper()
	TempDir() string
	Cleanup(func())
	Fatal(args ...any)
}

// Serve starts the app in mode on a loopback test server with a fresh
// database, for a test, until the test ends. It returns the base URL:
// notifications go to base+"/notify", the probe is base+"/effects".
func Serve(tb TB, mode Mode) (base string, app *App) {
	tb.Helper()
	a, err := Open(Config{DB: filepath.Join(tb.TempDir(), "orders.db"), Mode: mode})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(a)
	tb.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return srv.URL, a
}
