// Command orderapp runs the example order application (package orderapp)
// on a loopback address until interrupted.
//
//	orderapp --mode naive|idempotent --listen 127.0.0.1:8088 --db orders.db [--addr-file FILE]
//
// With --listen 127.0.0.1:0 it picks a free port; --addr-file receives
// "http://HOST:PORT" once it is listening (scripts wait for that file).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bitsim/bitsim/examples/orderapp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "orderapp:", err)
		os.Exit(1)
	}
}

func run() error {
	mode := flag.String("mode", "naive", "naive (a row per notification) or idempotent (unique transaction id)")
	listen := flag.String("listen", "127.0.0.1:8088", "address to listen on (port 0 picks one)")
	db := flag.String("db", "orders.db", "SQLite database file")
	addrFile := flag.String("addr-file", "", "write http://HOST:PORT here once listening")
	flag.Parse()
	m, err := orderapp.ParseMode(*mode)
	if err != nil {
		return err
	}
	a, err := orderapp.Open(orderapp.Config{DB: *db, Mode: m})
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if *addrFile != "" {
		tmp := *addrFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, *addrFile); err != nil {
			return err
		}
	}
	fmt.Printf("orderapp (%s) listening on %s: notifications POST %s/notify, probe GET %s/effects\n", m, url, url, url)
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
