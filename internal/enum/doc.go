// Package enum is bitsim's one way to give an integer enum type its names:
// String, Parse, MarshalText and UnmarshalText (which also serve JSON, YAML
// and pflag) all go through a Names table declared next to the constants.
//
//	type Commit int
//
//	const (
//		CommitOnFinalFragment Commit = iota
//		CommitOnClose
//	)
//
//	var commitNames = enum.New[Commit]("knob", "commit mode", "on-final-fragment", "on-close")
//
//	func (c Commit) String() string                 { return commitNames.String(c) }
//	func (c Commit) MarshalText() ([]byte, error)   { return commitNames.MarshalText(c) }
//	func (c *Commit) UnmarshalText(b []byte) error  { return commitNames.UnmarshalText(c, b) }
//	func ParseCommit(s string) (Commit, error)      { return commitNames.Parse(s) }
//
// Parsing is case-insensitive and ignores surrounding white space; an
// unknown name is an error that lists every valid name, e.g.
// `knob: invalid commit mode "later" (want on-final-fragment|on-close)`.
// Go cannot attach methods to a type from a generic helper, hence the four
// one-line methods per type; everything else lives here.
package enum
