package check

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// TestNoReaderParsesDetail: sim.Event.Detail is human text. No code in
// check/ or reports/ (tests included) may mention .Detail; what a reader
// needs is in the typed fields (sim/vocab.go). The one place allowed to
// parse Detail is sim.Upgrade, which reads histories written before the
// typed fields existed.
func TestNoReaderParsesDetail(t *testing.T) {
	for _, dir := range []string{".", filepath.Join("..", "reports")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if n.Sel.Name == "Detail" {
						t.Errorf("%s: reads .Detail (use the typed fields of sim.Event)", fset.Position(n.Sel.Pos()))
					}
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Detail" {
						t.Errorf("%s: sets Detail in a composite literal (use the typed fields)", fset.Position(k.Pos()))
					}
				}
				return true
			})
		}
	}
}
