package enum_test

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bitsim/bitsim/internal/enum"
)

type color int

const (
	red color = iota
	green
	blue
	_ // no name: never printed or parsed by name
	violet
)

var colors = enum.New[color]("paint", "color", "red", "green", "blue", "", "violet").Alias("2", blue)

func (c color) String() string                { return colors.String(c) }
func (c color) MarshalText() ([]byte, error)  { return colors.MarshalText(c) }
func (c *color) UnmarshalText(b []byte) error { return colors.UnmarshalText(c, b) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want color
		ok   bool
	}{
		{"red", red, true},
		{" GREEN ", green, true}, // case and space are ignored
		{"2", blue, true},        // alias
		{"violet", violet, true},
		{"", 0, false},
		{"3", 0, false}, // values are not parsed by number unless aliased
		{"purple", 0, false},
	} {
		got, err := colors.Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	_, err := colors.Parse("purple")
	if want := `paint: invalid color "purple" (want red|green|blue|violet)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestStringAndMarshal(t *testing.T) {
	if s := color(3).String(); s != "color(3)" {
		t.Errorf("unnamed value prints %q", s)
	}
	if _, err := json.Marshal(color(7)); err == nil {
		t.Error("marshalling an unnamed value should fail")
	}
	type doc struct {
		C color `json:"c" yaml:"c"`
	}
	b, err := json.Marshal(doc{C: violet})
	if err != nil || string(b) != `{"c":"violet"}` {
		t.Fatalf("json %s, %v", b, err)
	}
	var d doc
	if err := json.Unmarshal([]byte(`{"c":"Blue"}`), &d); err != nil || d.C != blue {
		t.Errorf("json decode %v, %v", d.C, err)
	}
	y, err := yaml.Marshal(doc{C: green})
	if err != nil || strings.TrimSpace(string(y)) != "c: green" {
		t.Errorf("yaml %q, %v", y, err)
	}
	if err := yaml.Unmarshal([]byte("c: 2\n"), &d); err != nil || d.C != blue {
		t.Errorf("yaml decode of an int-looking alias: %v, %v", d.C, err)
	}
	if err := yaml.Unmarshal([]byte("c: mauve\n"), &d); err == nil || !strings.Contains(err.Error(), "want red|green|blue|violet") {
		t.Errorf("yaml error %v should list the valid names", err)
	}
	if got := colors.Values(); len(got) != 4 || got[3] != violet {
		t.Errorf("Values %v", got)
	}
}

// FuzzParse: whatever Parse accepts prints back to a name that parses to
// the same value (the round trip every saved file relies on).
func FuzzParse(f *testing.F) {
	f.Add("red")    // a name
	f.Add(" BLUE ") // case and space
	f.Add("2")      // an alias
	f.Add("")       // empty
	f.Add("color(3)")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := colors.Parse(s)
		if err != nil {
			return
		}
		b, err := v.MarshalText()
		if err != nil {
			t.Fatalf("%q parsed to %d, which does not marshal: %v", s, v, err)
		}
		var back color
		if err := back.UnmarshalText(b); err != nil || back != v {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}
