// Command bitsim is the BITS upload fault-injection harness: it serves an
// in-process web farm of BITS upload servers with a mock server application
// (bitsim serve), uploads files as a BITS client (bitsim upload), and runs
// the scenario catalogue.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	var ec exitCode
	switch {
	case err == nil:
	case errors.As(err, &ec):
		os.Exit(int(ec))
	default:
		fmt.Fprintln(os.Stderr, "bitsim:", err)
		os.Exit(1)
	}
}

// exitCode is returned by a command that has already reported its outcome
// and only wants the process to exit with that code.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit code %d", int(e)) }
