//go:build !mutants

package mutant

// On reports whether the named defect is active: never, in a normal build.
func On(name string) bool { return false }

// Active is the active mutant's name: none in a normal build.
func Active() string { return "" }
