package main

import (
	"github.com/bitsim/bitsim/reports"
	"github.com/bitsim/bitsim/scenarios"
)

// reportFormats are the reports bitsim run writes by default.
var reportFormats = reports.AllFormats

// writeReports writes the run's reports into dir.
func writeReports(dir string, idx *scenarios.RunIndex, res []*scenarios.Result, formats []string) ([]string, error) {
	return reports.Write(dir, idx, res, formats)
}
