package reports

import (
	"regexp"
	"strings"
)

// ReplayCommand is the command that replays scenario run name (a RunID:
// "case4-fallback-duplicate", "random@1234") of the run saved in runDir.
// The seed is implicit: bitsim replay reads it from the saved run.
func ReplayCommand(runDir, name string) string {
	return "bitsim replay " + shellQuote(runDir) + " --scenario " + shellQuote(name)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
