package main

import "github.com/bitsim/bitsim/scenarios"

// TEMPORARY until package reports lands.
var reportFormats = []string{"json", "junit", "markdown", "html"}

func writeReports(dir string, idx *scenarios.RunIndex, res []*scenarios.Result, formats []string) ([]string, error) {
	return nil, nil
}
