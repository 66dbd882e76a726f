package record

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
)

// HistoryDigest is the "sha256:<hex>" of a history's canonical form, the
// identity `bitsim replay` compares: on the exact tier the same scenario
// and seed give the same digest (with the same binary on the same machine:
// temporary paths, which the nodes send in their notifications, depend on
// TMPDIR).
//
// The canonical form is one JSON object per event, in history order
// (Seq), with:
//
//   - "wall" (the wall-clock instant) dropped; "at" (protocol time) kept;
//   - in every string field, every "host:port" whose host is an IPv4
//     address, "localhost" or a bracketed IPv6 address written "host:P"
//     (ports are picked by the OS on the wire tier);
//   - "err" replaced by its error class (ErrorClass), not the OS's text.
func HistoryDigest(events []sim.Event) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, e := range events {
		_ = enc.Encode(canonicalMap(e))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// canonicalMap is e as a JSON object, normalised as HistoryDigest says.
func canonicalMap(e sim.Event) map[string]any {
	var m map[string]any
	b, err := json.Marshal(e)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return map[string]any{"unencodable": err.Error()}
	}
	delete(m, "wall")
	for k, v := range m {
		if s, ok := v.(string); ok {
			if k == "err" {
				m[k] = ErrorClass(s)
			} else {
				m[k] = NormaliseAddrs(s)
			}
		}
	}
	return m
}

// Canonical returns e with its wall time, ports and error text normalised
// in the named fields (URL, Detail, Err); HistoryDigest normalises every
// string field.
func Canonical(e sim.Event) sim.Event {
	e.Wall = time.Time{}
	e.URL = NormaliseAddrs(e.URL)
	e.Detail = NormaliseAddrs(e.Detail)
	if e.Err != "" {
		e.Err = ErrorClass(e.Err)
	}
	return e
}

var addrPattern = regexp.MustCompile(`\b(\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9A-Fa-f:.]+\]):\d+\b`)

// NormaliseAddrs replaces the port of every IP address (or localhost)
// with "P".
func NormaliseAddrs(s string) string {
	if !strings.Contains(s, ":") { // no port to replace: skip the regexp (most of a history's strings)
		return s
	}
	return addrPattern.ReplaceAllString(s, "$1:P")
}

// ErrorClass maps an error's text to its class: "reset", "refused",
// "eof", "timeout", "closed", "canceled", or the text itself with
// addresses normalised for anything else.
func ErrorClass(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "connection reset"), strings.Contains(m, "broken pipe"):
		return "reset"
	case strings.Contains(m, "connection refused"):
		return "refused"
	case strings.Contains(m, "deadline exceeded"), strings.Contains(m, "timeout"), strings.Contains(m, "i/o timeout"):
		return "timeout"
	case strings.Contains(m, "use of closed network connection"), strings.Contains(m, "server closed idle connection"):
		return "closed"
	case strings.Contains(m, "context canceled"):
		return "canceled"
	case strings.Contains(m, "eof"):
		return "eof"
	}
	return NormaliseAddrs(msg)
}
