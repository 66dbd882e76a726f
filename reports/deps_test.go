package reports

import (
	"os/exec"
	"strings"
	"testing"
)

// TestReportsDependsOnSavedRunsOnly guards issue 9's shape: rebuilding a
// report from a saved run links the saved-run package (record), the
// checkers and sim, never the farm, the proxy, the app server, the client
// or the runner.
func TestReportsDependsOnSavedRunsOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/bitsim/bitsim/"
	forbidden := []string{mod + "farm", mod + "scenarios", mod + "app", mod + "client", mod + "cmd", "toxiproxy", "prometheus"}
	for _, p := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if p == f || strings.HasPrefix(p, f+"/") || (!strings.HasPrefix(f, mod) && strings.Contains(p, f)) {
				t.Errorf("reports depends on %s (forbidden: %s)", p, f)
			}
		}
	}
}
