package apptest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onsi/gomega"

	"github.com/bitsim/bitsim/apptest"
	"github.com/bitsim/bitsim/examples/orderapp"
)

func orderApp(t *testing.T, mode orderapp.Mode) apptest.App {
	base, _ := orderapp.Serve(t, mode)
	return apptest.App{URL: base + "/notify", EffectsURL: base + "/effects"}
}

// TestMatchersOnNaiveApp: case 5 against the naive app delivers twice,
// applies twice, without a restart; the failure messages carry the chain.
func TestMatchersOnNaiveApp(t *testing.T) {
	g := gomega.NewWithT(t)
	res, err := apptest.Run(context.Background(), orderApp(t, orderapp.Naive), "case5-reforward-after-crash", apptest.Options{Seed: 7})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(res).To(apptest.HaveResumedWithoutRestart())
	for _, m := range []struct {
		name  string
		match interface {
			Match(any) (bool, error)
			FailureMessage(any) string
		}
		want []string
	}{
		{"HaveExactlyOnceEffect", apptest.HaveExactlyOnceEffect(), []string{"apply every transaction exactly once", "2 deliveries applied 2 effects", "→", "case 5"}},
		{"HaveDeliveredExactlyOnce", apptest.HaveDeliveredExactlyOnce(), []string{"deliver every job exactly once", "delivered 2 times", "→ ", "notified the app again"}},
	} {
		ok, err := m.match.Match(res)
		if err != nil || ok {
			t.Fatalf("%s: ok=%v err=%v, want a mismatch", m.name, ok, err)
		}
		msg := m.match.FailureMessage(res)
		for _, w := range m.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s failure message lacks %q:\n%s", m.name, w, msg)
			}
		}
	}
}

func TestMatchersRefuseSkippedRuns(t *testing.T) {
	res, err := apptest.Run(context.Background(), orderApp(t, orderapp.Idempotent), "case13-app-500", apptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apptest.HaveExactlyOnceEffect().Match(res); err == nil || !strings.Contains(err.Error(), "skipped") {
		t.Errorf("a skipped run matched: %v", err)
	}
	if _, err := apptest.Run(context.Background(), apptest.App{URL: "http://127.0.0.1:1/notify"}, "control", apptest.Options{}); err == nil {
		t.Error("no error for an unreachable app")
	}
	if len(apptest.Scenarios("seed-doc")) < 6 {
		t.Errorf("Scenarios(seed-doc) = %v", apptest.Scenarios("seed-doc"))
	}
}

// TestStartFarm: a farm for your own client, notifying your app.
func TestStartFarm(t *testing.T) {
	f, err := apptest.Start(context.Background(), orderApp(t, orderapp.Idempotent), apptest.FarmOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if u := f.UploadURL("a.dat"); !strings.HasPrefix(u, "http://127.0.0.1:") || len(f.Deliveries()) != 0 {
		t.Errorf("UploadURL %s, deliveries %v", u, f.Deliveries())
	}
}
