package extapp

import (
	"os"
	"path/filepath"
)

// ReadCheckWorks reports whether files in dir get their access time
// updated when read after a write (Linux relatime, strictatime; not
// noatime), which the Recorder's ReadCheck relies on. It writes, marks and
// reads a scratch file.
func ReadCheckWorks(dir string) bool {
	f, err := os.CreateTemp(dir, ".bitsim-atime-")
	if err != nil {
		return false
	}
	path := f.Name()
	defer os.Remove(path)
	_, err = f.WriteString("atime probe\n")
	f.Close()
	if err != nil {
		return false
	}
	st, err := os.Stat(path)
	if err != nil || os.Chtimes(path, unreadMark, st.ModTime()) != nil {
		return false
	}
	if at, ok := accessTime(path); !ok || !at.Equal(unreadMark) {
		return false
	}
	if _, err := os.ReadFile(filepath.Clean(path)); err != nil {
		return false
	}
	at, ok := accessTime(path)
	return ok && !at.Equal(unreadMark)
}
