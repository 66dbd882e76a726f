package apptest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/bitsim/bitsim/apptest"
	"github.com/bitsim/bitsim/examples/orderapp"
)

// Run §14 case 4 (a node dies after notifying the app and the client,
// after the 1-day host-id fallback, re-uploads elsewhere) against an
// application: here the example SQLite order app, in idempotent mode, so
// the order is delivered twice but stored once.
func Example() {
	dir, _ := os.MkdirTemp("", "orders-")
	defer os.RemoveAll(dir)
	orders, err := orderapp.Open(orderapp.Config{DB: filepath.Join(dir, "orders.db"), Mode: orderapp.Idempotent})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer orders.Close()
	srv := httptest.NewServer(orders) // your application
	defer srv.Close()

	app := apptest.App{URL: srv.URL + "/notify", EffectsURL: srv.URL + "/effects"}
	res, err := apptest.Run(context.Background(), app, "case4-fallback-duplicate", apptest.Options{Seed: 42})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := res.Verdict("exactly-once-effect")
	// An external app runs on the wire tier, whose clock is not exact:
	// protocol time is printed to the hour (the fallback waited a day).
	fmt.Printf("%d deliveries, %d effect, protocol time %s, contract held: %v, exactly-once-effect: %s\n",
		res.Deliveries, res.Effects, res.ProtocolTime.Round(time.Hour), res.Passed, v.Status)
	// Output: 2 deliveries, 1 effect, protocol time 24h0m0s, contract held: true, exactly-once-effect: pass
}
