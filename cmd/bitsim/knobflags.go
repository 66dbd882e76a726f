package main

import (
	"encoding"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/bitsim/bitsim/record"
)

// bindKnobs registers one flag per knob of section ("farm", "app") that
// has a flag name, writing into spec (a *record.FarmSpec or
// *record.AppSpec). Usage text, values and defaults come from the knob's
// description, so serve's flags, the YAML keys and docs/configuration.md
// cannot drift apart.
func bindKnobs(fs *pflag.FlagSet, spec any, section string) {
	for _, k := range record.Knobs() {
		if k.Section != section || k.Flag == "" {
			continue
		}
		usage := k.Doc
		p := k.Field(spec)
		if _, typed := p.(textValue); !typed && k.Default != "0" && k.Default != "false" && k.Default != "" {
			zero := "0"
			if _, str := p.(*string); str {
				zero = "empty"
			}
			usage += " (" + zero + ": " + k.Default + ")"
		}
		switch p := p.(type) {
		case *bool:
			fs.BoolVar(p, k.Flag, *p, usage)
		case *string:
			fs.StringVar(p, k.Flag, *p, usage)
		case *int:
			fs.IntVar(p, k.Flag, *p, usage)
		case *int64:
			fs.Int64Var(p, k.Flag, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, k.Flag, *p, usage)
		case textValue:
			fs.Var(textFlag{p, k.Values}, k.Flag, usage)
		default:
			panic(fmt.Sprintf("bitsim: knob %s.%s: no flag for %T", section, k.Key, p))
		}
	}
}

type textValue interface {
	encoding.TextUnmarshaler
	fmt.Stringer
}

// textFlag is a pflag.Value over a typed knob (an enum or a policy).
type textFlag struct {
	v     textValue
	forms string
}

func (f textFlag) String() string     { return f.v.String() }
func (f textFlag) Set(s string) error { return f.v.UnmarshalText([]byte(s)) }
func (f textFlag) Type() string       { return f.forms }
