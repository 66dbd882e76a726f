package sim

import "fmt"

// Direction is the direction of a link a toxic acts on, in toxiproxy's
// terms: Upstream is client→server (requests), Downstream is server→client
// (responses and Acks).
type Direction string

// Directions.
const (
	Upstream   Direction = "upstream"
	Downstream Direction = "downstream"
)

// ParseDirection parses "upstream" or "downstream" ("" means downstream).
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "downstream", "down":
		return Downstream, nil
	case "upstream", "up":
		return Upstream, nil
	}
	return "", fmt.Errorf("sim: invalid direction %q", s)
}

// Toxic describes a network fault on one link, as data. It maps one to one
// onto a toxiproxy toxic (built-in types latency, bandwidth, slicer,
// reset_peer, timeout, limit_data, slow_close, and bitsim's own protocol
// toxics); only the package that embeds toxiproxy turns it into one.
type Toxic struct {
	// Name is unique per link; empty means "<type>_<stream>".
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Type is the toxic type, e.g. "latency" or "bits_drop_ack".
	Type string `json:"type" yaml:"type"`
	// Stream is the direction; empty means downstream.
	Stream Direction `json:"stream,omitempty" yaml:"stream,omitempty"`
	// Toxicity is the probability the toxic applies to a connection; 0 means 1.
	// Values below 1 use toxiproxy's global (unseedable) generator: avoid
	// them where a run must replay exactly.
	Toxicity float64 `json:"toxicity,omitempty" yaml:"toxicity,omitempty"`
	// Attributes are the toxic's parameters (units as in toxiproxy).
	Attributes map[string]any `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// Key returns the toxic's effective name.
func (t Toxic) Key() string {
	if t.Name != "" {
		return t.Name
	}
	s := t.Stream
	if s == "" {
		s = Downstream
	}
	return t.Type + "_" + string(s)
}
