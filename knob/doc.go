// Package knob is bitsim's configuration vocabulary: the typed values of
// every server, farm, application and client knob that a scenario's YAML,
// a saved scenario.json and `bitsim serve`'s flags can set. It is a leaf
// (it imports only internal/enum), so saved-run readers can decode a
// scenario without linking the farm; farm, app and client use these types
// for their own configuration fields.
//
// Every type's zero value is its default, so an omitted YAML field and an
// unset flag mean the same thing. Each type has String, a Parse function,
// and MarshalText/UnmarshalText (JSON, YAML, flags) through internal/enum;
// an unknown name is an error listing the valid ones:
//
//	var c knob.Commit
//	err := c.UnmarshalText([]byte("later"))
//	// knob: invalid commit mode "later" (want on-final-fragment|on-close)
//
// The knobs K1–K11 are those of the protocol digest's §15 (docs/protocol.md).
package knob
