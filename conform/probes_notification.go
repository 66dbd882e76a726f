package conform

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bitsim/bitsim/app"
	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/wire"
)

// notificationProbes: notification of the server application and the
// reply download (§7.3, §10, §11). They need the app's ledger; replies are
// probed only when the server offers them (BITS-Reply-URL).
func notificationProbes() []Probe {
	g := GroupNotification
	return []Probe{
		probe(g, "once", "§10.1", "a completed upload is notified once, with the whole file, before the final Ack", func(t *T) {
			name, data := t.Name(), t.Payload(5000)
			sid := t.upload(name, data, 2000)
			t.wantDeliveries(name, data, 1, "after the final Ack")
			t.closeOK(name, sid)
			t.wantDeliveries(name, data, 1, "after Close-Session")
		}),
		probe(g, "not-before-last-byte", "§10.1", "no notification before the last byte has arrived", func(t *T) {
			name, data := t.Name(), t.Payload(5000)
			sid := t.create(name)
			t.sendRange(name, sid, data, 0, 4999, 2000)
			t.wantDeliveries(name, data, 0, "with 4999 of 5000 bytes received")
			t.wantReceived(t.frag(name, sid, data, 4999, 4999), "final Fragment 4999-4999", 200, 5000)
			t.wantDeliveries(name, data, 1, "after the final Ack")
		}),
		probe(g, "original-url", "§10.2", "the notification's BITS-Original-Request-URL is the upload URL", func(t *T) {
			name, data := t.Name(), t.Payload(500)
			t.upload(name, data, 500)
			ds := t.wantDeliveries(name, data, 1, "after the final Ack")
			if got, want := ds[0].RemoteURL, t.URL(name); !sameURL(got, want) {
				t.Failf("BITS-Original-Request-URL is %q, want %q", got, want)
			}
		}),
		probe(g, "final-retry-cached", "§7.3", "the final fragment sent again gets the cached Ack without a second notification", func(t *T) {
			name, data := t.Name(), t.Payload(3000)
			sid := t.upload(name, data, 1000)
			t.wantDeliveries(name, data, 1, "after the final Ack")
			t.wantReceived(t.frag(name, sid, data, 2000, 2999), "final Fragment sent again", 200, 3000)
			t.wantDeliveries(name, data, 1, "after the final Fragment was sent again")
		}),
		probe(g, "reply-download", "§11", "the reply named by BITS-Reply-URL downloads with GET before Close-Session", func(t *T) {
			name, data, u := t.replyUpload()
			resp := t.sendReply(Request{Method: http.MethodGet, Target: u.RequestURI()})
			if resp.Status != http.StatusOK {
				t.Failf("GET %s: want 200, got %s", u, statusOf(resp))
			}
			if want, ok := t.expectedReply(data); ok && string(resp.Body) != string(want) {
				t.Failf("GET %s: reply is %q, want %q", u, resp.Body, want)
			}
			t.closeOK(name, t.replySID)
		}),
		probe(g, "reply-range", "§11", "the reply supports a single byte range (206 with Content-Range) and HEAD with Content-Length", func(t *T) {
			name, data, u := t.replyUpload()
			head := t.sendReply(Request{Method: http.MethodHead, Target: u.RequestURI()})
			if head.Status != http.StatusOK || head.Header.Get("Content-Length") == "" {
				t.Failf("HEAD %s: want 200 with Content-Length, got %s (Content-Length %q)", u, statusOf(head), head.Header.Get("Content-Length"))
			}
			resp := t.sendReply(Request{Method: http.MethodGet, Target: u.RequestURI(), Headers: []Header{{"Range", "bytes=0-9"}}})
			if resp.Status != http.StatusPartialContent || len(resp.Body) != 10 || resp.Header.Get("Content-Range") == "" {
				t.Failf("GET %s with Range: bytes=0-9: want 206 with Content-Range and 10 bytes, got %s with %d bytes", u, statusOf(resp), len(resp.Body))
			}
			if want, ok := t.expectedReply(data); ok && string(resp.Body) != string(want[:10]) {
				t.Failf("GET %s with Range: bytes=0-9: got %q, want %q", u, resp.Body, want[:10])
			}
			t.closeOK(name, t.replySID)
		}),
		probe(g, "reply-gone-after-close", "§4.4", "after Close-Session the reply is gone (404)", func(t *T) {
			name, _, u := t.replyUpload()
			t.closeOK(name, t.replySID)
			resp := t.sendReply(Request{Method: http.MethodGet, Target: u.RequestURI()})
			if resp.Status != http.StatusNotFound {
				t.Failf("GET %s after Close-Session: want 404, got %s", u, statusOf(resp))
			}
		}),
	}
}

// wantDeliveries requires exactly n notifications of name in the app's
// ledger, each carrying data; it makes the probe not applicable without a
// ledger.
func (t *T) wantDeliveries(name string, data []byte, n int, when string) []ledger.Delivery {
	l := t.s.ledger()
	if l == nil {
		t.NA("no application ledger: the server's notifications are not observed (start conform's mock app or pass --ledger-url)")
	}
	ds, err := l.deliveries(t.ctx, name)
	if err != nil {
		t.Failf("%v", err)
	}
	if len(ds) != n {
		t.Failf("%s the app got %d notification(s) of %s, want %d", when, len(ds), name, n)
	}
	sha := digest(data)
	for _, d := range ds {
		if d.SHA256 != sha || d.Size != int64(len(data)) {
			t.Failf("%s the app got %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s)", when, d.Size, d.SHA256, len(data), sha)
		}
	}
	return ds
}

// replyUpload uploads a file and returns its name, content and the
// absolute reply URL from the final Ack; without BITS-Reply-URL the probe is
// not applicable. The session id is left in t.replySID.
func (t *T) replyUpload() (string, []byte, *url.URL) {
	name, data := t.Name(), t.Payload(3000)
	sid := t.create(name)
	t.sendRange(name, sid, data, 0, 2000, 1000)
	resp := t.frag(name, sid, data, 2000, 2999)
	t.wantReceived(resp, "final Fragment 2000-2999", 200, 3000)
	t.replySID = sid
	ru, ok := wire.Header(resp.Header, wire.HdrReplyURL)
	if !ok || strings.TrimSpace(ru) == "" {
		t.NA("the final Ack has no %s: the server offers no reply", wire.HdrReplyURL)
	}
	tg := t.s.tg.withHost(t.hostIDs[strings.ToUpper(sid)])
	base := *tg.base
	base.Host = tg.host
	u, err := resolveReply(base.String()+name, ru)
	if err != nil {
		t.Failf("%s %q: %v", wire.HdrReplyURL, ru, err)
	}
	if !strings.EqualFold(u.Host, tg.host) || u.Scheme != tg.base.Scheme {
		t.NA("the reply is served by another host (%s); conform only talks to %s", u.Host, tg.host)
	}
	return name, data, u
}

// expectedReply is the reply conform's own app produces for data.
func (t *T) expectedReply(data []byte) ([]byte, bool) {
	if !t.s.cfg.AppReplies || t.s.ledger() == nil {
		return nil, false
	}
	return app.ReplyFor("", digest(data), int64(len(data))), true
}

// resolveReply resolves a BITS-Reply-URL (absolute, or relative with
// IIS's backslashes) against the upload URL (§3.1, §11).
func resolveReply(upload, reply string) (*url.URL, error) {
	base, err := url.Parse(upload)
	if err != nil {
		return nil, err
	}
	ref, err := url.Parse(strings.ReplaceAll(strings.TrimSpace(reply), `\`, "/"))
	if err != nil {
		return nil, fmt.Errorf("conform: bad reply URL: %w", err)
	}
	return base.ResolveReference(ref), nil
}

// sameURL compares two absolute URLs, the scheme and host
// case-insensitively.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

// sendReply sends a reply download to the host of the reply session.
func (t *T) sendReply(req Request) *Response {
	return t.SendOn(t.connTo(t.hostIDs[strings.ToUpper(t.replySID)]), req)
}
