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

	"github.com/bitsim/bitsim/sim/bubble"
)

// main runs the command through bubble.Main, which hosts the exact tier's
// synctest bubbles (in the default build it just calls run).
func main() {
	if code := bubble.Main(run); code != 0 {
		os.Exit(code)
	}
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	stopProfile := addProfileFlags(root)
	err := root.ExecuteContext(ctx)
	stopProfile()
	var ec exitCode
	if err != nil && !errors.As(err, &ec) {
		fmt.Fprintln(os.Stderr, "bitsim:", err)
	}
	return exitStatus(err)
}

// exitStatus is the process exit code for a command's error: 0 for nil,
// the code of an exitCode (the command reported its outcome itself), 2 for
// a usageError, 1 otherwise.
func exitStatus(err error) int {
	var ec exitCode
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// exitCode is returned by a command that has already reported its outcome
// and only wants the process to exit with that code.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit code %d", int(e)) }

// usageError is a bad command line or set-up (missing file, bad URL): exit
// code 2, as opposed to 1 for a run that failed.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// usage marks err as a usage or set-up error (nil stays nil).
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}
