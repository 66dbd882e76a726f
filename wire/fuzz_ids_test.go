package wire

import (
	"regexp"
	"strings"
	"testing"
)

var guidRE = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$`)

// FuzzSessionID: CanonicalSessionID accepts exactly the GUIDs (braced or
// bare, any case), returns only the 38-character upper-case braced form,
// and is idempotent; whatever it accepts is safe as a path segment.
func FuzzSessionID(f *testing.F) {
	f.Add("{A0FF5911-4144-45B3-BF27-27AFC8EC8A67}") // IIS form
	f.Add("a0ff5911-4144-45b3-bf27-27afc8ec8a67")   // bare, lower case
	f.Add("{../../etc/passwd}")                     // traversal attempt
	f.Add("12345")                                  // decimal id from a third-party server
	f.Add("{A0FF5911-4144-45B3-BF27-27AFC8EC8A67")  // unbalanced brace
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := CanonicalSessionID(s)
		trimmed := strings.TrimSpace(s)
		balanced := strings.HasPrefix(trimmed, "{") == strings.HasSuffix(trimmed, "}")
		want := guidRE.MatchString(trimmed) && balanced
		if ok != want {
			t.Fatalf("CanonicalSessionID(%q) ok=%v, want %v", s, ok, want)
		}
		if !ok {
			return
		}
		if len(c) != 38 || c != strings.ToUpper(c) || strings.ContainsAny(c, "/\\.") {
			t.Fatalf("canonical form %q", c)
		}
		if again, ok := CanonicalSessionID(c); !ok || again != c {
			t.Fatalf("not idempotent: %q -> %q", c, again)
		}
	})
}

// FuzzPacketType: ParsePacketType accepts exactly the six names in any
// case (after trimming) and round-trips through String.
func FuzzPacketType(f *testing.F) {
	for _, s := range []string{"Ping", "CREATE-SESSION", " fragment ", "Close-Session", "cancel-session", "Ack", "Fragments", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePacketType(s)
		if err != nil {
			if p != Unknown {
				t.Fatalf("error with type %v", p)
			}
			return
		}
		if !strings.EqualFold(p.String(), strings.TrimSpace(s)) {
			t.Fatalf("ParsePacketType(%q) = %v", s, p)
		}
		if back, err := ParsePacketType(p.String()); err != nil || back != p {
			t.Fatalf("round trip %v", p)
		}
	})
}
