package knob_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bitsim/bitsim/knob"
)

func TestZeroValuesAreDefaults(t *testing.T) {
	var (
		n knob.Notification
		o knob.Overlap
		c knob.Commit
		k knob.Conflict
		r knob.Retention
		s knob.Storage
		p knob.Policy
		m knob.AppMode
	)
	got := []string{n.String(), o.String(), c.String(), k.String(), r.String(), s.String(), p.String(), m.String()}
	want := "reference lenient on-final-fragment 409 after-answer local round-robin naive"
	if strings.Join(got, " ") != want {
		t.Errorf("zero values %v, want %s", got, want)
	}
}

func TestConflictJSONIsANumber(t *testing.T) {
	type spec struct {
		C knob.Conflict `json:"conflict_status"`
	}
	b, err := json.Marshal(spec{C: knob.Conflict403})
	if err != nil || string(b) != `{"conflict_status":403}` {
		t.Fatalf("%s %v", b, err)
	}
	for _, in := range []string{`{"conflict_status":403}`, `{"conflict_status":"403"}`} {
		var s spec
		if err := json.Unmarshal([]byte(in), &s); err != nil || s.C.Status() != 403 {
			t.Errorf("%s: %v %v", in, s.C, err)
		}
	}
	var s spec
	if err := json.Unmarshal([]byte(`{"conflict_status":404}`), &s); err == nil || !strings.Contains(err.Error(), "want 409|403") {
		t.Errorf("404: %v", err)
	}
	var y struct {
		C knob.Conflict `yaml:"conflict_status"`
	}
	if err := yaml.Unmarshal([]byte("conflict_status: 403\n"), &y); err != nil || y.C != knob.Conflict403 {
		t.Errorf("yaml: %v %v", y.C, err)
	}
}

func TestNotificationAcceptsIISNumbers(t *testing.T) {
	for in, want := range map[string]knob.Notification{"0": knob.NotifyNone, "1": knob.NotifyReference, "2": knob.NotifyValue, "Value": knob.NotifyValue} {
		if got, err := knob.ParseNotification(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}

// FuzzParsePolicy: an accepted policy prints back to itself.
func FuzzParsePolicy(f *testing.F) {
	f.Add("round-robin") // a plain name
	f.Add("rr")          // an alias
	f.Add("pin:2")       // with a node
	f.Add("pin:0")       // node numbers start at 1
	f.Add("pin")         // pin without a node
	f.Add(" Sticky ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := knob.ParsePolicy(s)
		if err != nil {
			return
		}
		b, err := p.MarshalText()
		if err != nil {
			t.Fatalf("%q → %+v does not marshal: %v", s, p, err)
		}
		back, err := knob.ParsePolicy(string(b))
		if err != nil || back != p {
			t.Fatalf("%q → %q → %+v, %v", s, b, back, err)
		}
	})
}

func TestParsePolicy(t *testing.T) {
	for in, want := range map[string]knob.Policy{"round-robin": {Kind: knob.RoundRobin}, "": {Kind: knob.RoundRobin}, "random": {Kind: knob.Random},
		"sticky": {Kind: knob.Sticky}, "pin:3": {Kind: knob.Pin, Node: 3}} {
		got, err := knob.ParsePolicy(in)
		if err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v", in, got, err)
		}
		if back, _ := knob.ParsePolicy(got.String()); back != got {
			t.Errorf("round trip %v", got)
		}
	}
	for _, in := range []string{"pin:0", "pin:x", "fastest"} {
		if _, err := knob.ParsePolicy(in); err == nil {
			t.Errorf("ParsePolicy(%q) accepted", in)
		}
	}
}
