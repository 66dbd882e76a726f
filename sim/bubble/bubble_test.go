package bubble

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

const childEnv = "BITSIM_BUBBLE_HOST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	goleak.VerifyTestMain(m)
}

func TestRunInTest(t *testing.T) {
	if err := Run(func() {}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("Run without Use: %v, want ErrNoHost", err)
	}
	defer Use(t)()
	var slept time.Duration
	wall := time.Now()
	err := Run(func() {
		start := time.Now()
		done := make(chan struct{})
		go func() {
			time.Sleep(14 * 24 * time.Hour)
			close(done)
		}()
		<-done
		slept = time.Since(start)
	})
	if err != nil {
		t.Fatal(err)
	}
	if slept != 14*24*time.Hour {
		t.Fatalf("slept %s of bubble time", slept)
	}
	if w := time.Since(wall); w > 5*time.Second {
		t.Fatalf("14 days took %s of wall time", w)
	}
}

func TestRunReportsPanicsAndLeftovers(t *testing.T) {
	defer Use(t)()
	var e *Error
	if err := Run(func() { panic("boom") }); !errors.As(err, &e) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panic: %v", err)
	}
}
