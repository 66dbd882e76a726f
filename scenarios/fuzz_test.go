package scenarios_test

import (
	"testing"

	"github.com/bitsim/bitsim/scenarios"
)

// FuzzParse: the YAML scenario parser never panics, and whatever it
// accepts validates.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name: x\njobs: [{name: a, size: 10}]\n"))
	f.Add([]byte("scenarios:\n- name: x\n  jobs: [{name: a, size: 10}]\n  faults: [{trigger: {at: 1h}, action: {kind: link-down, link: shared}}]\n"))
	f.Add([]byte("name: x\nfarm: {balancer: 'pin:2', storage: shared}\njobs: [{name: a, size: 1, count: 3, txn: auto}]\n"))
	f.Add([]byte("name: x\njobs: [{name: a, size: 1}]\nexpect: {event_counts: [{kind: ack.sent, match: {status: 416, bytes: {min: 1}}, distinct: node, max: 0}], jobs: [{resyncs: {min: 1}}]}\n")) // declarative expectations
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := scenarios.Parse(b)
		if err != nil {
			return
		}
		for _, s := range ss {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted an invalid scenario: %v", err)
			}
		}
	})
}
