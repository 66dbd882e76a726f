package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// layout is the on-disk session store of §8.2:
//
//	<Dir>/<SessionDirectory>/Requests/{GUID}/requestfile.bin   the received prefix [0, R)
//	<Dir>/<SessionDirectory>/Requests/{GUID}/state.json        the session record
//	<Dir>/<SessionDirectory>/Replies/{GUID}/responsefile.bin   the app's reply
//
// Only canonical session ids (wire.CanonicalSessionID) are ever joined to
// these paths.
type layout struct {
	root     string // Dir
	requests string
	replies  string
}

const (
	requestFileName = "requestfile.bin"
	replyFileName   = "responsefile.bin"
	stateFileName   = "state.json"
)

func newLayout(dir, sessionDir string) layout {
	base := filepath.Join(dir, sessionDir)
	return layout{root: dir, requests: filepath.Join(base, "Requests"), replies: filepath.Join(base, "Replies")}
}

func (l layout) mkdirs() error {
	for _, d := range []string{l.requests, l.replies} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("node: session directory: %w", err)
		}
	}
	return nil
}

func (l layout) requestDir(id string) string  { return filepath.Join(l.requests, id) }
func (l layout) requestFile(id string) string { return filepath.Join(l.requests, id, requestFileName) }
func (l layout) stateFile(id string) string   { return filepath.Join(l.requests, id, stateFileName) }
func (l layout) replyDir(id string) string    { return filepath.Join(l.replies, id) }
func (l layout) replyFile(id string) string   { return filepath.Join(l.replies, id, replyFileName) }

// writeAtomic replaces path with data so that a crash leaves either the old
// or the new content, never a mix: write a temporary sibling, optionally
// fsync it, rename it over path.
func writeAtomic(path string, data []byte, sync bool) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// saveRecord persists s.rec (caller holds s.mu).
func (n *Node) saveRecord(s *session) error {
	if err := n.live(); err != nil {
		return err
	}
	b, err := json.Marshal(&s.rec)
	if err != nil {
		return err
	}
	if err := writeAtomic(n.lay.stateFile(s.id), b, n.cfg.Sync); err != nil {
		return fmt.Errorf("node: save session %s: %w", s.id, err)
	}
	s.savedActivity = s.rec.LastActivity
	return nil
}

func readRecord(path string) (record, error) {
	var r record
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	err = json.Unmarshal(b, &r)
	return r, err
}
