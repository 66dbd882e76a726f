package record

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/bitsim/bitsim/internal/enum"
)

// Knob describes one field of FarmSpec, AppSpec or ClientSpec: the single
// description from which the documentation table and `bitsim serve`'s
// flags are made.
type Knob struct {
	Section string // "farm", "app" or "client"
	Key     string // YAML and JSON key
	// Flag is the `bitsim serve` flag (without dashes): the key with
	// dashes, or the field's flag tag; empty for client knobs (serve runs
	// no client) and for flag:"-".
	Flag    string
	Values  string // "a|b" for enums, else the kind: bool, int, bytes, duration
	Default string
	Doc     string
	index   int
}

// Knobs lists every configuration field, farm then app then client, in
// declaration order.
func Knobs() []Knob {
	var out []Knob
	for _, sec := range []struct {
		name  string
		typ   reflect.Type
		flags bool
	}{{"farm", reflect.TypeFor[FarmSpec](), true}, {"app", reflect.TypeFor[AppSpec](), true}, {"client", reflect.TypeFor[ClientSpec](), false}} {
		for i := range sec.typ.NumField() {
			f := sec.typ.Field(i)
			k := Knob{Section: sec.name, Key: strings.Split(f.Tag.Get("yaml"), ",")[0], Doc: f.Tag.Get("doc"), index: i}
			if sec.flags {
				k.Flag = strings.ReplaceAll(k.Key, "_", "-")
				if fl, ok := f.Tag.Lookup("flag"); ok {
					k.Flag = fl
				}
				if k.Flag == "-" {
					k.Flag = ""
				}
			}
			k.Values, k.Default = describe(f.Type)
			if d, ok := f.Tag.Lookup("default"); ok {
				k.Default = d
			}
			out = append(out, k)
		}
	}
	return out
}

// describe returns the values and the zero value's meaning of type t.
func describe(t reflect.Type) (values, zero string) {
	if names := enum.NamesOf(t); names != nil {
		return strings.Join(names, "|"), fmt.Sprint(reflect.Zero(t).Interface())
	}
	if f, ok := reflect.Zero(t).Interface().(interface{ Forms() []string }); ok {
		return strings.Join(f.Forms(), "|"), fmt.Sprint(reflect.Zero(t).Interface())
	}
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration", "0"
	case t.Kind() == reflect.Bool:
		return "bool", "false"
	case t.Kind() == reflect.String:
		return "string", ""
	case t.Kind() == reflect.Int64:
		return "bytes", "0"
	}
	return t.Kind().String(), "0"
}

// Field returns a pointer to k's field in spec, which must be a *FarmSpec,
// *AppSpec or *ClientSpec matching k.Section.
func (k Knob) Field(spec any) any {
	return reflect.ValueOf(spec).Elem().Field(k.index).Addr().Interface()
}

// KnobTable renders Knobs as the Markdown table of docs/configuration.md.
func KnobTable() string {
	var b strings.Builder
	b.WriteString("| Section | YAML key | `serve` flag | Values | Default | Meaning |\n|---|---|---|---|---|---|\n")
	for _, k := range Knobs() {
		flag := ""
		if k.Flag != "" {
			flag = "`--" + k.Flag + "`"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", k.Section, k.Key, flag,
			strings.ReplaceAll(k.Values, "|", " \\| "), k.Default, k.Doc)
	}
	return b.String()
}
