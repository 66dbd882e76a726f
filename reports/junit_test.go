package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestJUnitValid parses junit.xml back, validates it against the common
// JUnit schema (junitSchema, the structure of the XSD CI systems use) and
// checks the counts.
func TestJUnitValid(t *testing.T) {
	idx, results := loadFixture(t)
	var buf bytes.Buffer
	if err := Build(idx, results).WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	if err := validateJUnit(buf.Bytes()); err != nil {
		t.Fatalf("junit.xml does not follow the JUnit schema: %v\n%s", err, buf.String())
	}
	var doc JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != len(results) || doc.Failures != 1 || doc.Errors != 0 {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d, want %d, 1, 0", doc.Tests, doc.Failures, doc.Errors, len(results))
	}
	names := map[string]bool{}
	for _, su := range doc.Suites {
		for _, c := range su.Cases {
			names[c.Name] = true
			if c.Classname != su.Name || !strings.HasPrefix(c.Classname, "bitsim.") {
				t.Errorf("testcase %s: classname %q in suite %q", c.Name, c.Classname, su.Name)
			}
			if c.Failure != nil {
				for _, want := range []string{"effects = 2, want 1", "spec §14 case 4", "→ +24h0m0s", "Replay: bitsim replay " + fixtureDir + " --scenario case4-expect-one-effect"} {
					if !strings.Contains(c.Failure.Text, want) {
						t.Errorf("failure of %s lacks %q:\n%s", c.Name, want, c.Failure.Text)
					}
				}
			}
		}
	}
	for _, r := range results {
		if !names[RunID(r)] {
			t.Errorf("no testcase %q", RunID(r))
		}
	}
	if !names["random@3054071396869722"] {
		t.Errorf("the randomized run is not a testcase named random@<seed>: %v", names)
	}
}

// elemRule is what the JUnit XSD allows for one element.
type elemRule struct {
	required []string // attributes
	optional []string
	ints     []string // attributes that must be non-negative integers
	decimals []string // attributes that must be decimals (time)
	children []string
	text     bool
}

// junitSchema mirrors the JUnit XSD (testsuites/testsuite/testcase with
// failure, error, skipped, system-out, system-err; properties).
var junitSchema = map[string]elemRule{
	"testsuites": {optional: []string{"name", "tests", "failures", "errors", "skipped", "disabled", "time"},
		ints: []string{"tests", "failures", "errors", "skipped", "disabled"}, decimals: []string{"time"}, children: []string{"testsuite"}},
	"testsuite": {required: []string{"name", "tests", "failures", "errors"},
		optional: []string{"skipped", "disabled", "time", "timestamp", "hostname", "id", "package"},
		ints:     []string{"tests", "failures", "errors", "skipped", "disabled", "id"}, decimals: []string{"time"},
		children: []string{"properties", "testcase", "system-out", "system-err"}},
	"properties": {children: []string{"property"}},
	"property":   {required: []string{"name", "value"}},
	"testcase": {required: []string{"name", "classname"}, optional: []string{"time", "assertions", "status"}, decimals: []string{"time"},
		children: []string{"skipped", "error", "failure", "system-out", "system-err"}},
	"failure":    {optional: []string{"message", "type"}, text: true},
	"error":      {optional: []string{"message", "type"}, text: true},
	"skipped":    {optional: []string{"message"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

type xmlNode struct {
	name     string
	attrs    map[string]string
	children []*xmlNode
	text     string
}

// validateJUnit checks structure, attributes and the tests/failures/errors
// counts of every suite and of the root.
func validateJUnit(b []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tk.Name.Local, attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					return fmt.Errorf("more than one root element")
				}
				root = n
			} else {
				stack[len(stack)-1].children = append(stack[len(stack)-1].children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil || root.name != "testsuites" {
		return fmt.Errorf("root element is not testsuites")
	}
	if err := validateNode(root); err != nil {
		return err
	}
	count := func(n *xmlNode) (tests, failures, errors int) {
		for _, c := range n.children {
			if c.name != "testcase" {
				continue
			}
			tests++
			for _, x := range c.children {
				switch x.name {
				case "failure":
					failures++
				case "error":
					errors++
				}
			}
		}
		return
	}
	var tt, tf, te int
	for _, su := range root.children {
		t, f, e := count(su)
		tt, tf, te = tt+t, tf+f, te+e
		if err := wantCounts(su, t, f, e); err != nil {
			return err
		}
	}
	return wantCounts(root, tt, tf, te)
}

func wantCounts(n *xmlNode, tests, failures, errors int) error {
	for attr, want := range map[string]int{"tests": tests, "failures": failures, "errors": errors} {
		if got, _ := strconv.Atoi(n.attrs[attr]); got != want {
			return fmt.Errorf("%s %q: %s=%d, but it holds %d", n.name, n.attrs["name"], attr, got, want)
		}
	}
	return nil
}

var decimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

func validateNode(n *xmlNode) error {
	rule, ok := junitSchema[n.name]
	if !ok {
		return fmt.Errorf("element %s is not in the JUnit schema", n.name)
	}
	allowed := map[string]bool{}
	for _, a := range append(append([]string(nil), rule.required...), rule.optional...) {
		allowed[a] = true
	}
	for _, a := range rule.required {
		if _, ok := n.attrs[a]; !ok {
			return fmt.Errorf("%s lacks required attribute %s", n.name, a)
		}
	}
	for a := range n.attrs {
		if !allowed[a] {
			return fmt.Errorf("%s has attribute %s, not in the schema", n.name, a)
		}
	}
	for _, a := range rule.ints {
		if v, ok := n.attrs[a]; ok {
			if i, err := strconv.Atoi(v); err != nil || i < 0 {
				return fmt.Errorf("%s %s=%q is not a non-negative integer", n.name, a, v)
			}
		}
	}
	for _, a := range rule.decimals {
		if v, ok := n.attrs[a]; ok && !decimal.MatchString(v) {
			return fmt.Errorf("%s %s=%q is not a decimal", n.name, a, v)
		}
	}
	if !rule.text && strings.TrimSpace(n.text) != "" {
		return fmt.Errorf("%s holds text", n.name)
	}
	kids := map[string]bool{}
	for _, c := range rule.children {
		kids[c] = true
	}
	for _, c := range n.children {
		if !kids[c.name] {
			return fmt.Errorf("%s may not contain %s", n.name, c.name)
		}
		if err := validateNode(c); err != nil {
			return err
		}
	}
	return nil
}
