package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML written by WriteJUnit follows the common schema CI systems
// read (Jenkins, GitLab, GitHub test reporters):
//
//	testsuites (name tests failures errors skipped time)
//	└─ testsuite (name tests failures errors skipped time [timestamp])
//	   ├─ properties/property (name value)
//	   └─ testcase (name classname time)
//	      ├─ failure (message type) text | error (message type) text
//	      └─ system-out text
//
// One testsuite per class ("bitsim.<first label>", or "bitsim.scenarios"),
// one testcase per scenario run (randomized scenarios: one per seed, named
// "random@<seed>"). An exploration without reproducer runs (bitsim
// explore when every invariant held) is one testsuite "bitsim.explore"
// with one testcase per invariant.

// JUnitSuites is the root element of junit.xml.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is a testsuite element.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []JUnitProperty `xml:"properties>property,omitempty"`
	Cases      []JUnitCase     `xml:"testcase"`
}

// JUnitProperty is a property element.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is a testcase element.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Error     *JUnitFailure `xml:"error,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut *JUnitText    `xml:"system-out,omitempty"`
}

// JUnitSkipped is a skipped element: a scenario that was not run (or a
// probe of bitsim conform that does not apply), Message says why.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// JUnitText is an element holding text (system-out), written as CDATA.
type JUnitText struct {
	Text string `xml:",cdata"`
}

// JUnitFailure is a failure or error element.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// Class returns a scenario run's JUnit classname.
func Class(s ScenarioReport) string {
	if len(s.Labels) > 0 {
		return "bitsim." + s.Labels[0]
	}
	return "bitsim.scenarios"
}

// JUnit builds the JUnit document.
func (r Report) JUnit() JUnitSuites {
	root := JUnitSuites{Name: "bitsim"}
	var total float64
	var suiteTime []float64
	at := map[string]int{}
	for _, s := range r.Scenarios {
		cls := Class(s)
		i, ok := at[cls]
		if !ok {
			i = len(root.Suites)
			at[cls] = i
			su := JUnitSuite{Name: cls, Properties: []JUnitProperty{{"seed", fmt.Sprint(r.Run.Seed)}, {"run_dir", r.Run.Dir}}}
			if !r.Run.Started.IsZero() {
				su.Timestamp = r.Run.Started.UTC().Format("2006-01-02T15:04:05")
			}
			root.Suites = append(root.Suites, su)
			suiteTime = append(suiteTime, 0)
		}
		su := &root.Suites[i]
		secs := float64(s.Time.WallNS) / 1e9
		total += secs
		suiteTime[i] += secs
		c := JUnitCase{Name: s.ID, Classname: cls, Time: fmt.Sprintf("%.3f", secs), SystemOut: &JUnitText{systemOut(s)}}
		su.Tests++
		root.Tests++
		if s.Skipped != "" {
			c.Skipped = &JUnitSkipped{Message: s.Skipped}
			su.Skipped++
			root.Skipped++
		} else if !s.Passed {
			f := &JUnitFailure{Message: failureMessage(s), Type: "expectation", Text: failureText(s)}
			if s.Error != "" {
				f.Type = "run-error"
				c.Error = f
				su.Errors++
				root.Errors++
			} else {
				c.Failure = f
				su.Failures++
				root.Failures++
			}
		}
		su.Cases = append(su.Cases, c)
	}
	for i := range root.Suites {
		root.Suites[i].Time = fmt.Sprintf("%.3f", suiteTime[i])
	}
	root.Time = fmt.Sprintf("%.3f", total)
	if r.Explore != nil && len(r.Scenarios) == 0 {
		su := exploreJUnit(r)
		root.Suites = append(root.Suites, su)
		root.Tests, root.Failures, root.Time = root.Tests+su.Tests, root.Failures+su.Failures, su.Time
	}
	return root
}

func failureMessage(s ScenarioReport) string {
	if len(s.Failures) == 0 {
		return "failed"
	}
	m := s.Failures[0]
	if len(s.Failures) > 1 {
		m += fmt.Sprintf(" (and %d more)", len(s.Failures)-1)
	}
	return m
}

func failureText(s ScenarioReport) string {
	var b strings.Builder
	b.WriteString("Failures:\n")
	for _, f := range s.Failures {
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	if vs := failedVerdicts(s); len(vs) > 0 {
		b.WriteString("\nCheckers:\n")
		for _, v := range vs {
			b.WriteString(v)
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nReplay: %s\n", s.Replay)
	return b.String()
}

func systemOut(s ScenarioReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, seed %d", s.Name, s.Seed)
	if s.Spec != "" {
		fmt.Fprintf(&b, ", spec %s", s.Spec)
	}
	fmt.Fprintf(&b, "\n%s\n", s.Description)
	f := s.Figures
	fmt.Fprintf(&b, "deliveries %d, effects %d, duplicates %d, sessions %d, restarts %d, bytes sent %d, bytes re-sent %d\n",
		f.Deliveries, f.Effects, f.Duplicates, f.Sessions, f.Restarts, f.BytesSent, f.BytesResent)
	fmt.Fprintf(&b, "protocol time %s%s\n", s.Time.Protocol, wallSuffix(s.Time))
	for _, v := range s.Verdicts {
		fmt.Fprintf(&b, "%s: %s: %s\n", v.Checker, v.Status, v.Summary)
	}
	fmt.Fprintf(&b, "replay: %s\n", s.Replay)
	return b.String()
}

// wallSuffix is ", wall 12ms (×5000)", or "" when normalized.
func wallSuffix(t Time) string {
	if t.WallNS == 0 {
		return ""
	}
	return fmt.Sprintf(", wall %s (×%s)", t.Wall, compression(t.Compression))
}

// compression formats a protocol/wall ratio.
func compression(c float64) string {
	switch {
	case c == 0:
		return "0"
	case c < 10:
		return fmt.Sprintf("%.2f", c)
	}
	return groupDigits(int64(c + 0.5))
}

// WriteJUnit writes junit.xml.
func (r Report) WriteJUnit(w io.Writer) error { return WriteJUnitXML(w, r.JUnit()) }

// WriteJUnitXML writes s as a junit.xml document (bitsim conform uses it
// for its own suites).
func WriteJUnitXML(w io.Writer, s JUnitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
