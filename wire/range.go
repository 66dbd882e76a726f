package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Range is a Fragment's Content-Range: bytes First-Last/Total, zero-based and
// inclusive, with 0 <= First <= Last < Total.
type Range struct {
	First, Last, Total int64
}

// Len returns the number of bytes in the range.
func (r Range) Len() int64 { return r.Last - r.First + 1 }

// String formats the range as the wire shows it: "bytes 0-65535/200000".
func (r Range) String() string { return fmt.Sprintf("bytes %d-%d/%d", r.First, r.Last, r.Total) }

// Valid reports whether 0 <= First <= Last < Total.
func (r Range) Valid() bool { return r.First >= 0 && r.First <= r.Last && r.Last < r.Total }

// ErrBadRange is wrapped by every Content-Range parse error.
var ErrBadRange = errors.New("wire: bad Content-Range")

// ParseContentRange parses "bytes F-L/T". The unit is matched
// case-insensitively ("bytes" on the wire, "Bytes" in the Win32 docs); white
// space around the parts is tolerated; numbers are plain decimal digits. Any
// violation of 0 <= F <= L < T is an error wrapping ErrBadRange.
func ParseContentRange(s string) (Range, error) {
	bad := func(why string) (Range, error) {
		return Range{}, fmt.Errorf("%w %q: %s", ErrBadRange, s, why)
	}
	rest := strings.TrimSpace(s)
	if len(rest) < 5 || !strings.EqualFold(rest[:5], "bytes") {
		return bad("unit is not bytes")
	}
	rest = rest[5:]
	if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return bad("no space after unit")
	}
	rest = strings.TrimLeft(rest, " \t")
	dash := strings.IndexByte(rest, '-')
	slash := strings.IndexByte(rest, '/')
	if dash < 0 || slash < 0 || slash < dash {
		return bad("want F-L/T")
	}
	f, err1 := parseDecimal(strings.TrimSpace(rest[:dash]))
	l, err2 := parseDecimal(strings.TrimSpace(rest[dash+1 : slash]))
	t, err3 := parseDecimal(strings.TrimSpace(rest[slash+1:]))
	if err1 != nil || err2 != nil || err3 != nil {
		return bad("not a decimal number")
	}
	r := Range{First: f, Last: l, Total: t}
	if !r.Valid() {
		return bad("need 0 <= first <= last < total")
	}
	return r, nil
}

// parseDecimal accepts only ASCII digits (no sign, no spaces) that fit int64.
func parseDecimal(s string) (int64, error) {
	if s == "" || len(s) > 19 {
		return 0, errors.New("bad number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("bad number")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// ParseOffset parses BITS-Received-Content-Range: a single decimal integer,
// the next offset the server expects (not a range).
func ParseOffset(s string) (int64, error) {
	v, err := parseDecimal(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("wire: bad BITS-Received-Content-Range %q", s)
	}
	return v, nil
}
