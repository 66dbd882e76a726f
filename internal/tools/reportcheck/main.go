// Command reportcheck asserts what a bitsim run's report.json says, for CI:
//
//	reportcheck -report DIR/report.json -fail case4-fallback-duplicate,case5-reforward-after-crash -checker exactly-once-effect
//	reportcheck -report DIR/report.json -pass
//
// With -fail, each named scenario run must have failed, with the checker's
// verdict "fail" carrying a finding with a transaction id and a cause
// chain. With -pass, no scenario run may have failed. Either way at least
// one run must have been carried out and skipped runs must name a reason.
// It prints what it found and exits 1 on a mismatch.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/bitsim/bitsim/reports"
)

func main() {
	path := flag.String("report", "report.json", "the run's report.json")
	fail := flag.String("fail", "", "comma-separated scenario runs that must fail")
	checker := flag.String("checker", "exactly-once-effect", "the checker that must fail them (with -fail)")
	pass := flag.Bool("pass", false, "no scenario run may fail")
	flag.Parse()
	if err := run(*path, *fail, *checker, *pass); err != nil {
		fmt.Fprintln(os.Stderr, "reportcheck:", err)
		os.Exit(1)
	}
}

func run(path, fail, checker string, pass bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep reports.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Printf("%s: %d runs, %d passed, %d failed, %d skipped\n", path, rep.Totals.Runs, rep.Totals.Passed, rep.Totals.Failed, rep.Totals.Skipped)
	if rep.Totals.Runs-rep.Totals.Skipped == 0 {
		return fmt.Errorf("no scenario run was carried out")
	}
	byID := map[string]reports.ScenarioReport{}
	for _, s := range rep.Scenarios {
		byID[s.ID] = s
		if s.Skipped == "" && s.Verdicts == nil {
			return fmt.Errorf("%s: no verdicts", s.ID)
		}
	}
	if pass && rep.Totals.Failed > 0 {
		for _, s := range rep.Scenarios {
			if !s.Passed && s.Skipped == "" {
				fmt.Printf("  FAIL %s: %s\n", s.ID, strings.Join(s.Failures, "; "))
			}
		}
		return fmt.Errorf("%d scenario runs failed, want none", rep.Totals.Failed)
	}
	for _, id := range strings.Split(fail, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		s, ok := byID[id]
		switch {
		case !ok:
			return fmt.Errorf("%s: not in the report", id)
		case s.Skipped != "":
			return fmt.Errorf("%s: skipped (%s), want a failure", id, s.Skipped)
		case s.Passed:
			return fmt.Errorf("%s: passed, want %s to fail", id, checker)
		}
		found := false
		for _, v := range s.Verdicts {
			if v.Checker != checker || v.Status != "fail" {
				continue
			}
			for _, f := range v.Findings {
				if f.Status == "fail" && f.Txn != "" && len(f.Chain) > 0 {
					found = true
					fmt.Printf("  %s: %s\n", id, f.Message)
					for _, c := range f.Chain {
						fmt.Printf("      → %s\n", c)
					}
				}
			}
		}
		if !found {
			return fmt.Errorf("%s: no failing %s finding with a transaction id and a cause chain", id, checker)
		}
	}
	return nil
}
