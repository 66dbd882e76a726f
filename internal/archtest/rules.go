package archtest

import (
	"fmt"
	"slices"
	"strings"
)

// Module is bitsim's module path.
const Module = "github.com/bitsim/bitsim"

// Package is what the rules need of one `go list -json` entry.
type Package struct {
	ImportPath   string
	Imports      []string // direct, non-test
	Deps         []string // transitive, non-test
	TestImports  []string
	XTestImports []string
}

// Rule is one constraint on the import graph.
type Rule struct {
	Name string
	// Applies selects the packages the rule constrains.
	Applies func(p string) bool
	// Forbidden says whether a dependency of such a package is forbidden.
	Forbidden func(dep string) bool
	// Direct checks direct imports only (Imports, plus test imports when
	// Tests is set) instead of all non-test dependencies (Deps).
	Direct bool
	// Tests adds the test files' imports (with Direct).
	Tests bool
	// Allowed exempts one test import of one package.
	Allowed func(p, dep string) bool
}

// under reports whether p is the package rel of the module or below it.
func under(p, rel string) bool {
	full := Module + "/" + rel
	return p == full || strings.HasPrefix(p, full+"/")
}

func is(rel ...string) func(string) bool {
	return func(p string) bool {
		return slices.ContainsFunc(rel, func(r string) bool { return p == Module+"/"+r })
	}
}

func anyUnder(rel ...string) func(string) bool {
	return func(p string) bool {
		return slices.ContainsFunc(rel, func(r string) bool { return under(p, r) })
	}
}

func ours(p string) bool { return p == Module || strings.HasPrefix(p, Module+"/") }

func toxiproxy(p string) bool { return strings.HasPrefix(p, "github.com/Shopify/toxiproxy") }

// Rules are the constraints TestImportShape enforces.
var Rules = []Rule{
	{
		Name: "nothing below the commands depends on scenarios, reports or cmd/...",
		// apptest (the Go API for users' suites), explore (it plays
		// scenarios), the examples and CI's tools sit beside the commands,
		// on top.
		Applies: func(p string) bool {
			return !under(p, "cmd") && !under(p, "apptest") && !under(p, "explore") && !under(p, "examples") && !under(p, "internal/tools")
		},
		Forbidden: anyUnder("scenarios", "reports", "cmd"),
	},
	{
		Name:      "only farm/proxy imports toxiproxy",
		Applies:   func(p string) bool { return p != Module+"/farm/proxy" },
		Forbidden: toxiproxy,
		Direct:    true, Tests: true,
		Allowed: func(p, dep string) bool {
			return p == Module+"/cmd/bitsim" && dep == "github.com/Shopify/toxiproxy/v2/client"
		},
	},
	{
		Name:      "client does not depend on app",
		Applies:   is("client"),
		Forbidden: anyUnder("app"),
	},
	{
		Name:      "wire, sim, txn and ledger depend on no bitsim package but internal/enum",
		Applies:   is("wire", "sim", "txn", "ledger"),
		Forbidden: func(d string) bool { return ours(d) && !anyUnder("internal/enum")(d) },
	},
	{
		// Saved runs hold schedules, so record and reports link faults.
		Name:      "faults depends on neither the farm, the client nor the app",
		Applies:   is("faults"),
		Forbidden: anyUnder("farm", "client", "app"),
	},
	{
		Name:      "check depends on neither the farm, the client nor the app",
		Applies:   is("check"),
		Forbidden: anyUnder("farm", "client", "app"),
	},
	{
		// Rebuilding a report from a saved run links no farm, proxy, app,
		// client or runner (issue 9).
		Name:    "reports and record depend, of bitsim, only on record, check, ledger, knob, faults, sim and internal/mutant (a constant false outside -tags mutants)",
		Applies: is("reports", "record"),
		Forbidden: func(d string) bool {
			return toxiproxy(d) || ours(d) && !anyUnder("record", "check", "ledger", "knob", "faults", "internal/enum", "internal/mutant", "sim")(d)
		},
	},
	{
		Name:    "only test code imports internal/testutil and goleak",
		Applies: func(p string) bool { return !under(p, "internal/testutil") },
		Forbidden: func(d string) bool {
			return under(d, "internal/testutil") || strings.HasPrefix(d, "go.uber.org/goleak")
		},
	},
}

// Violations checks every rule against pkgs and returns one line per
// forbidden import, sorted.
func Violations(pkgs []Package, rules []Rule) []string {
	var out []string
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.Applies(p.ImportPath) {
				continue
			}
			for _, d := range r.deps(p) {
				if d != p.ImportPath && r.Forbidden(d) && (r.Allowed == nil || !r.Allowed(p.ImportPath, d)) {
					out = append(out, fmt.Sprintf("%s: %s depends on %s", r.Name, p.ImportPath, d))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r Rule) deps(p Package) []string {
	if !r.Direct {
		return p.Deps
	}
	if !r.Tests {
		return p.Imports
	}
	return slices.Concat(p.Imports, p.TestImports, p.XTestImports)
}
