package main

import (
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/reports"
)

// reportFormats are the reports bitsim run writes by default.
var reportFormats = reports.AllFormats

// writeReports writes the run's reports into dir.
func writeReports(dir string, idx *record.RunIndex, res []*record.Result, formats []string) ([]string, error) {
	return reports.Write(dir, idx, res, formats)
}
