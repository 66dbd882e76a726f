package enum

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Names maps the values of an enum type E to their names. The i-th name
// belongs to value i; an empty name marks a value that has no name (it is
// neither printed by name nor parsed). Build one with New, at package
// level, and never modify it afterwards: it is then safe for concurrent use.
type Names[E ~int | ~int32 | ~uint32] struct {
	pkg, what string
	names     []string
	aliases   map[string]E
}

// New returns the name table of E: names[i] is the name of E(i). pkg
// prefixes error messages ("farm"), what names the type in them ("commit
// mode").
func New[E ~int | ~int32 | ~uint32](pkg, what string, names ...string) *Names[E] {
	n := &Names[E]{pkg: pkg, what: what, names: names, aliases: map[string]E{}}
	registry.Store(reflect.TypeFor[E](), n.List())
	return n
}

// registry maps each enum type to its valid names, for documentation.
var registry sync.Map // reflect.Type → []string

// NamesOf returns the valid names of enum type t, in value order, or nil
// if t has no Names table.
func NamesOf(t reflect.Type) []string {
	v, _ := registry.Load(t)
	names, _ := v.([]string)
	return names
}

// Alias makes Parse also accept alias for v (e.g. IIS's numeric value "1"
// for "reference"). It returns n, for chaining in a package-level var.
func (n *Names[E]) Alias(alias string, v E) *Names[E] {
	n.aliases[strings.ToLower(alias)] = v
	return n
}

// String returns v's name, or "What(v)" for a value without one.
func (n *Names[E]) String(v E) string {
	if i := int(v); i >= 0 && i < len(n.names) && n.names[i] != "" {
		return n.names[i]
	}
	return n.what + "(" + strconv.Itoa(int(v)) + ")"
}

// Valid reports whether v has a name.
func (n *Names[E]) Valid(v E) bool {
	i := int(v)
	return i >= 0 && i < len(n.names) && n.names[i] != ""
}

// Parse returns the value named s (a name or an alias), case-insensitively
// and ignoring surrounding white space.
func (n *Names[E]) Parse(s string) (E, error) {
	t := strings.TrimSpace(s)
	for i, name := range n.names {
		if name != "" && strings.EqualFold(t, name) {
			return E(i), nil
		}
	}
	if v, ok := n.aliases[strings.ToLower(t)]; ok {
		return v, nil
	}
	var zero E
	return zero, fmt.Errorf("%s: invalid %s %q (want %s)", n.pkg, n.what, s, strings.Join(n.List(), "|"))
}

// List returns the valid names, in value order.
func (n *Names[E]) List() []string {
	out := make([]string, 0, len(n.names))
	for _, name := range n.names {
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Values returns the named values, in order.
func (n *Names[E]) Values() []E {
	out := make([]E, 0, len(n.names))
	for i, name := range n.names {
		if name != "" {
			out = append(out, E(i))
		}
	}
	return out
}

// MarshalText is the body of E's MarshalText: v's name, or an error for a
// value without one (so a corrupt value never reaches a saved file).
func (n *Names[E]) MarshalText(v E) ([]byte, error) {
	if !n.Valid(v) {
		return nil, fmt.Errorf("%s: invalid %s %d", n.pkg, n.what, int(v))
	}
	return []byte(n.names[int(v)]), nil
}

// UnmarshalText is the body of E's UnmarshalText: it parses b into *v and
// leaves *v alone on error.
func (n *Names[E]) UnmarshalText(v *E, b []byte) error {
	x, err := n.Parse(string(b))
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// What returns the type's description, as given to New.
func (n *Names[E]) What() string { return n.what }
