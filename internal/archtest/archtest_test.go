package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// list returns the module's packages as `go list -json` describes them.
func list(t *testing.T) []Package {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", Module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []Package
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// TestImportShape enforces Rules on the real import graph.
func TestImportShape(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, v := range Violations(list(t), Rules) {
		t.Error(v)
	}
}

// TestRulesCatchViolations checks that every rule fires on a graph that
// breaks it, and that the exemption holds.
func TestRulesCatchViolations(t *testing.T) {
	m := func(rel string) string { return Module + "/" + rel }
	const tp = "github.com/Shopify/toxiproxy/v2"
	bad := []Package{
		{ImportPath: m("farm"), Deps: []string{m("scenarios")}},
		{ImportPath: m("client"), Imports: []string{tp}, Deps: []string{m("app"), tp}},
		{ImportPath: m("cmd/bitsim"), TestImports: []string{tp + "/client"}},
		{ImportPath: m("wire"), Deps: []string{m("sim")}},
		{ImportPath: m("check"), Deps: []string{m("farm/node")}},
		{ImportPath: m("reports"), Deps: []string{tp + "/toxics", m("farm/proxy"), m("app"), m("record")}},
		{ImportPath: m("record"), Deps: []string{m("client"), m("check"), m("faults")}},
		{ImportPath: m("faults"), Deps: []string{m("farm/node")}},
		{ImportPath: m("scenarios"), Deps: []string{"go.uber.org/goleak"}},
		{ImportPath: m("farm/proxy"), Imports: []string{tp}, Deps: []string{tp}},
	}
	got := Violations(bad, Rules)
	for _, r := range Rules {
		n := 0
		for _, v := range got {
			if strings.HasPrefix(v, r.Name+": ") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("rule %q did not fire on a graph that breaks it", r.Name)
		}
	}
	for _, v := range got {
		if strings.Contains(v, "cmd/bitsim depends on "+tp+"/client") || strings.Contains(v, "farm/proxy depends on") ||
			strings.HasSuffix(v, "depends on "+m("record")) || strings.HasSuffix(v, "depends on "+m("check")) {
			t.Errorf("exempt import reported: %s", v)
		}
	}
	if ok := Violations([]Package{{ImportPath: m("client"), Deps: []string{m("txn"), m("wire"), m("sim")}}}, Rules); len(ok) != 0 {
		t.Errorf("a well-shaped graph has violations: %v", ok)
	}
}
