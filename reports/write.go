package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bitsim/bitsim/record"
)

// Formats.
const (
	FormatJSON     = "json"     // report.json (Report)
	FormatJUnit    = "junit"    // junit.xml
	FormatMarkdown = "markdown" // summary.md
	FormatHTML     = "html"     // report.html
)

// AllFormats lists every format, in the order Write writes them.
var AllFormats = []string{FormatJSON, FormatJUnit, FormatMarkdown, FormatHTML}

// FileName returns the file a format is written to.
func FileName(format string) string {
	switch format {
	case FormatJSON:
		return "report.json"
	case FormatJUnit:
		return "junit.xml"
	case FormatMarkdown:
		return "summary.md"
	case FormatHTML:
		return "report.html"
	}
	return ""
}

// ParseFormats reads a comma-separated list of formats ("json,junit",
// "all"); "md" and "xml" are accepted for markdown and junit.
func ParseFormats(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "":
			continue
		case "all":
			return append([]string(nil), AllFormats...), nil
		case "md":
			f = FormatMarkdown
		case "xml":
			f = FormatJUnit
		}
		if FileName(f) == "" {
			return nil, fmt.Errorf("reports: unknown format %q (known: %s)", f, strings.Join(AllFormats, ", "))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reports: no format given (known: %s)", strings.Join(AllFormats, ", "))
	}
	return out, nil
}

// Write writes the reports of a run into dir (created), one file per
// format (nil or empty formats: AllFormats), and returns their paths.
func Write(dir string, idx *record.RunIndex, results []*record.Result, formats []string) ([]string, error) {
	return Options{}.Write(dir, idx, results, formats)
}

// Write is Write with these options.
func (o Options) Write(dir string, idx *record.RunIndex, results []*record.Result, formats []string) ([]string, error) {
	if len(formats) == 0 {
		formats = AllFormats
	}
	for _, f := range formats {
		if FileName(f) == "" {
			return nil, fmt.Errorf("reports: unknown format %q (known: %s)", f, strings.Join(AllFormats, ", "))
		}
	}
	if o.RunDir == "" && (idx == nil || idx.BasePath == "") {
		o.RunDir = dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	rep := o.Build(idx, results)
	var paths []string
	for _, f := range formats {
		var buf bytes.Buffer
		var err error
		switch f {
		case FormatJSON:
			err = rep.WriteJSON(&buf)
		case FormatJUnit:
			err = rep.WriteJUnit(&buf)
		case FormatMarkdown:
			err = rep.WriteMarkdown(&buf)
		case FormatHTML:
			err = o.writeHTML(&buf, rep, results)
		}
		if err != nil {
			return paths, fmt.Errorf("reports: %s: %w", f, err)
		}
		path := filepath.Join(dir, FileName(f))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return paths, fmt.Errorf("reports: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// WriteJSON writes report.json (indented, stable field order).
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
