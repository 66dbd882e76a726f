package scenarios_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/bitsim/bitsim/knob"
	"github.com/bitsim/bitsim/record"
	"github.com/bitsim/bitsim/scenarios"
)

// TestFarmConfigReadsEveryKnob: setting any farm or app knob changes the
// farm configuration the builder makes, so no field of the spec is
// silently ignored (a new field must be wired in FarmConfig).
func TestFarmConfigReadsEveryKnob(t *testing.T) {
	base, err := scenarios.FarmConfig(record.FarmSpec{}, record.AppSpec{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range record.Knobs() {
		if k.Flag == "" { // client knobs, and the runner's (no_final_cleanup, effects_url ...)
			continue
		}
		var f record.FarmSpec
		var a record.AppSpec
		spec := any(&f)
		if k.Section == "app" {
			spec = &a
		}
		setNonZero(t, k.Field(spec))
		cfg, err := scenarios.FarmConfig(f, a, 1)
		if err != nil {
			t.Errorf("%s: %v", k.Key, err)
			continue
		}
		if reflect.DeepEqual(cfg, base) {
			t.Errorf("%s.%s: setting it does not change the farm configuration", k.Section, k.Key)
		}
	}
}

// setNonZero gives the field p points to a valid non-default value.
func setNonZero(t *testing.T, p any) {
	t.Helper()
	switch p := p.(type) {
	case *bool:
		*p = true
	case *int:
		*p = 2
	case *int64:
		*p = 2
	case *time.Duration:
		*p = time.Second
	case *string:
		*p = "x"
	case *knob.Policy:
		*p = knob.Policy{Kind: knob.Random}
	default:
		v := reflect.ValueOf(p).Elem()
		if v.Kind() != reflect.Int {
			t.Fatalf("no non-zero value for %T", p)
		}
		v.SetInt(1) // every enum has a second value
	}
}
