package conform

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxRecord bounds how many response bytes an Exchange keeps (the head and
// the start of the body): enough for any Ack, small enough for reports.
const maxRecord = 8 << 10

// maxBody is the most response body bytes read (Acks are empty; replies are
// small); a longer body is cut and the connection closed.
const maxBody = 4 << 20

// Request is one HTTP request as conform writes it, byte for byte: the
// method, the request-target, the header lines in order and spelling, then
// the body. Content-Length is written from Body unless NoLength or Length
// overrides it; Chunked sends the body in one chunk with
// Transfer-Encoding: chunked and no Content-Length.
type Request struct {
	Method  string // default BITS_POST
	Target  string // request-target (path and query)
	Headers []Header
	Body    []byte
	// Length, if not nil, is written as the Content-Length value instead of
	// len(Body) (the body still goes out whole: keep them consistent unless
	// the probe is about framing).
	Length   *string
	NoLength bool
	Chunked  bool
}

// Header is one request header line.
type Header struct{ Name, Value string }

// wire returns the request's bytes for host.
func (r Request) wire(host string) []byte {
	var b bytes.Buffer
	m := r.Method
	if m == "" {
		m = "BITS_POST"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", m, r.Target, host)
	for _, h := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	switch {
	case r.Chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if len(r.Body) > 0 {
			fmt.Fprintf(&b, "%x\r\n", len(r.Body))
			b.Write(r.Body)
			b.WriteString("\r\n")
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	case r.Length != nil:
		fmt.Fprintf(&b, "Content-Length: %s\r\n", *r.Length)
	case !r.NoLength && (len(r.Body) > 0 || m != http.MethodGet && m != http.MethodHead):
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// Response is a parsed answer: status, headers (names canonicalised by
// net/http; read them with wire.Header), and the body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Raw holds the first bytes of the response as received (status line,
	// headers, start of the body).
	Raw []byte
}

// target addresses one server: scheme, host:port for dialling, the Host
// header, and TLS settings.
type target struct {
	base    *url.URL
	addr    string
	host    string
	tls     *tls.Config
	timeout time.Duration
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	extra   []Header // sent on every request (e.g. Authorization)
}

func newTarget(base string, insecure bool, timeout time.Duration, dial func(ctx context.Context, network, addr string) (net.Conn, error), extra []Header) (*target, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("conform: bad URL %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("conform: URL %q: scheme must be http or https", base)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("conform: URL %q has no host", base)
	}
	t := &target{base: u, host: u.Host, addr: u.Host, timeout: timeout, dial: dial, extra: extra}
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		t.addr = net.JoinHostPort(u.Hostname(), port)
	}
	if u.Scheme == "https" {
		t.tls = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: insecure} //nolint:gosec // --insecure is the user's choice
	}
	if t.dial == nil {
		d := &net.Dialer{Timeout: timeout}
		t.dial = d.DialContext
	}
	return t, nil
}

// withHost returns the target with its host replaced by a BITS-Host-Id
// (§12.4: host only, the URL's port is kept; a host:port is used as is),
// or t itself for "".
func (t *target) withHost(h string) *target {
	if h == "" {
		return t
	}
	c := *t
	if _, _, err := net.SplitHostPort(h); err == nil {
		c.addr, c.host = h, h
	} else {
		port := t.base.Port()
		if port == "" {
			_, port, _ = net.SplitHostPort(t.addr)
			c.host = h
		} else {
			c.host = net.JoinHostPort(h, port)
		}
		c.addr = net.JoinHostPort(h, port)
	}
	if t.tls != nil {
		tc := t.tls.Clone()
		tc.ServerName, _, _ = strings.Cut(h, ":")
		c.tls = tc
	}
	return &c
}

// Conn is one TCP (or TLS) connection to the target, carrying requests one
// at a time. A Conn whose server closed it (Connection: close, an error)
// reports Closed; the probe helpers then dial a new one, and probes that
// are about connections dial explicitly.
type Conn struct {
	t      *target
	nc     net.Conn
	br     *bufio.Reader
	rec    recorder
	ID     int // 1, 2, ... per probe, in dial order
	closed bool
	served int // responses read
}

func (t *target) dialConn(ctx context.Context, id int) (*Conn, error) {
	nc, err := t.dial(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("conform: dial %s: %w", t.addr, err)
	}
	if t.tls != nil {
		tc := tls.Client(nc, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("conform: TLS handshake with %s: %w", t.addr, err)
		}
		nc = tc
	}
	c := &Conn{t: t, nc: nc, ID: id}
	c.br = bufio.NewReader(io.TeeReader(nc, &c.rec))
	return c, nil
}

// Closed reports whether the connection can carry no more requests.
func (c *Conn) Closed() bool { return c.closed }

// Close closes the connection.
func (c *Conn) Close() error {
	c.closed = true
	return c.nc.Close()
}

// roundTrip writes req and reads one response. The returned wire bytes are
// what was written. A transport error closes the connection.
func (c *Conn) roundTrip(ctx context.Context, req Request) (wire []byte, resp *Response, err error) {
	if c.closed {
		return nil, nil, errors.New("conform: connection already closed")
	}
	req.Headers = append(append([]Header(nil), req.Headers...), c.t.extra...)
	wire = req.wire(c.t.host)
	dl := time.Now().Add(c.t.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = c.nc.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c.rec.reset()
	if _, err := c.nc.Write(wire); err != nil {
		c.Close()
		return wire, nil, fmt.Errorf("conform: write request: %w", err)
	}
	method := req.Method
	if method == "" {
		method = "BITS_POST"
	}
	hr, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.Close()
		return wire, &Response{Raw: c.rec.bytes()}, fmt.Errorf("conform: read response: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBody))
	hr.Body.Close()
	resp = &Response{Status: hr.StatusCode, Header: hr.Header, Body: body, Raw: c.rec.bytes()}
	if err != nil {
		c.Close()
		return wire, resp, fmt.Errorf("conform: read response body: %w", err)
	}
	c.served++
	if hr.Close || int64(len(body)) == maxBody {
		c.Close()
	}
	return wire, resp, nil
}

// recorder keeps the first maxRecord bytes read since the last reset.
type recorder struct{ b []byte }

func (r *recorder) Write(p []byte) (int, error) {
	if room := maxRecord - len(r.b); room > 0 {
		r.b = append(r.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (r *recorder) reset()        { r.b = r.b[:0] }
func (r *recorder) bytes() []byte { return append([]byte(nil), r.b...) }

// ParseHeader parses a "Name: value" flag (--header) into a Header. The
// name must be an HTTP token; the value may be empty and must not hold
// control characters (CR and LF included, so a header can never split the
// request).
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, fmt.Errorf("conform: header %q: want Name: value", s)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Header{}, fmt.Errorf("conform: header %q: empty name", s)
	}
	for i := 0; i < len(name); i++ {
		if !isToken(name[i]) {
			return Header{}, fmt.Errorf("conform: header %q: bad character %q in name", s, name[i])
		}
	}
	value = strings.TrimSpace(value)
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return Header{}, fmt.Errorf("conform: header %q: control character %q in value", s, c)
		}
	}
	return Header{Name: name, Value: value}, nil
}

func isToken(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// itoa is strconv.FormatInt for lengths.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
