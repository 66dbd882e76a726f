package testutil

import (
	"context"
	"testing"
)

// Server is what Start needs of a BITS server: *node.Node. testutil does
// not import farm/node, so the node's own in-package tests can use Start.
type Server interface {
	Start(ctx context.Context, addr string) error
	Close() error
}

// Start makes a server with mk, starts it on addr (127.0.0.1:0 when empty)
// and closes it when the test ends; any error fails the test. For a node:
//
//	cfg.Dir = t.TempDir()
//	n := testutil.Start(t, "", func() (*node.Node, error) { return node.New(cfg) })
func Start[S Server](t testing.TB, addr string, mk func() (S, error)) S {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s, err := mk()
	if err != nil {
		t.Fatalf("testutil: new server: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Start(context.Background(), addr); err != nil {
		t.Fatalf("testutil: start server on %s: %v", addr, err)
	}
	return s
}
