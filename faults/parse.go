package faults

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// ParseSchedule reads a fault schedule from YAML in the scenarios' fault
// syntax: a list of faults, or a document with a "faults:" list (a
// scenario file's other keys are then ignored), as `bitsim serve -f`
// takes it. Unknown fault fields are errors; the schedule is Validated
// without a topology (the farm checks node and link names).
func ParseSchedule(b []byte) (Schedule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("faults: empty fault schedule")
	}
	n := doc.Content[0]
	if n.Kind == yaml.MappingNode {
		var list *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "faults" {
				list = n.Content[i+1]
			}
		}
		if list == nil {
			return nil, errors.New(`faults: no "faults:" list`)
		}
		n = list
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errors.New("faults: a fault schedule is a list of faults or a document with a faults: list")
	}
	var s Schedule
	if err := n.Decode(&s); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	if len(s) == 0 {
		return nil, errors.New("faults: empty fault schedule")
	}
	if err := s.Validate(nil); err != nil {
		return nil, err
	}
	return s, nil
}
