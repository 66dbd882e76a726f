//go:build bitsim_testingmain

package bubble

import (
	"errors"
	"os"
	"testing"
)

// Main runs cmd inside the only test function of testing.Main (the
// documented entry point, which always exits), so that Run can host
// bubbles as synctest tests of it; it never returns.
func Main(cmd func() int) int {
	args := os.Args
	tests := []testing.InternalTest{{Name: "bitsim", F: func(t *testing.T) {
		Use(t)
		os.Args = args
		// testing.Main would print PASS and exit 0: exit with cmd's code.
		os.Exit(cmd())
	}}}
	os.Args = args[:1] // testing.Main parses the command line: hide cobra's
	testing.Main(func(string, string) (bool, error) { return true, nil }, tests, nil, nil)
	return 0
}

func startHost() (chan<- job, error) {
	return nil, errors.New("bubble: built with bitsim_testingmain: wrap the command in bubble.Main")
}
