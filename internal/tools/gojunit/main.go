// Command gojunit reads `go test -json` events on standard input, prints
// the test output exactly as plain `go test` would, and writes a JUnit XML
// report: one testsuite per package, one testcase per top-level test (a
// Ginkgo suite is one Go test; its specs are in its output). It exits 1 if
// any test or package failed, so CI can pipe `go test -json` through it.
//
//	go test -race -json ./... | go run ./internal/tools/gojunit -o junit.xml
package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type event struct {
	Time    time.Time
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type testCase struct {
	XMLName   xml.Name `xml:"testcase"`
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *message `xml:"failure,omitempty"`
	Skipped   *message `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

type message struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

type testSuite struct {
	XMLName  xml.Name   `xml:"testsuite"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Time     string     `xml:"time,attr"`
	Cases    []testCase `xml:"testcase"`
}

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

func main() {
	out := flag.String("o", "junit.xml", "JUnit XML file to write")
	flag.Parse()
	type key struct{ pkg, test string }
	outputs := map[key]*strings.Builder{}
	results := map[key]event{}
	var order []key
	pkgs := map[string]event{}
	failed := false
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // build errors and the like arrive as plain text
			failed = true
			continue
		}
		if e.Action == "output" {
			fmt.Print(e.Output)
		}
		top := e.Test
		if i := strings.IndexByte(top, '/'); i >= 0 {
			top = top[:i]
		}
		k := key{e.Package, top}
		switch {
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			pkgs[e.Package] = e
			failed = failed || e.Action == "fail"
		case e.Test != "" && e.Action == "output":
			if outputs[k] == nil {
				outputs[k] = &strings.Builder{}
				order = append(order, k)
			}
			outputs[k].WriteString(e.Output)
		case e.Test == top && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			results[k] = e
			if _, ok := outputs[k]; !ok {
				outputs[k] = &strings.Builder{}
				order = append(order, k)
			}
		}
	}
	suites := map[string]*testSuite{}
	for _, k := range order {
		r, ok := results[k]
		if !ok {
			r = event{Action: "fail", Output: "no result (the test binary crashed or timed out)"}
		}
		s := suites[k.pkg]
		if s == nil {
			s = &testSuite{Name: k.pkg, Time: fmt.Sprintf("%.3f", pkgs[k.pkg].Elapsed)}
			suites[k.pkg] = s
		}
		tc := testCase{Name: k.test, Classname: k.pkg, Time: fmt.Sprintf("%.3f", r.Elapsed), SystemOut: outputs[k].String()}
		s.Tests++
		switch r.Action {
		case "fail":
			s.Failures++
			tc.Failure = &message{Message: "test failed", Body: lastLines(outputs[k].String(), 60)}
		case "skip":
			s.Skipped++
			tc.Skipped = &message{Message: "skipped"}
		}
		s.Cases = append(s.Cases, tc)
	}
	var all testSuites
	names := make([]string, 0, len(suites))
	for n := range suites {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := suites[n]
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Suites = append(all.Suites, *s)
	}
	b, err := xml.MarshalIndent(all, "", " ")
	if err == nil {
		_ = os.MkdirAll(filepath.Dir(*out), 0o755)
		err = os.WriteFile(*out, append([]byte(xml.Header), b...), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gojunit:", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "gojunit: %d tests, %d failed; wrote %s\n", all.Tests, all.Failures, *out)
	if failed || all.Failures > 0 {
		os.Exit(1)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
