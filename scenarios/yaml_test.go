package scenarios_test

import (
	"context"
	"github.com/bitsim/bitsim/faults"
	"github.com/bitsim/bitsim/knob"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/scenarios"
	"github.com/bitsim/bitsim/sim"
)

// The README's YAML example loads and passes.
func TestYAMLExampleRuns(t *testing.T) {
	ss, err := scenarios.LoadFile(filepath.Join("..", "examples", "case4-my-app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc := ss[0]
	if sc.Farm.FallbackTimeout != 6*time.Hour || sc.Faults[0].Trigger != (faults.AtPoint{Point: faults.AfterNotifySent, Node: "node1"}) || *sc.Expect.Effects != 1 ||
		sc.Expect.Verdicts["duplicates"] != check.Fail {
		t.Fatalf("parsed %+v", sc)
	}
	res, err := scenarios.Run(context.Background(), sc, sim.Seed(3), scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		t.Fatalf("failures: %v", res.Failures)
	}
}

func TestYAMLRejectsUnknownFields(t *testing.T) {
	for _, doc := range []string{
		"name: x\njobs: [{name: a, size: 10}]\nfarm: {nodez: 3}\n",
		"name: x\njobs: [{name: a, size: 10}]\nlabels: [fast]\n",
		"name: x\njobs: []\n",
		"name: x\njobs: [{name: a, size: 10}]\nfaults: [{action: {kind: explode}}]\n",
		"scenarios:\n- name: x\n  jobs: [{name: a, size: 10}]\n  expect: {deliverys: 1}\n",
	} {
		if _, err := scenarios.Parse([]byte(doc)); err == nil {
			t.Errorf("accepted:\n%s", doc)
		}
	}
}

func TestSameSeedSameRun(t *testing.T) {
	sc, _ := scenarios.Find("random")
	a, err := scenarios.Run(context.Background(), sc, sim.Seed(99), scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Run(context.Background(), sc, sim.Seed(99), scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Schedule) != len(b.Schedule) || a.Jobs[0].Txn != b.Jobs[0].Txn || a.Schedule[0].Action.String() != b.Schedule[0].Action.String() {
		t.Errorf("seed 99 drew different runs: %v / %v", a.Schedule, b.Schedule)
	}
}

// The issue-12 interoperability knobs are YAML too.
func TestYAMLInteropKnobs(t *testing.T) {
	ss, err := scenarios.Parse([]byte("name: x\njobs: [{name: a, size: 10000}]\nfarm: {nodes: 1, missing_content_length: accept}\nclient: {range_missing: near-miss}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ss[0].Farm.MissingContentLength != knob.ContentLengthAccept || ss[0].Client.RangeMissing != knob.RangeNearMiss {
		t.Fatalf("parsed %+v", ss[0])
	}
	res, err := scenarios.Run(context.Background(), ss[0], sim.Seed(1), scenarios.RunOptions{})
	if err != nil || !res.Passed {
		t.Fatalf("%v %+v", err, res)
	}
	_, err = scenarios.Parse([]byte("name: x\njobs: [{name: a, size: 10000}]\nfarm: {missing_content_length: maybe}\n"))
	if err == nil || !strings.Contains(err.Error(), "want reject|accept") {
		t.Errorf("missing_content_length: maybe: %v", err)
	}
}

// The slow-disk example: a fault action added through the registry, used
// from YAML, with the effect the example describes.
func TestYAMLSlowDisk(t *testing.T) {
	ss, err := scenarios.LoadFile(filepath.Join("..", "examples", "slow-disk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := scenarios.Run(context.Background(), ss[0], sim.Seed(5), scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		t.Fatalf("failures: %v", res.Failures)
	}
	if res.Fired["stall"] != 1 {
		t.Errorf("stall fired %d times", res.Fired["stall"])
	}
}
