package payload

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Vars are the values a payload template may name.
type Vars struct {
	Txn  string // {{txn}}: the job's transaction id
	Job  string // {{job}}: the job's name
	Seed string // {{seed}}: the run's seed
}

// Render returns tmpl with every {{txn}}, {{job}} and {{seed}} replaced.
func Render(tmpl []byte, v Vars) []byte {
	if !bytes.Contains(tmpl, []byte("{{")) {
		return tmpl
	}
	var out bytes.Buffer
	out.Grow(len(tmpl))
	rest := tmpl
	for {
		i := bytes.Index(rest, []byte("{{"))
		if i < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		out.Write(rest[:i])
		rest = rest[i:]
		end := bytes.Index(rest, []byte("}}"))
		if end < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		val, ok := map[string]string{"txn": v.Txn, "job": v.Job, "seed": v.Seed}[string(bytes.TrimSpace(rest[2:end]))]
		if !ok || bytes.Contains(rest[2:end], []byte("{{")) {
			out.WriteString("{{") // not a placeholder: keep, rescan after it
			rest = rest[2:]
			continue
		}
		out.WriteString(val)
		rest = rest[end+2:]
	}
}

// HasTxn reports whether tmpl names {{txn}}.
func HasTxn(tmpl []byte) bool {
	return !bytes.Equal(Render(tmpl, Vars{Txn: "\x00txn\x00"}), Render(tmpl, Vars{Txn: "\x01txn\x01"}))
}

// ErrEmpty is returned by Files for a directory without regular files.
var ErrEmpty = errors.New("payload: no files")

// Files returns the payload files of path: path itself if it is a file, or
// the regular files directly in the directory path, sorted by name
// (hidden files skipped).
func Files(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("payload: %s does not exist: %w", path, err)
		}
		return nil, fmt.Errorf("payload: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name()[0] == '.' {
			continue
		}
		out = append(out, filepath.Join(path, e.Name()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in directory %s", ErrEmpty, path)
	}
	sort.Strings(out)
	return out, nil
}

// Pick returns the file job i (0-based) uses: the files in turn.
func Pick(files []string, i int) string { return files[i%len(files)] }

// Load reads job i's template from path (a file or directory) and
// renders it.
func Load(path string, i int, v Vars) ([]byte, error) {
	files, err := Files(path)
	if err != nil {
		return nil, err
	}
	tmpl, err := os.ReadFile(Pick(files, i))
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return Render(tmpl, v), nil
}
