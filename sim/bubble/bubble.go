package bubble

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
)

// ErrNoHost is returned by Run in a test binary that did not call Use.
var ErrNoHost = errors.New("bubble: no host: call bubble.Use(t) in the test binary")

// Error is returned by Run when the bubble itself failed: a deadlock (every
// goroutine durably blocked with no timer pending), goroutines left behind
// when f returned, or a panic in f.
type Error struct{ Value any }

func (e *Error) Error() string { return fmt.Sprintf("bubble: %v", e.Value) }

var (
	mu     sync.Mutex
	testT  *testing.T // set by Use
	hosted chan job   // the command's host, started on first use
)

type job struct {
	f    func()
	done chan error
}

// Use makes Run host bubbles as synctest tests of t (a test binary cannot
// host them any other way). Call the returned function when t ends.
func Use(t *testing.T) (restore func()) {
	mu.Lock()
	prev := testT
	testT = t
	mu.Unlock()
	return func() {
		mu.Lock()
		testT = prev
		mu.Unlock()
	}
}

// Available reports whether Run can host a bubble here.
func Available() bool {
	mu.Lock()
	defer mu.Unlock()
	return testT != nil || !testing.Testing()
}

// Run runs f in a fresh synctest bubble and waits for it. Every goroutine f
// starts must have ended when f returns. Runs may be concurrent.
func Run(f func()) error {
	mu.Lock()
	t := testT
	mu.Unlock()
	if t != nil {
		return inBubble(t, f)
	}
	if testing.Testing() {
		return ErrNoHost
	}
	host, err := startHost()
	if err != nil {
		return err
	}
	j := job{f: f, done: make(chan error, 1)}
	host <- j
	return <-j.done
}

// inBubble runs f in a bubble of t, turning the bubble's own panics
// (deadlock, leftover goroutines) and f's panics into errors.
func inBubble(t *testing.T, f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &Error{Value: v}
		}
	}()
	var inner any
	synctest.Test(t, func(*testing.T) {
		defer func() { inner = recover() }()
		f()
	})
	if inner != nil {
		return &Error{Value: inner}
	}
	return nil
}

func hostLoop(t *testing.T, jobs <-chan job) {
	for j := range jobs {
		go func(j job) { j.done <- inBubble(t, j.f) }(j)
	}
}
