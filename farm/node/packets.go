package node

import (
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"github.com/bitsim/bitsim/knob"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// maxProtocols is how many GUIDs a Windows server accepts in
// BITS-Supported-Protocols (§3.1, [S<6>]).
const maxProtocols = 100

// createSession implements §4.2. The destination checks happen here, not at
// commit time (the digest leaves the timing open): a destination that is a
// directory gets 400; an existing file without AllowOverwrites gets
// ConflictStatus (K3) for every notification type, since the app of a
// type 1/2 upload may still ask for the copy.
func (n *Node) createSession(r *http.Request) (wire.Ack, error) {
	if !supportsProtocol(r.Header.Get(wire.HdrSupportedProtocols)) {
		return wire.Ack{}, wire.ErrBadRequest.WithMsg("no common protocol")
	}
	rel, err := n.remotePath(r.URL.Path)
	if err != nil {
		return wire.Ack{}, wire.ErrBadRequest.WithMsg("%s: %v", r.URL.Path, err)
	}
	if err := n.checkDestination(rel, false); err != nil {
		return wire.Ack{}, err
	}
	id, err := n.newSessionID()
	if err != nil {
		return wire.Ack{}, err
	}
	now := n.clock.Now()
	s := &session{id: id, rec: record{ID: id, URL: requestURL(r), Path: rel, Client: n.clientKey(r),
		Created: now, LastActivity: now}}
	if err := os.MkdirAll(n.lay.requestDir(id), 0o755); err != nil {
		return wire.Ack{}, err
	}
	f, err := os.OpenFile(n.lay.requestFile(id), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = n.saveRecord(s)
	}
	if err != nil {
		_ = os.RemoveAll(n.lay.requestDir(id))
		return wire.Ack{}, err
	}
	n.mu.Lock()
	n.sessions[id] = s
	n.mu.Unlock()
	n.emit(sim.Event{Kind: sim.SessionCreated, Session: id, URL: s.rec.URL, Detail: rel})
	n.crashHere(AfterCreate, id)
	ack := wire.Ack{Status: http.StatusOK, Protocol: wire.ProtocolGUID, SessionID: id, AcceptEncoding: "identity"}
	if n.cfg.HostID != "" && !mutant.On("node-no-hostid-header") {
		ack.HostID = n.cfg.HostID
		ack.FallbackTimeout, ack.HasFallback = n.cfg.fallbackSeconds()
	}
	return ack, nil
}

// supportsProtocol reports whether the space- or comma-separated GUID list
// names the BITS 1.5 upload protocol (case-insensitively, §2.10).
func supportsProtocol(list string) bool {
	ids := strings.FieldsFunc(list, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	if len(ids) > maxProtocols {
		return false
	}
	for _, id := range ids {
		if strings.EqualFold(id, wire.ProtocolGUID) {
			return true
		}
	}
	return false
}

// checkDestination applies the destination rules to remote path rel: a
// directory is 400; an existing file without AllowOverwrites is K3 unless
// ours is true (a retried commit replacing its own earlier result).
func (n *Node) checkDestination(rel string, ours bool) error {
	dest := n.destPath(rel)
	st, err := os.Stat(dest)
	switch {
	case err == nil && st.IsDir():
		return wire.ErrBadRequest.WithMsg("%s: %v", rel, errDirectory)
	case err == nil && !n.cfg.AllowOverwrites && !ours:
		if n.cfg.ConflictStatus == knob.Conflict403 {
			return wire.ErrAccessDenied.WithMsg("%s exists", rel)
		}
		return wire.ErrConflict.WithMsg("%s exists", rel)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		// e.g. a parent component is a file (ENOTDIR)
		return wire.ErrBadRequest.WithMsg("%s: %v", rel, err)
	}
	if st, err := os.Stat(filepath.Dir(dest)); err == nil && !st.IsDir() {
		return wire.ErrBadRequest.WithMsg("%s: parent is not a directory", rel)
	}
	return nil
}

func (n *Node) newSessionID() (string, error) {
	for range 8 {
		id, err := wire.NewSessionID(n.cfg.Rand)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(n.lay.requestDir(id)); errors.Is(err, fs.ErrNotExist) {
			return id, nil
		}
	}
	return "", errors.New("node: cannot draw a fresh session id")
}

// clientKey identifies the client for the session limit: the ClientHeader
// value, else the remote IP.
func (n *Node) clientKey(r *http.Request) string {
	if v := r.Header.Get(n.cfg.ClientHeader); v != "" {
		return v
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// closeSession implements §4.4 and §8.3. An early Close (upload not
// complete) discards the partial file and commits nothing. Otherwise the
// upload is committed if it is to be copied and not yet committed (K2
// on-close, or a commit that failed at the final fragment), then the
// request file, reply and record are deleted, then the Ack is sent.
func (n *Node) closeSession(s *session) (wire.Ack, error) {
	if !s.complete() {
		n.discard(s)
		n.emit(sim.Event{Kind: sim.SessionClosed, Session: s.id, Offset: s.received, Total: s.rec.Total,
			Detail: "early close: partial upload discarded"})
		return wire.Ack{Status: http.StatusOK}, nil
	}
	n.crashHere(CloseBeforeCommit, s.id)
	if !s.rec.RequestDeleted {
		if _, err := os.Stat(n.lay.requestFile(s.id)); errors.Is(err, fs.ErrNotExist) {
			n.discard(s)
			return wire.Ack{}, wire.ErrNotFound.WithMsg("request file of %s vanished", s.id)
		}
	}
	if n.shouldCopy(s) && !s.rec.Committed {
		if err := n.commit(s); err != nil {
			return wire.Ack{}, err
		}
	}
	n.crashHere(CloseAfterCommit, s.id)
	if mutant.On("node-close-keeps-files") {
		n.forget(s)
	} else {
		n.discard(s)
	}
	n.emit(sim.Event{Kind: sim.SessionClosed, Session: s.id, Total: s.rec.Total, Detail: fmt.Sprintf("committed=%v", s.rec.Committed)})
	return wire.Ack{Status: http.StatusOK}, nil
}

// cancelSession implements §4.5: delete request, reply and record. A
// destination already committed (K2 on-final-fragment) stays, as [W] says.
func (n *Node) cancelSession(s *session) (wire.Ack, error) {
	n.discard(s)
	n.emit(sim.Event{Kind: sim.SessionCancelled, Session: s.id, Offset: s.received, Total: s.rec.Total})
	return wire.Ack{Status: http.StatusOK}, nil
}
