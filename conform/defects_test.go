package conform

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/wire"
)

// A defect is a deliberately non-conforming server: the node with one of
// its Defects switched on, or the node behind a test-only HTTP wrapper
// that breaks one rule. Each must fail exactly its probes.
type defect struct {
	name   string
	mod    func(*node.Config)
	wrap   func(http.Handler) http.Handler
	want   []string // the probes that must fail, and no other
	reason string
}

var defects = []defect{
	{name: "session tied to its TCP connection", wrap: sessionPerConnection,
		want:   []string{"fragments/cut-body", "sessions/connection-per-packet", "sessions/new-connection", "sessions/parallel-connection"},
		reason: "packets of a session on another connection get 0x8020001F"},
	{name: "case-sensitive packet types", wrap: caseSensitiveTypes,
		want:   []string{"packets/ping-mixed-case", "packets/types-lower-case", "packets/types-upper-case"},
		reason: "only the Windows client's spelling is accepted"},
	{name: "case-sensitive protocol GUID", wrap: caseSensitiveGUID,
		want:   []string{"negotiation/guid-upper-case"},
		reason: "only the lower-case GUID is recognised"},
	{name: "first GUID of the list only", wrap: firstGUIDOnly,
		want:   []string{"limits/100-protocols", "negotiation/guid-list-comma", "negotiation/guid-list-space"},
		reason: "the server looks at the first protocol offered"},
	{name: "missing or unknown protocol accepted", wrap: anyProtocol,
		want:   []string{"negotiation/empty-protocols", "negotiation/missing-protocols", "negotiation/unknown-protocol"},
		reason: "Create-Session succeeds whatever the client offers"},
	{name: "unknown packet types accepted", wrap: unknownTypeOK,
		want:   []string{"packets/ack-from-client", "packets/missing-type", "packets/unknown-type"},
		reason: "an unknown or missing packet type gets 200"},
	{name: "bodies on body-less packets accepted", wrap: bodiesIgnored,
		want:   []string{"packets/body-on-cancel", "packets/body-on-close", "packets/body-on-create", "packets/body-on-ping"},
		reason: "the body of a non-Fragment packet is dropped silently"},
	{name: "missing Content-Length accepted", wrap: lengthOptional,
		want:   []string{"packets/chunked-fragment", "packets/missing-length-create", "packets/missing-length-ping"},
		reason: "requests without Content-Length are framed by the server"},
	{name: "Content-Range trusted over Content-Length", wrap: rangeFromLength,
		want:   []string{"fragments/length-long", "fragments/length-short"},
		reason: "the range is cut to the body's length instead of a 400"},
	{name: "empty fragments acknowledged", wrap: emptyFragmentOK,
		want:   []string{"fragments/zero-length"},
		reason: "a Fragment with no body is taken as a keep-alive"},
	{name: "ranges clamped to the total", wrap: clampToTotal,
		want:   []string{"fragments/beyond-total", "fragments/last-equals-total"},
		reason: "a range ending beyond the total is cut to it, body included"},
	{name: "overlap stored twice", mod: func(c *node.Config) { c.Defects.StoreOverlapTwice = true },
		want:   []string{"fragments/overlap", "fragments/overlap-keeps-stored-bytes"},
		reason: "the overlapping part of a retried fragment is appended again; Acks look right, the file is corrupt"},
	{name: "gap acknowledged", mod: func(c *node.Config) { c.Defects.AckGap = true },
		want:   []string{"fragments/cut-body", "fragments/gap", "fragments/gap-final", "fragments/gap-then-resume"},
		reason: "a fragment beyond the received offset is stored with a hole and acknowledged"},
	{name: "cancelled sessions kept", wrap: ignored(wire.CancelSession),
		want:   []string{"sessions/close-after-cancel", "sessions/fragment-after-cancel"},
		reason: "Cancel-Session is acknowledged but the session lives on"},
	{name: "closed sessions kept", wrap: ignored(wire.CloseSession),
		want: []string{"notification/reply-gone-after-close", "sessions/close-twice", "sessions/early-close",
			"sessions/fragment-after-close"},
		reason: "Close-Session is acknowledged but the session (and its reply) lives on"},
	{name: "unknown session answered 404", wrap: notFound404,
		want: []string{"sessions/close-after-cancel", "sessions/close-twice", "sessions/early-close",
			"sessions/fragment-after-cancel", "sessions/fragment-after-close", "sessions/malformed-id", "sessions/missing-id",
			"sessions/unknown-cancel", "sessions/unknown-close", "sessions/unknown-fragment"},
		reason: "a plain 404 instead of 500 with 0x8020001F: clients cannot tell they must start a new session"},
	{name: "case-sensitive session ids", wrap: exactSessionID,
		want:   []string{"sessions/id-case"},
		reason: "a GUID session id is compared byte for byte"},
	{name: "error Acks without Content-Length", wrap: errorsChunked,
		want:   []string{"errors/content-length"},
		reason: "error Acks are sent chunked"},
	{name: "error Acks without BITS-Packet-Type", wrap: errorsNotAcks,
		want:   []string{"errors/packet-type"},
		reason: "errors are plain HTTP errors"},
	{name: "error Acks without context", wrap: errorsWithoutContext,
		want:   []string{"errors/code-and-context", "errors/server-context"},
		reason: "BITS-Error-Context is missing"},
	{name: "error headers on successful Acks", wrap: successWithErrorHeaders,
		want:   []string{"errors/success-acks"},
		reason: "200 Acks carry BITS-Error-Code: 1 and an empty context, as some deployed servers do"},
	{name: "no header size limit", wrap: noHeaderLimit,
		want:   []string{"limits/header-over-4kb"},
		reason: "header values over 4 KB are accepted"},
	{name: "notification repeated for a retried final fragment",
		mod:    func(c *node.Config) { c.Defects.NoNotifyCache = true; c.RequestRetention = node.KeepUntilClose },
		want:   []string{"notification/final-retry-cached"},
		reason: "the notify cache is not used"},
	{name: "reply without byte ranges", wrap: replyIgnoresRange,
		want:   []string{"notification/reply-range"},
		reason: "a ranged GET of the reply gets the whole reply with 200"},
}

func TestDefectiveNodesFailExactlyTheirProbes(t *testing.T) {
	for _, d := range defects {
		t.Run(strings.ReplaceAll(d.name, " ", "-"), func(t *testing.T) {
			t.Parallel()
			r := startRig(t, d.mod, d.wrap)
			rep, err := Run(context.Background(), r.config())
			if err != nil {
				t.Fatal(err)
			}
			got := failed(rep)
			slices.Sort(got)
			if diff := cmp.Diff(d.want, got); diff != "" {
				t.Errorf("%s (%s): failed probes (-want +got):\n%s", d.name, d.reason, diff)
				for _, res := range rep.Results {
					if res.Outcome == Fail && !slices.Contains(d.want, res.ID) {
						t.Logf("%s: %s", res.ID, res.Message)
					}
				}
			}
		})
	}
}

// ackOf writes a as the whole response.
func ackOf(w http.ResponseWriter, a wire.Ack) { a.Write(w) }

func packetType(r *http.Request) (wire.PacketType, string) {
	raw, _ := wire.Header(r.Header, wire.HdrPacketType)
	p, _ := wire.ParsePacketType(raw)
	return p, raw
}

func sessionOf(r *http.Request) string {
	v, _ := wire.Header(r.Header, wire.HdrSessionID)
	if c, ok := wire.CanonicalSessionID(v); ok {
		return c
	}
	return v
}

var notFound = wire.ErrSessionNotFound.Ack()

// rewrite runs next into a recorder and lets edit change the status and
// headers before they are sent.
func rewrite(next http.Handler, edit func(r *http.Request, status int, h http.Header) int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		h := w.Header()
		for k, v := range rec.Header() {
			h[k] = v
		}
		status := edit(r, rec.Code, h)
		w.WriteHeader(status)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func sessionPerConnection(next http.Handler) http.Handler {
	var mu sync.Mutex
	owner := map[string]string{} // session -> RemoteAddr that created it
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, _ := packetType(r)
		if sid := sessionOf(r); r.Method == wire.Method && sid != "" && typ != wire.Ping {
			mu.Lock()
			o, ok := owner[sid]
			mu.Unlock()
			if ok && o != r.RemoteAddr {
				ackOf(w, notFound)
				return
			}
		}
		rewrite(next, func(_ *http.Request, status int, h http.Header) int {
			if typ == wire.CreateSession {
				if sid, ok := wire.Header(h, wire.HdrSessionID); ok {
					mu.Lock()
					owner[sid] = r.RemoteAddr
					mu.Unlock()
				}
			}
			return status
		}).ServeHTTP(w, r)
	})
}

func caseSensitiveTypes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if typ, raw := packetType(r); r.Method == wire.Method && typ != wire.Unknown && raw != typ.String() {
			ackOf(w, wire.ErrBadRequest.Ack())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func protocols(r *http.Request) []string {
	v, _ := wire.Header(r.Header, wire.HdrSupportedProtocols)
	return strings.FieldsFunc(v, func(c rune) bool { return c == ' ' || c == ',' })
}

func onCreate(next http.Handler, f func(w http.ResponseWriter, r *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if typ, _ := packetType(r); r.Method == wire.Method && typ == wire.CreateSession && f(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

func caseSensitiveGUID(next http.Handler) http.Handler {
	return onCreate(next, func(w http.ResponseWriter, r *http.Request) bool {
		if !slices.Contains(protocols(r), wire.ProtocolGUID) {
			ackOf(w, wire.ErrBadRequest.Ack())
			return true
		}
		return false
	})
}

func firstGUIDOnly(next http.Handler) http.Handler {
	return onCreate(next, func(w http.ResponseWriter, r *http.Request) bool {
		if ps := protocols(r); len(ps) == 0 || !strings.EqualFold(ps[0], wire.ProtocolGUID) {
			ackOf(w, wire.ErrBadRequest.Ack())
			return true
		}
		return false
	})
}

func anyProtocol(next http.Handler) http.Handler {
	return onCreate(next, func(_ http.ResponseWriter, r *http.Request) bool {
		r.Header.Set(wire.HdrSupportedProtocols, wire.ProtocolGUID)
		return false
	})
}

func unknownTypeOK(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if typ, _ := packetType(r); r.Method == wire.Method && (typ == wire.Unknown || typ == wire.AckPacket) {
			ackOf(w, wire.Ack{Status: http.StatusOK})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// emptyBody replaces r's body by an empty one with Content-Length: 0.
func emptyBody(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body, r.ContentLength, r.TransferEncoding = http.NoBody, 0, nil
	r.Header.Set("Content-Length", "0")
}

func bodiesIgnored(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if typ, _ := packetType(r); r.Method == wire.Method && typ != wire.Fragment && r.ContentLength > 0 {
			emptyBody(r)
		}
		next.ServeHTTP(w, r)
	})
}

func lengthOptional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.Header["Content-Length"]; r.Method == wire.Method && !ok {
			body, _ := io.ReadAll(r.Body)
			r.Body, r.ContentLength, r.TransferEncoding = io.NopCloser(bytes.NewReader(body)), int64(len(body)), nil
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		next.ServeHTTP(w, r)
	})
}

func rangeFromLength(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr, _ := wire.Header(r.Header, wire.HdrContentRange)
		if rg, err := wire.ParseContentRange(cr); err == nil && r.ContentLength > 0 && r.ContentLength != rg.Len() {
			rg.Last = rg.First + r.ContentLength - 1
			r.Header.Set(wire.HdrContentRange, rg.String())
		}
		next.ServeHTTP(w, r)
	})
}

// ignored acknowledges packets of type typ (Close- or Cancel-Session) for
// live sessions without passing them on.
func ignored(typ wire.PacketType) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		created := map[string]bool{}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, _ := packetType(r)
			mu.Lock()
			known := created[sessionOf(r)]
			mu.Unlock()
			if r.Method == wire.Method && t == typ && known && r.ContentLength == 0 {
				ackOf(w, wire.Ack{Status: http.StatusOK})
				return
			}
			rewrite(next, func(_ *http.Request, status int, h http.Header) int {
				mu.Lock()
				defer mu.Unlock()
				if sid, ok := wire.Header(h, wire.HdrSessionID); ok && t == wire.CreateSession {
					created[sid] = true
				}
				if (t == wire.CloseSession || t == wire.CancelSession) && status == http.StatusOK {
					delete(created, sessionOf(r)) // ended by the other packet: really gone
				}
				return status
			}).ServeHTTP(w, r)
		})
	}
}

func notFound404(next http.Handler) http.Handler {
	return rewrite(next, func(_ *http.Request, status int, h http.Header) int {
		if c, _ := wire.Header(h, wire.HdrErrorCode); status == 500 && c == wire.BGESessionNotFound.Hex() {
			delete(h, wire.HdrErrorCode)
			delete(h, wire.HdrErrorContext)
			return http.StatusNotFound
		}
		return status
	})
}

func exactSessionID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v, ok := wire.Header(r.Header, wire.HdrSessionID); ok && r.Method == wire.Method {
			if c, ok := wire.CanonicalSessionID(v); ok && c != strings.TrimSpace(v) {
				ackOf(w, notFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func errorsChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if rec.Code >= 400 {
			delete(w.Header(), "Content-Length")
			w.WriteHeader(rec.Code)
			w.(http.Flusher).Flush() // no length known: net/http sends it chunked
			return
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func errorsNotAcks(next http.Handler) http.Handler {
	return rewrite(next, func(_ *http.Request, status int, h http.Header) int {
		if status >= 400 {
			delete(h, wire.HdrPacketType)
		}
		return status
	})
}

func errorsWithoutContext(next http.Handler) http.Handler {
	return rewrite(next, func(_ *http.Request, status int, h http.Header) int {
		delete(h, wire.HdrErrorContext)
		return status
	})
}

func successWithErrorHeaders(next http.Handler) http.Handler {
	return rewrite(next, func(r *http.Request, status int, h http.Header) int {
		if r.Method == wire.Method && status < 300 {
			wire.SetExact(h, wire.HdrErrorCode, "1")
			wire.SetExact(h, wire.HdrErrorContext, "")
		}
		return status
	})
}

func noHeaderLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			for _, v := range vs {
				if len(v) > wire.MaxHeaderValue {
					delete(r.Header, k)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func replyIgnoresRange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			r.Header.Del("Range")
		}
		next.ServeHTTP(w, r)
	})
}

func emptyFragmentOK(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if typ, _ := packetType(r); r.Method == wire.Method && typ == wire.Fragment && r.ContentLength == 0 {
			ackOf(w, wire.Ack{Status: http.StatusOK})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clampToTotal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr, _ := wire.Header(r.Header, wire.HdrContentRange)
		var f, l, total int64
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &f, &l, &total); err == nil && f < total && l >= total {
			n := total - f
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.LimitReader(r.Body, n), r.Body}
			r.ContentLength = n
			r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
			r.Header.Set(wire.HdrContentRange, wire.Range{First: f, Last: total - 1, Total: total}.String())
		}
		next.ServeHTTP(w, r)
	})
}
