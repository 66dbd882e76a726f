package main

import (
	"strings"
	"testing"

	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/record"
)

// TestServeHasEveryKnob: every farm and app knob of the spec is a serve
// flag (they are generated from it, so this guards the generator).
func TestServeHasEveryKnob(t *testing.T) {
	cmd := newServeCmd()
	for _, k := range record.Knobs() {
		if k.Flag != "" && cmd.Flags().Lookup(k.Flag) == nil {
			t.Errorf("knob %s.%s: no --%s flag", k.Section, k.Key, k.Flag)
		}
	}
}

// TestServeCommitFlag: knob K2 reaches the nodes from `serve --commit`,
// through the builder scenarios use, and a bad value names the valid ones.
func TestServeCommitFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want node.CommitMode
	}{
		{nil, node.CommitOnFinalFragment},
		{[]string{"--commit", "on-close"}, node.CommitOnClose},
		{[]string{"--commit", "On-Final-Fragment"}, node.CommitOnFinalFragment},
	} {
		var fl serveFlags
		if err := serveCmd(&fl).ParseFlags(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		cfg, err := fl.config()
		if err != nil || cfg.Node.Commit != tc.want || cfg.Nodes != 3 {
			t.Errorf("%v: commit %v, %d nodes, %v; want %v, 3 nodes", tc.args, cfg.Node.Commit, cfg.Nodes, err, tc.want)
		}
	}
	var fl serveFlags
	err := serveCmd(&fl).ParseFlags([]string{"--commit", "later"})
	if err == nil || !strings.Contains(err.Error(), "want on-final-fragment|on-close") {
		t.Errorf("--commit later: %v", err)
	}
}
