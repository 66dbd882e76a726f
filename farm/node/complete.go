package node

import (
	"errors"
	"github.com/bitsim/bitsim/internal/mutant"
	"io/fs"
	"net/http"
	"os"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// maxReplyURL is the longest reply URL the node passes on; a longer one
// gets 400 to the client (§5.3).
const maxReplyURL = 2200

// complete is the final-fragment path of §7.3 (s.mu held, R == T). It
// answers from the NotifyCache when it holds a result; otherwise it
// notifies the app (types 1 and 2) before the Ack, commits if the upload is
// to be copied and K2 says so, and caches the Ack. A failed notification is
// not cached, so the client's retried final fragment notifies again; an app
// 403 is persisted and answered forever after without posting again.
//
// BITS-Reply-URL is sent whenever the app produced a reply (a static
// response URL, a reply file written by reference, or a non-empty
// response body), because Create-Session carries no upload-reply flag.
func (n *Node) complete(r *http.Request, s *session) (wire.Ack, error) {
	if s.cache != nil && !n.cfg.Defects.NoNotifyCache && !mutant.On("node-no-notify-cache") {
		if n.cfg.NotificationType != NotifyNone {
			n.emit(sim.Event{Kind: sim.NotifyCached, Session: s.id, Status: s.cache.Status, Offset: s.received})
		}
		return *s.cache, nil
	}
	if s.rec.App403 && !mutant.On("node-repost-after-403") {
		return wire.Ack{}, wire.AppError(http.StatusForbidden).WithMsg("app refused this upload (403): never posted again")
	}
	if n.cfg.NotificationType != NotifyNone || mutant.On("node-notifies-type0") {
		if s.rec.Answered && (s.rec.RequestDeleted || mutant.On("node-retry-answers-from-disk")) {
			// A restarted node whose request file went after the app's answer
			// (K10) cannot post again; it answers from the persisted outcome.
			ack := received(s.rec.Total)
			ack.ReplyURL = s.rec.ReplyURL
			s.cache = &ack
			return ack, nil
		}
		out, err := n.notifyApp(s)
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && we.Status == http.StatusForbidden && we.Context == wire.ContextRemoteApplication {
				s.rec.App403 = true
				if serr := n.saveRecord(s); serr != nil {
					return wire.Ack{}, serr
				}
			}
			return wire.Ack{}, err
		}
		s.rec.Answered, s.rec.ReplyURL, s.rec.ShouldCopy = true, out.replyURL, out.copy
	}
	if err := n.saveRecord(s); err != nil {
		return wire.Ack{}, err
	}
	if n.shouldCopy(s) && n.cfg.Commit == CommitOnFinalFragment && !s.rec.Committed {
		if err := n.commit(s); err != nil {
			return wire.Ack{}, err
		}
	}
	if n.cfg.NotificationType != NotifyNone && !s.rec.ShouldCopy && n.cfg.RequestRetention == DeleteAfterAnswer {
		// K10: the app has the file; the request file goes now (record
		// first, so a crash in between never shows a vanished file), the
		// reply stays until Close.
		s.rec.RequestDeleted = true
		if err := n.saveRecord(s); err != nil {
			return wire.Ack{}, err
		}
		if err := n.live(); err != nil {
			return wire.Ack{}, err
		}
		if err := os.Remove(n.lay.requestFile(s.id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return wire.Ack{}, err
		}
	}
	ack := received(s.rec.Total)
	ack.ReplyURL = s.rec.ReplyURL
	s.cache = &ack
	return ack, nil
}

// shouldCopy reports whether the upload goes to its destination: always
// for type 0, when the app sent BITS-Copy-File-To-Destination otherwise.
func (n *Node) shouldCopy(s *session) bool {
	return n.cfg.NotificationType == NotifyNone || s.rec.ShouldCopy
}
