//go:build !bitsim_testingmain

package bubble

import (
	"flag"
	"io"
	"reflect"
	"testing"
	"time"
)

// startHost starts (once) a testing.M whose only test serves bubbles for
// the rest of the process.
func startHost() (chan<- job, error) {
	mu.Lock()
	defer mu.Unlock()
	if hosted != nil {
		return hosted, nil
	}
	jobs := make(chan job)
	ready := make(chan struct{})
	// MainStart registers the -test.* flags; m.Run parses the command
	// line unless it was parsed already: give it nothing to parse.
	m := testing.MainStart(deps{}, []testing.InternalTest{{
		Name: "bitsim-host",
		F: func(t *testing.T) {
			close(ready)
			hostLoop(t, jobs)
		},
	}}, nil, nil, nil)
	if !flag.CommandLine.Parsed() {
		_ = flag.CommandLine.Parse(nil)
	}
	go m.Run() // never returns: the host test serves until the process exits
	<-ready
	hosted = jobs
	return jobs, nil
}

// Main runs cmd as the whole program and exits with its code (the default
// build needs no wrapping: cmd runs directly).
func Main(cmd func() int) int { return cmd() }

// deps implements testing's testDeps with no-ops: no profiles, no fuzzing,
// no coverage, and every test name matches.
type deps struct{}

// corpusEntry redeclares testing's (an alias of an anonymous struct).
type corpusEntry = struct {
	Parent     string
	Path       string
	Data       []byte
	Values     []any
	Generation int
	IsSeed     bool
}

func (deps) ImportPath() string                                       { return "bitsim" }
func (deps) ModulePath() string                                       { return "github.com/bitsim/bitsim" }
func (deps) MatchString(pat, str string) (bool, error)                { return true, nil }
func (deps) SetPanicOnExit0(bool)                                     {}
func (deps) StartCPUProfile(io.Writer) error                          { return nil }
func (deps) StopCPUProfile()                                          {}
func (deps) StartTestLog(io.Writer)                                   {}
func (deps) StopTestLog() error                                       { return nil }
func (deps) WriteProfileTo(string, io.Writer, int) error              { return nil }
func (deps) ReadCorpus(string, []reflect.Type) ([]corpusEntry, error) { return nil, nil }
func (deps) CheckCorpus([]any, []reflect.Type) error                  { return nil }
func (deps) ResetCoverage()                                           {}
func (deps) SnapshotCoverage()                                        {}
func (deps) RunFuzzWorker(func(corpusEntry) error) error              { return nil }
func (deps) CoordinateFuzzing(time.Duration, int64, time.Duration, int64, int, []corpusEntry, []reflect.Type, string, string) error {
	return nil
}
func (deps) InitRuntimeCoverage() (string, func(string, string) (string, error), func() float64) {
	return "", nil, nil
}
