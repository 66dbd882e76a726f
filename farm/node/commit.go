package node

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bitsim/bitsim/sim"
)

// commit puts the complete request file at the session's destination
// (s.mu held). It is atomic and idempotent:
//
//	record CommitStarted ─► link (or copy) request file to <dest>.bitsim-tmp
//	                    ─► rename over <dest> ─► record Committed
//
// so the destination is either absent, the old file, or the whole upload,
// and a commit retried after a crash anywhere in between succeeds. Parent
// folders are created (the harness has no other way to make them). The
// overwrite rule (K3) is re-checked, since the destination may have
// appeared after Create-Session.
func (n *Node) commit(s *session) error {
	if err := n.live(); err != nil {
		return err
	}
	if err := n.checkDestination(s.rec.Path, s.rec.CommitStarted); err != nil {
		return err
	}
	s.rec.CommitStarted = true
	if err := n.saveRecord(s); err != nil {
		return err
	}
	dest := n.destPath(s.rec.Path)
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("node: commit %s: %w", s.rec.Path, err)
	}
	tmp := dest + ".bitsim-tmp"
	_ = os.Remove(tmp)
	src := n.lay.requestFile(s.id)
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp, n.cfg.Sync); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("node: commit %s: %w", s.rec.Path, err)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("node: commit %s: %w", s.rec.Path, err)
	}
	s.rec.Committed = true
	if err := n.saveRecord(s); err != nil {
		return err
	}
	n.emit(sim.Event{Kind: sim.FileCommitted, Session: s.id, URL: s.rec.URL, Bytes: s.rec.Total, Detail: s.rec.Path})
	return nil
}

func copyFile(src, dst string, sync bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil && sync {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
