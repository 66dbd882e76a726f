package txn

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		payload []byte
	}{
		{"simple id - payload - round trips", "txn-1", []byte("hello")},
		{"empty payload - round trips", "a", nil},
		{"payload with its own envelope-like line - only the first is the envelope", "outer", []byte(Prefix + "inner\nrest")},
		{"binary payload - round trips", "x", []byte{0, '\n', 0xff, '\r'}},
		{"max length id - round trips", strings.Repeat("z", MaxLen), []byte("p")},
		{"punctuation id - round trips", "{6F1C-..}~!", []byte("p")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Wrap(tc.id, tc.payload)
			if err != nil {
				t.Fatalf("Wrap: %v", err)
			}
			id, payload, err := Unwrap(data)
			if err != nil || id != tc.id || !bytes.Equal(payload, tc.payload) {
				t.Fatalf("Unwrap = %q, %q, %v; want %q, %q, nil", id, payload, err, tc.id, tc.payload)
			}
			rid, err := ReadID(bytes.NewReader(data))
			if err != nil || rid != tc.id {
				t.Fatalf("ReadID = %q, %v; want %q", rid, err, tc.id)
			}
			r, n, err := WrapReader(tc.id, bytes.NewReader(tc.payload))
			if err != nil {
				t.Fatalf("WrapReader: %v", err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(data, got); diff != "" {
				t.Errorf("WrapReader bytes differ from Wrap (-want +got):\n%s", diff)
			}
			if want := int64(len(data) - len(tc.payload)); n != want {
				t.Errorf("WrapReader header size = %d, want %d", n, want)
			}
		})
	}
}

func TestEnvelopeRejects(t *testing.T) {
	tests := []struct {
		name string
		id   string // Wrap must refuse it
	}{
		{"empty id - refused", ""},
		{"too long id - refused", strings.Repeat("z", MaxLen+1)},
		{"space in id - refused", "a b"},
		{"newline in id - refused", "a\nb"},
		{"non-ASCII id - refused", "é"},
		{"DEL in id - refused", "a\x7f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Wrap(tc.id, nil); err == nil {
				t.Errorf("Wrap(%q) succeeded", tc.id)
			}
			if _, _, err := WrapReader(tc.id, nil); err == nil {
				t.Errorf("WrapReader(%q) succeeded", tc.id)
			}
		})
	}
}

func TestUnwrapNoEnvelope(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"plain data - no txn", "just data\n"},
		{"empty - no txn", ""},
		{"prefix without newline - no txn", Prefix + "abc"},
		{"prefix with empty id - no txn", Prefix + "\nrest"},
		{"id too long before newline - no txn", Prefix + strings.Repeat("a", MaxLen+1) + "\n"},
		{"wrong case prefix - no txn", "BITSIM-TXN: abc\n"},
		{"CRLF line end - id has CR - no txn", Prefix + "abc\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, payload, err := Unwrap([]byte(tc.data))
			if !errors.Is(err, ErrNoEnvelope) || id != "" || string(payload) != tc.data {
				t.Errorf("Unwrap = %q, %q, %v; want \"\", data unchanged, ErrNoEnvelope", id, payload, err)
			}
			if id, err := ReadID(strings.NewReader(tc.data)); !errors.Is(err, ErrNoEnvelope) {
				t.Errorf("ReadID = %q, %v; want ErrNoEnvelope", id, err)
			}
		})
	}
}

// FuzzEnvelope checks the envelope parsers against each other (the app's
// streaming digest, a third reader of the same bytes, is fuzzed against
// Unwrap by app's FuzzDigest).
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(Prefix+"t1\npayload"), "t1")                         // well-formed envelope
	f.Add([]byte("no envelope at all"), "x")                          // plain data
	f.Add([]byte(Prefix), "a b")                                      // prefix only; invalid id
	f.Add([]byte(Prefix+strings.Repeat("a", MaxLen)+"\n"), "")        // longest id, empty payload; empty id
	f.Add([]byte(Prefix+strings.Repeat("a", MaxLen+1)+"\n"), "~")     // id one too long
	f.Add([]byte(Prefix+"a\r\n"), "\x00")                             // CR in id; NUL id
	f.Add([]byte(Prefix+"\n"+Prefix+"x\n"), strings.Repeat("q", 129)) // empty id then a second line
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		gotID, payload, err := Unwrap(data)
		if err != nil {
			if !errors.Is(err, ErrNoEnvelope) || gotID != "" || !bytes.Equal(payload, data) {
				t.Fatalf("Unwrap failure = %q, %v, payload changed=%v", gotID, err, !bytes.Equal(payload, data))
			}
		} else {
			if verr := Valid(gotID); verr != nil {
				t.Fatalf("Unwrap returned invalid id %q: %v", gotID, verr)
			}
			re, werr := Wrap(gotID, payload)
			if werr != nil || !bytes.Equal(re, data) {
				t.Fatalf("Wrap(Unwrap(data)) != data: %v", werr)
			}
		}
		rid, rerr := ReadID(bytes.NewReader(data))
		if rid != gotID || (rerr == nil) != (err == nil) {
			t.Fatalf("ReadID = %q, %v; Unwrap = %q, %v", rid, rerr, gotID, err)
		}
		if Valid(id) != nil {
			if _, werr := Wrap(id, data); werr == nil {
				t.Fatalf("Wrap accepted invalid id %q", id)
			}
			return
		}
		w, werr := Wrap(id, data)
		if werr != nil {
			t.Fatalf("Wrap(%q): %v", id, werr)
		}
		uid, up, uerr := Unwrap(w)
		if uerr != nil || uid != id || !bytes.Equal(up, data) {
			t.Fatalf("Unwrap(Wrap(%q, data)) = %q, %v", id, uid, uerr)
		}
		if rid, err := ReadID(bytes.NewReader(w)); err != nil || rid != id {
			t.Fatalf("ReadID(Wrap(%q)) = %q, %v", id, rid, err)
		}
		r, n, werr := WrapReader(id, bytes.NewReader(data))
		if werr != nil {
			t.Fatal(werr)
		}
		all, _ := io.ReadAll(r)
		if !bytes.Equal(all, w) || n != int64(len(w)-len(data)) {
			t.Fatalf("WrapReader disagrees with Wrap (n=%d)", n)
		}
	})
}
