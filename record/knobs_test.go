package record_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/bitsim/bitsim/record"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md's table")

// TestConfigurationDoc: docs/configuration.md holds the table KnobTable
// renders from the spec structs, so the documentation cannot go stale.
func TestConfigurationDoc(t *testing.T) {
	const path, begin, end = "../docs/configuration.md", "<!-- knobs:begin -->\n", "<!-- knobs:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q markers", path, begin, end)
	}
	want := record.KnobTable()
	if got := doc[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s is stale: run go test ./record -run TestConfigurationDoc -update\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestKnobsAreDocumented: every knob has a key and a description, and
// every farm and app knob but no_final_cleanup and the effect probe has
// a serve flag.
func TestKnobsAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range record.Knobs() {
		if k.Key == "" || k.Doc == "" || k.Values == "" {
			t.Errorf("knob %+v: missing key, doc or values", k)
		}
		// serve judges nothing: the effect probe is run's (--effects-url).
		if k.Section != "client" && k.Flag == "" && k.Key != "no_final_cleanup" && k.Key != "effects_url" && k.Key != "effects_cmd" {
			t.Errorf("knob %s.%s has no serve flag", k.Section, k.Key)
		}
		if seen[k.Flag] && k.Flag != "" {
			t.Errorf("flag --%s used twice", k.Flag)
		}
		seen[k.Flag] = true
	}
}
