package node

import (
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// serveReply answers GET and HEAD for a reply file (§11): any path under
// Prefix ending in <SessionDirectory>/Replies/{GUID}/responsefile.bin, so
// that the relative BITS-Reply-URL resolves against any upload URL's
// directory. It supports a single byte range (206 with Content-Range) and
// sends Accept-Ranges and Content-Length, via http.ServeContent. The reply
// exists from the final Ack until Close-Session, Cancel-Session or expiry;
// anything else is an empty 404.
func (n *Node) serveReply(w http.ResponseWriter, r *http.Request) {
	n.abortIfDead()
	id, ok := n.replySession(r.URL.Path)
	var f *os.File
	if ok {
		if s := n.lookup(id); s != nil {
			s.mu.Lock()
			if !s.gone {
				f, _ = os.Open(n.lay.replyFile(s.id))
			}
			n.release(s)
		}
	}
	if f == nil {
		w.WriteHeader(http.StatusNotFound)
		n.emit(sim.Event{Kind: sim.ReplyServed, Session: id, Method: r.Method, URL: requestURL(r), Status: http.StatusNotFound})
		return
	}
	defer f.Close()
	n.abortIfDead()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(sw, r, "", time.Time{}, f)
	n.emit(sim.Event{Kind: sim.ReplyServed, Session: id, Method: r.Method, URL: requestURL(r), Status: sw.status,
		Detail: r.Header.Get("Range")})
}

// replySession extracts the session id from a reply path.
func (n *Node) replySession(p string) (string, bool) {
	segs := strings.Split(strings.TrimPrefix(p, n.cfg.Prefix), "/")
	k := len(segs)
	if k < 4 || !strings.EqualFold(segs[k-4], n.cfg.SessionDirectory) || !strings.EqualFold(segs[k-3], "Replies") ||
		!strings.EqualFold(segs[k-1], replyFileName) {
		return "", false
	}
	return wire.CanonicalSessionID(segs[k-2])
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
