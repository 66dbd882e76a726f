package extapp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"time"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

// Source is the Source of the events a Recorder emits.
const Source = "app"

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Next sends the notifications (the nodes' dialer, through the
	// app-from-nodeK links). Default: a keep-alive-free transport on TCP.
	Next http.RoundTripper
	// Clock stamps deliveries and events. Default real.
	Clock sim.Clock
	// Events receives app.delivery and app.replied events. Default: discarded.
	Events sim.Sink
	// ReadCheck: by reference, mark the request file's access time before
	// notifying and report a 200 answer given without the file having been
	// read (Delivery.Unread). Only meaningful where the file system updates
	// access times; see ReadCheckWorks.
	ReadCheck bool
}

// Recorder is the node side of an external app. Every notification a node
// sends goes through RoundTrip; a notification whose request was written
// completely is a delivery (the app may have acted on it, answer or not),
// one that never reached the app (connection refused, link down) is not.
type Recorder struct {
	cfg RecorderConfig

	mu    sync.Mutex
	deliv []ledger.Delivery
	seen  map[string]bool
}

var _ http.RoundTripper = (*Recorder)(nil)

// NewRecorder returns a Recorder.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.Next == nil {
		cfg.Next = &http.Transport{DisableKeepAlives: true, Proxy: nil}
	}
	if cfg.Clock == nil {
		cfg.Clock = sim.Real{}
	}
	cfg.Events = sim.OrDiscard(cfg.Events)
	return &Recorder{cfg: cfg, seen: map[string]bool{}}
}

// Ledger returns a copy of the deliveries, in the order they were written.
func (r *Recorder) Ledger() []ledger.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ledger.Delivery{}, r.deliv...)
}

// Reset forgets every delivery (one farm, several runs).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliv, r.seen = nil, map[string]bool{}
}

// CloseIdleConnections closes the next transport's idle connections.
func (r *Recorder) CloseIdleConnections() {
	if c, ok := r.cfg.Next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// unreadMark is the access time a by-reference request file gets before
// the notification; a read moves it (relatime updates an access time
// older than the modification time).
var unreadMark = time.Unix(1_000_000_000, 0)

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	d := ledger.Delivery{Node: req.Header.Get(wire.HdrNode), RemoteURL: headerOf(req, wire.HdrOriginalRequestURL), Path: req.URL.RequestURI()}
	file, byRef := wire.Header(req.Header, wire.HdrRequestDataFileName)
	var dg *digester
	out := req.Clone(req.Context())
	if byRef {
		d.Mode = ledger.ByReference
		sum, err := hashFile(file)
		if err != nil {
			return nil, fmt.Errorf("extapp: hash the request file: %w", err)
		}
		d.Size, d.SHA256, d.Txn = sum.size, sum.sha, sum.txn
		if r.cfg.ReadCheck {
			if st, err := os.Stat(file); err == nil {
				_ = os.Chtimes(file, unreadMark, st.ModTime())
			}
		}
	} else {
		d.Mode = ledger.ByValue
		dg = newDigester(req.Body)
		if req.Body != nil && req.Body != http.NoBody {
			out.Body = dg
		}
	}
	// The delivery is recorded once the request has been written (the
	// signal orders it after the node's own notify.sent), and only then:
	// a notification refused before that never reached the app.
	wrote := make(chan error, 1)
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		select {
		case wrote <- info.Err:
		default:
		}
	}}
	out = out.WithContext(httptrace.WithClientTrace(out.Context(), trace))
	resp, err := r.cfg.Next.RoundTrip(out)
	written := false
	select {
	case werr := <-wrote:
		written = werr == nil
	default:
		written = resp != nil // answered before the body was written: the app saw it
	}
	if !written {
		return resp, err
	}
	if dg != nil {
		d.Size, d.SHA256, d.Txn = dg.sum()
	}
	idx := r.delivered(d)
	if err != nil {
		r.answered(idx, 0, "no answer: "+err.Error(), false)
		return nil, err
	}
	unread := false
	if byRef && r.cfg.ReadCheck && resp.StatusCode == http.StatusOK {
		if at, ok := accessTime(file); ok && at.Equal(unreadMark) {
			unread = true
		}
	}
	r.answered(idx, resp.StatusCode, "", unread)
	return resp, nil
}

func headerOf(req *http.Request, name string) string {
	v, _ := wire.Header(req.Header, name)
	return v
}

// delivered records d and emits app.delivery; it returns d's index.
func (r *Recorder) delivered(d ledger.Delivery) int {
	r.mu.Lock()
	d.Time = r.cfg.Clock.Now()
	d.Seq = len(r.deliv) + 1
	key := d.Key()
	d.Duplicate = r.seen[key]
	r.seen[key] = true
	r.deliv = append(r.deliv, d)
	i := len(r.deliv) - 1
	r.mu.Unlock()
	r.cfg.Events.Record(sim.Event{At: d.Time, Kind: sim.AppDelivery, Source: Source, Node: d.Node, URL: d.RemoteURL,
		Txn: d.Txn, Bytes: d.Size, SHA256: d.SHA256, Detail: "sha256:" + d.SHA256})
	return i
}

// answered records the outcome of delivery i and emits app.replied.
func (r *Recorder) answered(i, status int, dropped string, unread bool) {
	r.mu.Lock()
	if i >= len(r.deliv) { // Reset in between
		r.mu.Unlock()
		return
	}
	d := &r.deliv[i]
	d.Status, d.Dropped, d.Unread = status, dropped, unread
	ev := sim.Event{At: r.cfg.Clock.Now(), Kind: sim.AppReplied, Source: Source, Node: d.Node, URL: d.RemoteURL, Txn: d.Txn,
		Status: status, Err: dropped}
	if unread {
		ev.Err = "answered 200 without reading " + wire.HdrRequestDataFileName
	}
	r.mu.Unlock()
	r.cfg.Events.Record(ev)
}

// fileSum is what the recorder learns from an upload.
type fileSum struct {
	size int64
	sha  string
	txn  string
}

func hashFile(path string) (fileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, err
	}
	defer f.Close()
	dg := newDigester(f)
	if _, err := io.Copy(io.Discard, dg); err != nil {
		return fileSum{}, err
	}
	var s fileSum
	s.size, s.sha, s.txn = dg.sum()
	return s, nil
}

// digester passes a body through, hashing it and keeping the head that
// may carry the transaction-id envelope.
type digester struct {
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	n    int64
	head []byte
}

func newDigester(rc io.Reader) *digester {
	d := &digester{r: rc, h: sha256.New()}
	if c, ok := rc.(io.Closer); ok {
		d.c = c
	}
	if rc == nil {
		d.r = bytes.NewReader(nil)
	}
	return d
}

func (d *digester) Read(b []byte) (int, error) {
	n, err := d.r.Read(b)
	if n > 0 {
		d.h.Write(b[:n])
		d.n += int64(n)
		if room := len(txn.Prefix) + txn.MaxLen + 1 - len(d.head); room > 0 {
			d.head = append(d.head, b[:min(room, n)]...)
		}
	}
	return n, err
}

func (d *digester) Close() error {
	if d.c != nil {
		return d.c.Close()
	}
	return nil
}

func (d *digester) sum() (int64, string, string) {
	id, _ := txn.ReadID(bytes.NewReader(d.head))
	return d.n, hex.EncodeToString(d.h.Sum(nil)), id
}
