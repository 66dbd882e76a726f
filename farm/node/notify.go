package node

import (
	"context"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// NodeHeader names the delivering node in every notification, so the app
// can record which node delivered.
const NodeHeader = wire.HdrNode

// notifyUserAgent is what IIS's back-end client sends ([X]).
const notifyUserAgent = "BITSExts 1.5"

// errAppUnreachable is the Ack when the notification URL cannot be reached
// or the exchange breaks before an answer: 503 with BG_E_HTTP_ERROR_503,
// context 7 — transient by §6.5, so the client retries the final fragment
// and the node notifies again (§10.4 "notification URL unreachable").
var errAppUnreachable = wire.AppError(http.StatusServiceUnavailable)

// notifyOutcome is what a successful (200) notification decided.
type notifyOutcome struct {
	replyURL string // BITS-Reply-URL to send, "" for no reply
	copy     bool   // BITS-Copy-File-To-Destination was present
}

// notifyApp runs the notification of §10 for a complete session (s.mu
// held) and returns its outcome, or the error Ack for the client: the app's
// status (wire.AppError, context 7) for a non-200 answer, 408 /
// wire.ErrNotifyTimeout when NotificationTimeout (on the clock) runs out,
// errAppUnreachable when no answer came.
//
// Crash points AfterNotifySent (request written, answer pending) and
// AfterNotifyAnswer (answer read, nothing acted on) are reached here.
func (n *Node) notifyApp(s *session) (notifyOutcome, error) {
	var out notifyOutcome
	if err := n.live(); err != nil {
		return out, err
	}
	target, err := resolveNotifyURL(n.cfg.NotificationURL, s.rec.URL)
	if err != nil {
		return out, errAppUnreachable.WithMsg("notification URL: %v", err)
	}
	reply := n.lay.replyFile(s.id)
	if err := os.MkdirAll(n.lay.replyDir(s.id), 0o755); err != nil {
		return out, err
	}
	_ = os.Remove(reply) // a reply from an earlier, failed attempt is stale

	// The notification is cut when the node dies (Kill, or a crash point
	// elsewhere), except when it dies at AfterNotifySent for this very
	// notification: then the exchange is detached and finishes in an orphan
	// goroutine, so the app really is "processing while the node dies".
	base, cutBase := context.WithCancel(context.Background())
	var detached, crashed atomic.Bool
	defer func() {
		if !crashed.Load() { // a detached exchange is the orphan's to end
			cutBase()
		}
	}()
	stopCut := context.AfterFunc(n.ctx, func() {
		if !detached.Load() {
			cutBase()
		}
	})
	defer stopCut()
	timeout := n.cfg.NotificationTimeout
	if mutant.On("node-no-notify-timeout") {
		timeout = 1000 * time.Hour
	}
	ctx, cancel := n.clock.WithTimeout(base, timeout)
	crashSig := make(chan struct{})
	trace := n.sentTrace(s, target, &detached, &crashed, crashSig, cutBase)
	req, err := n.notifyRequest(httptrace.WithClientTrace(ctx, trace), s, target, reply)
	if err != nil {
		cancel()
		return out, err
	}
	done := n.sendNotify(s, target, req, &crashed, func() { cancel(); cutBase() })
	var res notifyResult
	select {
	case res = <-done:
		defer cancel()
	case <-crashSig:
		panic(http.ErrAbortHandler) // the orphan cancels the guard
	}
	resp, err := res.resp, res.err
	if n.Dead() {
		if resp != nil {
			resp.Body.Close()
		}
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		return notifyOutcome{}, n.notifyFailed(ctx, s, target, err)
	}
	return n.readAnswer(ctx, s, target, resp)
}

// notifyResult is the app's answer to a notification, or the failure.
type notifyResult struct {
	resp *http.Response
	err  error
}

// sendNotify sends req in a goroutine that outlives the
// handler if the node dies at AfterNotifySent (crashed set): that orphan
// drains and drops the answer, records it as orphaned and calls release.
// Otherwise the answer goes to the returned channel.
func (n *Node) sendNotify(s *session, target string, req *http.Request, crashed *atomic.Bool, release func()) <-chan notifyResult {
	done := make(chan notifyResult, 1)
	n.orphans.Add(1)
	go func() {
		defer n.orphans.Done()
		resp, err := n.notify.Do(req)
		if crashed.Load() { // the handler is gone: drop the answer
			if resp != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, n.cfg.MaxReplySize))
				resp.Body.Close()
			}
			release()
			n.emit(sim.Event{Kind: sim.NotifyAnswered, Session: s.id, URL: target, Status: statusOf(resp), Reason: sim.ReasonOrphaned, Detail: "orphaned: the node had died"})
			return
		}
		done <- notifyResult{resp, err}
	}()
	return done
}

// sentTrace records the NotifySent event once the notification is written
// and reaches crash point AfterNotifySent there. The exchange is detached
// from the event on, until the crash point was consulted: a kill fired by
// the event itself (faults act synchronously in the emitting goroutine,
// here the transport's) is a death at AfterNotifySent, as a crash point
// firing there is. If the node dies there, crashed is set and crashSig
// closed, and the exchange stays the orphan's.
//
// detached must be set before the event: the kill cancels n.ctx, whose
// AfterFunc cuts the exchange unless detached, in a goroutine of its own
// racing this one — set after the event, whether the app got the
// notification depended on goroutine scheduling (explore run 211 of seed
// 1). A death between the crash point and re-attaching is caught here
// too, so the cut never depends on which goroutine ran first.
func (n *Node) sentTrace(s *session, target string, detached, crashed *atomic.Bool, crashSig chan struct{}, cut func()) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err != nil {
			return
		}
		detached.Store(true)
		n.emit(sim.Event{Kind: sim.NotifySent, Session: s.id, URL: target, Bytes: bodyLen(n.cfg.NotificationType, s.rec.Total),
			Notification: n.cfg.NotificationType.String(), Detail: n.cfg.NotificationType.String()})
		if n.reached(AfterNotifySent, s.id) {
			crashed.Store(true)
			close(crashSig)
			return
		}
		detached.Store(false)
		if n.Dead() { // died after the crash point: the AfterFunc may have seen detached
			cut()
		}
	}}
}

// readAnswer reads the app's answer (closing its body), records it, reaches
// crash point AfterNotifyAnswer and turns it into the outcome or the error
// Ack of notifyApp.
func (n *Node) readAnswer(ctx context.Context, s *session, target string, resp *http.Response) (notifyOutcome, error) {
	var out notifyOutcome
	data, err := io.ReadAll(io.LimitReader(resp.Body, n.cfg.MaxReplySize+1))
	resp.Body.Close()
	if err != nil {
		return out, n.notifyFailed(ctx, s, target, err)
	}
	n.emit(sim.Event{Kind: sim.NotifyAnswered, Session: s.id, URL: target, Status: resp.StatusCode, Bytes: int64(len(data))})
	n.crashHere(AfterNotifyAnswer, s.id)
	if resp.StatusCode != http.StatusOK {
		return out, wire.AppError(resp.StatusCode).WithMsg("app answered %d", resp.StatusCode)
	}
	if int64(len(data)) > n.cfg.MaxReplySize {
		return out, wire.AppError(http.StatusBadGateway).WithMsg("reply over %d bytes", n.cfg.MaxReplySize)
	}
	_, out.copy = wire.Header(resp.Header, wire.HdrCopyFileToDestination)
	out.replyURL, err = n.keepReply(s, resp.Header, data)
	return out, err
}

// notifyRequest builds the POST of §10.2. A by-value body is the request
// file itself, closed by the transport once it wrote it: closed by the
// caller when the answer came, it raced the transport's end-of-body read
// (on real TCP sendfile gets the last bytes to the app, which answers,
// before that read), which then failed the write: no notify.sent, crash
// point after-notify-sent skipped.
func (n *Node) notifyRequest(ctx context.Context, s *session, target, reply string) (*http.Request, error) {
	var body io.ReadCloser
	var length int64
	if n.cfg.NotificationType == NotifyValue && !mutant.On("node-value-notify-empty") {
		f, err := os.Open(n.lay.requestFile(s.id))
		if err != nil {
			return nil, err
		}
		body, length = f, s.rec.Total
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = body
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, rd)
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, errAppUnreachable.WithMsg("notification request: %v", err)
	}
	req.ContentLength = length
	h := req.Header
	wire.SetExact(h, wire.HdrOriginalRequestURL, s.rec.URL)
	if n.cfg.NotificationType == NotifyReference {
		wire.SetExact(h, wire.HdrRequestDataFileName, n.lay.requestFile(s.id))
		wire.SetExact(h, wire.HdrResponseDataFileName, reply)
	}
	h.Set(NodeHeader, n.cfg.Name)
	h.Set("User-Agent", notifyUserAgent)
	return req, nil
}

// notifyFailed classifies a notification that got no answer.
func (n *Node) notifyFailed(ctx context.Context, s *session, target string, err error) error {
	n.emit(sim.Event{Kind: sim.NotifyAnswered, Session: s.id, URL: target, Err: err.Error()})
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return wire.ErrNotifyTimeout.WithMsg("app did not answer within %s", n.cfg.NotificationTimeout)
	}
	return errAppUnreachable.WithMsg("%v", err)
}

// keepReply decides the reply of a 200 answer (§10.3, K9): a static
// response URL wins; else a reply file the app wrote (by reference); else a
// non-empty body, stored as the reply file. It returns the BITS-Reply-URL,
// "" when the app produced no reply.
func (n *Node) keepReply(s *session, h http.Header, body []byte) (string, error) {
	if u, ok := wire.Header(h, wire.HdrStaticResponseURL); ok && strings.TrimSpace(u) != "" {
		u = strings.TrimSpace(u)
		if len(u) > maxReplyURL {
			return "", wire.ErrBadRequest.WithMsg("static response URL longer than %d characters", maxReplyURL)
		}
		return u, nil
	}
	reply := n.lay.replyFile(s.id)
	if n.cfg.NotificationType == NotifyReference {
		if _, err := os.Stat(reply); err == nil {
			return n.replyURL(s.id), nil
		}
	}
	if len(body) == 0 {
		return "", nil
	}
	if err := writeAtomic(reply, body, n.cfg.Sync); err != nil {
		return "", fmt.Errorf("node: store reply: %w", err)
	}
	return n.replyURL(s.id), nil
}

func bodyLen(t NotifyType, total int64) int64 {
	if t == NotifyValue {
		return total
	}
	return 0
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}
