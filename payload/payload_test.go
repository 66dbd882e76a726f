package payload

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	v := Vars{Txn: "order-42", Job: "a.json", Seed: "7"}
	for _, tc := range []struct{ name, in, want string }{
		{"all three - replaced", `{"id":"{{txn}}","job":"{{job}}","seed":{{seed}}}`, `{"id":"order-42","job":"a.json","seed":7}`},
		{"spaces inside braces - replaced", "id={{ txn }}", "id=order-42"},
		{"unknown name - kept", "{{name}} {{txn}}", "{{name}} order-42"},
		{"unclosed - kept", "x {{txn", "x {{txn"},
		{"nested opener - outer kept", "{{ {{txn}}", "{{ order-42"},
		{"no placeholder - unchanged", "plain", "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Render([]byte(tc.in), v)); got != tc.want {
				t.Errorf("Render(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if !HasTxn([]byte("a {{ txn }} b")) || HasTxn([]byte("{{job}}")) {
		t.Error("HasTxn")
	}
}

// FuzzRender: no panic; data without "{{" is unchanged; rendering with
// empty values never grows the data.
func FuzzRender(f *testing.F) {
	f.Add([]byte("{{txn}}"))           // a placeholder
	f.Add([]byte("{{ {{seed}} }}"))    // nested
	f.Add([]byte("\x00\xff{{job"))     // binary, unclosed
	f.Add([]byte("}}{{}}{{  txn  }}")) // odd braces
	f.Fuzz(func(t *testing.T, b []byte) {
		out := Render(b, Vars{})
		if !bytes.Contains(b, []byte("{{")) && !bytes.Equal(out, b) {
			t.Fatalf("changed data without placeholders: %q -> %q", b, out)
		}
		if len(out) > len(b) {
			t.Fatalf("empty values grew %q to %q", b, out)
		}
	})
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.json", "a.json", ".hidden"} {
		os.WriteFile(filepath.Join(dir, n), []byte(n+" {{txn}}"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	files, err := Files(dir)
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "a.json" {
		t.Fatalf("Files = %v, %v; want a.json, b.json", files, err)
	}
	if got := filepath.Base(Pick(files, 3)); got != "b.json" {
		t.Errorf("Pick(3) = %s, want b.json (in turn)", got)
	}
	data, err := Load(dir, 2, Vars{Txn: "t"})
	if err != nil || string(data) != "a.json t" {
		t.Errorf("Load = %q, %v", data, err)
	}
	missing := filepath.Join(dir, "nope.json")
	if _, err := Files(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v, want an error naming it", err)
	}
	if _, err := Files(filepath.Join(dir, "sub")); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty dir: %v", err)
	}
}
