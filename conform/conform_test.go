package conform

import (
	"context"
	"github.com/bitsim/bitsim/farm/node"
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
