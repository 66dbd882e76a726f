package wire

import (
	"fmt"
	"io"
	"strings"
)

// NewSessionID returns a fresh session id in IIS's form, an upper-case
// braced GUID such as {A0FF5911-4144-45B3-BF27-27AFC8EC8A67}, built from 16
// bytes of r (a seeded sim.Rand, or crypto/rand).
func NewSessionID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("wire: session id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// CanonicalSessionID returns the upper-case braced form of a GUID session id
// (braced or bare, any case) and true, or "" and false if s is not a GUID.
// Servers use it before a session id touches the file system: only the 38
// characters [{}0-9A-F-] in fixed positions can come out of it.
func CanonicalSessionID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 {
		return "", false
	}
	out := make([]byte, 0, 38)
	out = append(out, '{')
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			switch {
			case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
			case c >= 'a' && c <= 'f':
				c -= 'a' - 'A'
			default:
				return "", false
			}
		}
		out = append(out, c)
	}
	return string(append(out, '}')), true
}
