package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// Routes under the virtual directory Prefix:
//
//	BITS_POST <Prefix><remote path>                      upload packets (§4)
//	GET/HEAD  <Prefix>[...]/<SessionDirectory>/Replies/{GUID}/responsefile.bin
//	                                                     reply download (§11)
//
// Anything else under Prefix gets an empty 405; anything outside it 404
// (an Ack for BITS_POST).
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !n.enter() {
		panic(http.ErrAbortHandler) // a dead node answers nothing
	}
	defer n.wg.Done()
	if !strings.HasPrefix(r.URL.Path, n.cfg.Prefix) {
		if r.Method == wire.Method { // §5.3: the URL does not exist
			wire.ErrNotFound.Ack().Write(w)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		return
	}
	switch r.Method {
	case wire.Method:
		n.servePacket(w, r)
	case http.MethodGet, http.MethodHead:
		n.serveReply(w, r)
	default:
		w.Header().Set("Allow", wire.Method+", GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// packet is what the node learnt about a BITS_POST before dispatching it.
type packet struct {
	typ      wire.PacketType
	typeName string // wire spelling, or the raw header for unknown types
	session  string // canonical session id when it is a GUID, else raw
}

// eFail is E_FAIL, for internal errors that have no better HRESULT.
const eFail wire.HRESULT = 0x80004005

var errInternal = &wire.Error{Status: http.StatusInternalServerError, Code: eFail, Context: wire.ContextRemoteFile, HasCode: true}

// servePacket validates what every packet shares (§2, §4.2 step 1), then
// dispatches on BITS-Packet-Type and writes exactly one Ack.
func (n *Node) servePacket(w http.ResponseWriter, r *http.Request) {
	var p packet
	raw, _ := wire.Header(r.Header, wire.HdrPacketType)
	p.typ, _ = wire.ParsePacketType(raw)
	p.typeName = p.typ.String()
	if p.typ == wire.Unknown {
		p.typeName = raw
	}
	if sid, ok := wire.Header(r.Header, wire.HdrSessionID); ok {
		p.session = sid
		if c, ok := wire.CanonicalSessionID(sid); ok {
			p.session = c
		}
	}
	ev := sim.Event{Kind: sim.PacketReceived, Packet: p.typeName, Session: p.session, Method: r.Method, URL: requestURL(r)}
	if cr := r.Header.Get(wire.HdrContentRange); cr != "" {
		if rg, err := wire.ParseContentRange(cr); err == nil {
			ev.First, ev.Last, ev.Total = rg.First, rg.Last, rg.Total
		}
	}
	n.emit(ev)
	if n.answerOverride(w, r, p) {
		return
	}

	note := &reqNote{}
	ack, err := n.dispatch(w, r.WithContext(context.WithValue(r.Context(), reqNoteKey{}, note)), p)
	n.abortIfDead() // killed meanwhile: no Ack, no rejection, nothing
	if err != nil {
		var we *wire.Error
		if !errors.As(err, &we) {
			we = errInternal.WithMsg("%v", err)
			if errors.Is(err, syscall.ENOSPC) {
				we = wire.ErrDiskFull.WithMsg("%v", err)
			}
		}
		ack = we.Ack()
		note.reason = we.Msg
		if note.reason == "" {
			note.reason = we.Error()
		}
		if we.Context != wire.ContextRemoteApplication {
			n.emit(sim.Event{Kind: sim.RequestRejected, Packet: p.typeName, Session: p.session,
				Status: we.Status, Code: we.Code.Hex(), Err: we.Error(), Reason: rejection(err)})
		}
	}
	n.writeAck(w, p, ack, note.reason)
}

// errMissingContentLength is the rejection of a body-less packet without
// Content-Length.
var errMissingContentLength = wire.ErrBadRequest.WithMsg("missing Content-Length; IIS rejects this too; --missing-content-length accept tolerates it")

// rejection is the typed reason of a rejected packet, when it has one.
func rejection(err error) sim.Reason {
	var we *wire.Error
	if errors.As(err, &we) && we == errMissingContentLength {
		return sim.ReasonMissingContentLength
	}
	return ""
}

// reqNote collects what a packet handler says about an error Ack it
// returns without an error (416, a short body), for the log.
type reqNote struct{ reason string }

type reqNoteKey struct{}

// noteReason records why the Ack to r is an error Ack.
func noteReason(r *http.Request, format string, args ...any) {
	if rn, ok := r.Context().Value(reqNoteKey{}).(*reqNote); ok {
		rn.reason = fmt.Sprintf(format, args...)
	}
}

// logErrorAck gives the error Ack a request id (wire.HdrRequestID) and
// logs it in one line with its reason (Config.Logger).
func (n *Node) logErrorAck(w http.ResponseWriter, p packet, a wire.Ack, reason string) {
	if n.cfg.Logger == nil {
		return
	}
	id := n.cfg.Name + "-" + strconv.FormatInt(n.reqSeq.Add(1), 10)
	wire.SetExact(w.Header(), wire.HdrRequestID, id)
	if reason == "" {
		reason = http.StatusText(a.Status)
	}
	level := slog.LevelWarn
	if a.Status == http.StatusRequestedRangeNotSatisfiable || (a.HasError && a.Context == wire.ContextRemoteApplication) {
		level = slog.LevelInfo
	}
	attrs := []slog.Attr{slog.String("req", id), slog.String("node", n.cfg.Name), slog.String("packet", p.typeName)}
	if p.session != "" {
		attrs = append(attrs, slog.String("session", p.session))
	}
	attrs = append(attrs, slog.Int("status", a.Status))
	if a.HasError {
		attrs = append(attrs, slog.String("code", a.Code.Hex()), slog.String("context", a.Context.Hex()))
	}
	if a.HasReceived {
		attrs = append(attrs, slog.Int64("received", a.Received))
	}
	attrs = append(attrs, slog.String("reason", reason))
	n.cfg.Logger.LogAttrs(context.Background(), level, "error ack", attrs...)
}

// writeAck writes a once the node is known to be alive: a node that died
// while the packet was processed sends (and logs) nothing.
func (n *Node) writeAck(w http.ResponseWriter, p packet, a wire.Ack, reason string) {
	if n.Dead() {
		panic(http.ErrAbortHandler)
	}
	if !a.OK() {
		n.logErrorAck(w, p, a, reason)
	}
	a.Write(w)
	n.emit(ackEvent(p, a))
}

func (n *Node) dispatch(w http.ResponseWriter, r *http.Request, p packet) (wire.Ack, error) {
	if err := n.validateCommon(r, p); err != nil {
		return wire.Ack{}, err
	}
	switch p.typ {
	case wire.Ping:
		// §4.1: nothing beyond the common validation; no session needed.
		return wire.Ack{Status: http.StatusOK}, nil
	case wire.CreateSession:
		return n.createSession(r)
	case wire.Fragment:
		return n.withSession(p, func(s *session) (wire.Ack, error) { return n.fragment(w, r, s) })
	case wire.CloseSession:
		return n.withSession(p, func(s *session) (wire.Ack, error) { return n.closeSession(s) })
	case wire.CancelSession:
		return n.withSession(p, func(s *session) (wire.Ack, error) { return n.cancelSession(s) })
	}
	return wire.Ack{}, wire.ErrBadRequest.WithMsg("packet type %q", p.typeName)
}

// validateCommon is the validation every packet gets, in this order:
// packet type (400), header values over 4 KB (400), not chunked (400),
// Content-Length present (400, Windows' answer rather than [S]'s 411;
// Config.MissingContentLength may accept it on body-less packets), uploads
// enabled (501), empty body for every packet but Fragment (400).
func (n *Node) validateCommon(r *http.Request, p packet) error {
	if p.typ == wire.Unknown || p.typ == wire.AckPacket {
		return wire.ErrBadRequest.WithMsg("unknown or missing %s %q", wire.HdrPacketType, p.typeName)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			if len(v) > wire.MaxHeaderValue {
				return wire.ErrBadRequest.WithMsg("header %s longer than 4 KB", k)
			}
		}
	}
	if r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
		return wire.ErrBadRequest.WithMsg("chunked body without Content-Length")
	}
	if _, ok := r.Header["Content-Length"]; !ok {
		switch {
		case n.cfg.MissingContentLength == ContentLengthReject:
			return errMissingContentLength
		case p.typ == wire.Fragment:
			return wire.ErrBadRequest.WithMsg("missing Content-Length on a Fragment (required even with --missing-content-length accept)")
		}
		// Accepted: without Content-Length or Transfer-Encoding the body is empty.
		n.emit(sim.Event{Kind: sim.RequestTolerated, Packet: p.typeName, Session: p.session,
			Reason: sim.ReasonMissingContentLength, Err: "missing Content-Length (IIS answers 400 / 0x80070057)"})
	}
	if n.cfg.UploadsDisabled {
		return wire.ErrNotEnabled.WithMsg("uploads disabled")
	}
	if p.typ != wire.Fragment && r.ContentLength != 0 {
		return wire.ErrBadRequest.WithMsg("%s must have an empty body", p.typeName)
	}
	return nil
}

// withSession runs f with the packet's session locked, answering
// 0x8020001F for an unknown session (§6.3) and counting the packet as
// activity for the session time-out.
func (n *Node) withSession(p packet, f func(*session) (wire.Ack, error)) (wire.Ack, error) {
	s := n.lookup(p.session)
	if s == nil {
		return wire.Ack{}, wire.ErrSessionNotFound.WithMsg("no session %q on this node", p.session)
	}
	s.mu.Lock()
	defer n.release(s)
	if s.gone {
		return wire.Ack{}, wire.ErrSessionNotFound.WithMsg("session %s is gone", s.id)
	}
	s.rec.LastActivity = n.clock.Now()
	return f(s)
}
