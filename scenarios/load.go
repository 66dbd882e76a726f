package scenarios

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bitsim/bitsim/record"
)

// Validate checks what can be checked without running: the data
// (record.Scenario.Validate) and that the farm and client builders accept
// the scenario's knobs.
func Validate(s record.Scenario) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if _, err := farmConfig(s, 0); err != nil {
		return fmt.Errorf("scenarios: %s: %w", s.Name, err)
	}
	if _, err := clientOptions(s); err != nil {
		return fmt.Errorf("scenarios: %s: %w", s.Name, err)
	}
	return nil
}

// LoadFile reads scenarios from a YAML file (see Parse).
func LoadFile(path string) ([]record.Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	list, err := Parse(b)
	if err != nil {
		return nil, err
	}
	// A job's payload path is relative to the YAML file.
	for i := range list {
		for j, job := range list[i].Jobs {
			if job.Payload != "" && !filepath.IsAbs(job.Payload) {
				list[i].Jobs[j].Payload = filepath.Join(filepath.Dir(path), job.Payload)
			}
		}
	}
	return list, nil
}

// Parse reads scenarios from YAML, either one scenario or a list under
// "scenarios:" (record.Parse), and Validates each.
func Parse(b []byte) ([]record.Scenario, error) {
	list, err := record.Parse(b)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if err := Validate(s); err != nil {
			return nil, err
		}
	}
	return list, nil
}
