package mutant

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README.md's mutation table")

// root is the module's root directory.
const root = "../.."

var onCall = regexp.MustCompile(`mutant\.On\("([^"]*)"\)`)

// used returns every mutant name the module's Go files pass to On, with
// where each is used.
func used(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" ||
			filepath.ToSlash(path) == root+"/internal/mutant") { // the package's own docs name examples
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range onCall.FindAllStringSubmatch(string(data), -1) {
			rel, _ := filepath.Rel(root, path)
			out[m[1]] = append(out[m[1]], filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRegistry: every name the code passes to On is registered, every
// registered mutant is planted somewhere, in the package its Component
// names, and every entry is complete and unique.
func TestRegistry(t *testing.T) {
	if len(All) < 30 {
		t.Errorf("%d mutants registered, the suite promises at least 30", len(All))
	}
	u := used(t)
	for name, files := range u {
		if _, ok := Find(name); !ok {
			t.Errorf("mutant.On(%q) in %s: not registered in All", name, strings.Join(files, ", "))
		}
	}
	seen := map[string]bool{}
	for _, m := range All {
		if seen[m.Name] {
			t.Errorf("mutant %s registered twice", m.Name)
		}
		seen[m.Name] = true
		if m.Component == "" || m.Breaks == "" || m.KilledBy == "" {
			t.Errorf("mutant %s: component, what it breaks and the killing scenario must all be set", m.Name)
		}
		files := u[m.Name]
		if len(files) == 0 {
			t.Errorf("mutant %s is registered but no code calls mutant.On(%q)", m.Name, m.Name)
		}
		for _, f := range files {
			if filepath.ToSlash(filepath.Dir(f)) != m.Component {
				t.Errorf("mutant %s is planted in %s, not in its component %s", m.Name, f, m.Component)
			}
		}
	}
}

// TestOffBuild: without the mutants tag nothing is ever on.
func TestOffBuild(t *testing.T) {
	if Active() != "" {
		t.Skip("built with -tags mutants")
	}
	for _, m := range All {
		if On(m.Name) {
			t.Errorf("On(%q) in a normal build", m.Name)
		}
	}
}

// Table renders the README's mutation table.
func Table() string {
	var b strings.Builder
	b.WriteString("| mutant | component | what it breaks | killing scenario |\n|---|---|---|---|\n")
	ms := append([]Mutant(nil), All...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Component < ms[j].Component })
	for _, m := range ms {
		b.WriteString("| `" + m.Name + "` | " + m.Component + " | " + m.Breaks + " | `" + m.KilledBy + "` |\n")
	}
	return b.String()
}

// TestReadmeTable: README.md's table between the mutants markers is
// generated from All (-update rewrites it).
func TestReadmeTable(t *testing.T) {
	const begin, end = "<!-- mutants:begin -->\n", "<!-- mutants:end -->"
	path := filepath.Join(root, "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", strings.TrimSpace(begin), end)
	}
	want := s[:i+len(begin)] + Table() + s[j:]
	if want == s {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error("README.md's mutation table is stale: go test ./internal/mutant -run TestReadmeTable -update")
}
