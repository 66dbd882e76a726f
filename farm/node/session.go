package node

import (
	"errors"
	"github.com/bitsim/bitsim/internal/mutant"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// record is a session's durable state (state.json). It never stores the
// received offset R: R is the length of the request file, so a crash at any
// instant cannot leave a record claiming bytes the file lacks. The notify
// cache is deliberately not here (§8.2): a restarted node notifies again.
type record struct {
	ID string `json:"id"`
	// URL is the absolute upload URL of the Create-Session, as the client
	// addressed it (BITS-Original-Request-URL).
	URL string `json:"url"`
	// Path is the remote path relative to the virtual directory.
	Path string `json:"path"`
	// Client is the session-limit key (ClientHeader value or remote IP).
	Client string `json:"client"`
	// Total is T from the first Fragment; 0 until then (T = 0 has no valid
	// Content-Range, so 0 never means a real size).
	Total        int64     `json:"total,omitempty"`
	Created      time.Time `json:"created"`
	LastActivity time.Time `json:"last_activity"`
	// App403 records that the app answered 403: never post this upload to
	// the app again (§10.4).
	App403 bool `json:"app_403,omitempty"`
	// Answered: the app answered 200; ReplyURL and ShouldCopy hold its
	// outcome. Only used when the request file is gone (RequestDeleted).
	Answered bool   `json:"answered,omitempty"`
	ReplyURL string `json:"reply_url,omitempty"`
	// ShouldCopy: commit the upload to its destination ([S]
	// ShouldCopyToDestination; always true for type 0).
	ShouldCopy bool `json:"should_copy,omitempty"`
	// CommitStarted is set before the destination is replaced, Committed
	// after: a retried commit after a crash in between may overwrite its own
	// earlier result without tripping the overwrite check.
	CommitStarted bool `json:"commit_started,omitempty"`
	Committed     bool `json:"committed,omitempty"`
	// RequestDeleted: the request file was deleted after the app answered
	// (K10); R is then T.
	RequestDeleted bool `json:"request_deleted,omitempty"`
}

// session is a live session. mu serialises the packets of one session (one
// request outstanding per session, §2.3; a retry racing a dying connection
// waits for it) and guards every field but doom. Unlock it with
// Node.release, never mu.Unlock: release acts on a doom set meanwhile.
type session struct {
	mu       sync.Mutex
	id       string
	rec      record
	received int64 // R, the next expected offset
	gone     bool  // closed, cancelled or expired: treat as unknown
	// savedActivity is the LastActivity last written to the record.
	savedActivity time.Time
	// cache is the NotifyCache: the Ack of the completed final fragment,
	// memory only.
	cache *wire.Ack
	// doom is set (to the reason) by DropSessions when a packet holds the
	// session: whoever holds mu drops the session when it releases it
	// (Node.release). Read and written without mu.
	doom atomic.Pointer[string]
}

func (s *session) complete() bool { return s.rec.Total > 0 && s.received == s.rec.Total }

// SessionInfo is a snapshot of a session, for tests, checkers and the farm.
type SessionInfo struct {
	ID       string
	Path     string // remote path in the virtual directory
	URL      string // upload URL of the Create-Session
	Received int64  // R
	Total    int64  // T, 0 before the first Fragment
	Complete bool
	// Notified: the node holds a cached final Ack (memory only).
	Notified     bool
	Committed    bool
	RequestFile  string
	ReplyFile    string
	Created      time.Time
	LastActivity time.Time
}

// Sessions returns a snapshot of every live session.
func (n *Node) Sessions() []SessionInfo {
	var out []SessionInfo
	for _, s := range n.snapshot() {
		if si, ok := n.info(s); ok {
			out = append(out, si)
		}
	}
	return out
}

// Session returns a snapshot of one session by id (any GUID spelling).
func (n *Node) Session(id string) (SessionInfo, bool) {
	s := n.lookup(id)
	if s == nil {
		return SessionInfo{}, false
	}
	return n.info(s)
}

func (n *Node) info(s *session) (SessionInfo, bool) {
	s.mu.Lock()
	defer n.release(s)
	if s.gone {
		return SessionInfo{}, false
	}
	return SessionInfo{ID: s.id, Path: s.rec.Path, URL: s.rec.URL, Received: s.received, Total: s.rec.Total,
		Complete: s.complete(), Notified: s.cache != nil, Committed: s.rec.Committed,
		RequestFile: n.lay.requestFile(s.id), ReplyFile: n.lay.replyFile(s.id),
		Created: s.rec.Created, LastActivity: s.rec.LastActivity}, true
}

func (n *Node) snapshot() []*session {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*session, 0, len(n.sessions))
	for _, s := range n.sessions {
		out = append(out, s)
	}
	// In id order: map order must never reach the history (cleanup
	// expires sessions in this order).
	slices.SortFunc(out, func(a, b *session) int { return strings.Compare(a.id, b.id) })
	return out
}

func (n *Node) sessionCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sessions)
}

// lookup finds a session by id; a non-GUID id is simply unknown and never
// reaches the file system.
func (n *Node) lookup(id string) *session {
	c, ok := wire.CanonicalSessionID(id)
	if !ok {
		return nil
	}
	n.mu.Lock()
	s := n.sessions[c]
	n.mu.Unlock()
	if n.cfg.SharedStorage && !mutant.On("node-shared-storage-blind") {
		return n.refresh(c, s)
	}
	return s
}

// discard deletes everything of a session: request file, reply, record
// (caller holds s.mu). The record goes last, so a crash midway leaves a
// session whose Close or Cancel can be retried.
func (n *Node) discard(s *session) {
	_ = os.Remove(n.lay.requestFile(s.id))
	_ = os.RemoveAll(n.lay.replyDir(s.id))
	_ = os.RemoveAll(n.lay.requestDir(s.id))
	n.forget(s)
}

// forget drops a session from the table (caller holds s.mu), leaving its
// files alone.
func (n *Node) forget(s *session) {
	s.gone = true
	n.mu.Lock()
	if n.sessions[s.id] == s {
		delete(n.sessions, s.id)
	}
	n.mu.Unlock()
}

// load restores every durable session from disk. A session directory
// without a readable record is the residue of a crash inside
// Create-Session, before its Ack: the client never saw it, so it is
// removed (except on shared storage, where it may be another node's
// Create-Session in progress).
func (n *Node) load() error {
	if mutant.On("node-forgets-sessions-on-restart") {
		return nil
	}
	ents, err := os.ReadDir(n.lay.requests)
	if err != nil {
		return err
	}
	for _, e := range ents {
		id, ok := wire.CanonicalSessionID(e.Name())
		if !ok || id != e.Name() || !e.IsDir() {
			continue // not ours; never touch it
		}
		s := n.restore(id)
		if s == nil {
			if !n.cfg.SharedStorage {
				_ = os.RemoveAll(n.lay.requestDir(id))
			}
			continue
		}
		n.mu.Lock()
		_, known := n.sessions[id]
		if !known {
			n.sessions[id] = s
		}
		n.mu.Unlock()
		if !known {
			n.emit(sim.Event{Kind: sim.SessionRestored, Session: id, URL: s.rec.URL, Offset: s.received, Total: s.rec.Total})
		}
	}
	return nil
}

// restore reads session id from disk: its record, and R from the request
// file's length. It returns nil if the session has no valid record.
func (n *Node) restore(id string) *session {
	rec, err := readRecord(n.lay.stateFile(id))
	if err != nil || rec.ID != id {
		return nil
	}
	s := &session{id: id, rec: rec, savedActivity: rec.LastActivity}
	st, err := os.Stat(n.lay.requestFile(id))
	switch {
	case err == nil:
		s.received = st.Size()
		if rec.Total > 0 && s.received > rec.Total {
			// Impossible by construction; never trust bytes beyond T.
			_ = os.Truncate(n.lay.requestFile(id), rec.Total)
			s.received = rec.Total
		}
	case errors.Is(err, fs.ErrNotExist) && rec.RequestDeleted:
		s.received = rec.Total
	}
	return s
}

// refresh re-reads a session from shared storage, where another node may
// have moved it on (or closed it) since this node last saw it. It returns
// the live session to use, or nil if the session no longer exists. The
// notify cache stays per node, in memory, as on a real farm.
func (n *Node) refresh(id string, s *session) *session {
	fresh := n.restore(id)
	if fresh == nil {
		if s != nil {
			s.mu.Lock()
			s.gone = true
			n.release(s)
			n.mu.Lock()
			if n.sessions[id] == s {
				delete(n.sessions, id)
			}
			n.mu.Unlock()
		}
		return nil
	}
	if s == nil {
		n.mu.Lock()
		s = n.sessions[id]
		if s == nil {
			n.sessions[id] = fresh
		}
		n.mu.Unlock()
		if s == nil {
			n.emit(sim.Event{Kind: sim.SessionRestored, Session: id, URL: fresh.rec.URL, Offset: fresh.received,
				Total: fresh.rec.Total, Detail: "shared storage"})
			return fresh
		}
	}
	s.mu.Lock()
	if !s.gone {
		s.rec, s.received, s.savedActivity = fresh.rec, fresh.received, fresh.rec.LastActivity
	}
	n.release(s)
	return s
}

// syncShared brings the session table in line with shared storage before a
// cleanup: sessions created by other nodes join it, sessions closed by
// other nodes leave it.
func (n *Node) syncShared() {
	_ = n.load()
	for _, s := range n.snapshot() {
		n.refresh(s.id, s)
	}
}

// loseTail truncates request files as an unflushed tail lost in a machine
// crash would (KillOptions.LoseTail).
func (n *Node) loseTail(by int64, only string) {
	if c, ok := wire.CanonicalSessionID(only); ok {
		only = c
	}
	for _, s := range n.snapshot() {
		if only != "" && s.id != only {
			continue
		}
		s.mu.Lock()
		if !s.gone && !s.rec.Committed && !s.rec.RequestDeleted {
			path := n.lay.requestFile(s.id)
			if st, err := os.Stat(path); err == nil {
				_ = os.Truncate(path, max(st.Size()-by, 0))
			}
		}
		n.release(s)
	}
}
