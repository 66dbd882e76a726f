//go:build !bitsim_testingmain

package bubble

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var childMain = child

// child plays a command: it hosts bubbles through testing.MainStart.
func child() int {
	host, err := startHost()
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	for i := range 3 {
		j := job{f: func() {
			start := time.Now()
			time.Sleep(24 * time.Hour)
			fmt.Printf("run %d slept %s\n", i, time.Since(start))
		}, done: make(chan error, 1)}
		host <- j
		if err := <-j.done; err != nil {
			fmt.Println("error:", err)
			return 1
		}
	}
	j := job{f: func() { select {} }, done: make(chan error, 1)}
	host <- j
	fmt.Println("deadlock:", <-j.done != nil)
	return 0
}

func TestHostedFromCommand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "run 0 slept 24h0m0s\nrun 1 slept 24h0m0s\nrun 2 slept 24h0m0s\ndeadlock: true\n"
	if string(out) != want {
		t.Fatalf("child output:\n%s\nwant:\n%s", out, want)
	}
}

// TestDepsShape fails when testing's unexported testDeps interface (which
// testing.MainStart takes, outside the Go 1 promise) no longer has the
// methods deps implements: update deps, or build with -tags
// bitsim_testingmain to use the testing.Main fallback.
func TestDepsShape(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go command to find the testing sources: %v", err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "src", "testing", "testing.go")
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Skipf("no testing sources to compare with: %v", err)
	}
	var want []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "testDeps" {
			return true
		}
		for _, m := range ts.Type.(*ast.InterfaceType).Methods.List {
			for _, name := range m.Names {
				want = append(want, name.Name)
			}
		}
		return false
	})
	if len(want) == 0 {
		t.Fatal("testing.testDeps not found: testing.MainStart changed; use -tags bitsim_testingmain")
	}
	var got []string
	typ := reflect.TypeOf(deps{})
	for i := range typ.NumMethod() {
		got = append(got, typ.Method(i).Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("testing.testDeps changed (MainStart is outside the Go 1 promise):\n have %v\n want %v\nupdate bubble.deps or build with -tags bitsim_testingmain", got, want)
	}
}
