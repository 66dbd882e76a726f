package node

import (
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// maxDrain is the most body bytes the node reads and throws away to keep a
// connection reusable after answering without storing (gap, duplicate,
// cached final Ack). Beyond it the connection is closed instead.
const maxDrain = 16 << 20

// activitySaveEvery bounds how often LastActivity alone is persisted.
const activitySaveEvery = time.Minute

// copyBufs are the buffers of the write path: one read-write pass from the
// request body into the request file, no intermediate copies.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// fragment implements §7 for one session (s.mu held). Every body is read
// through a limit of its declared length and never further.
//
// Bytes actually received are kept: if the body ends early (the connection
// was cut), the bytes that arrived were written in order at R, R advances by
// their count, and the client resumes from the R its next Ack reports.
func (n *Node) fragment(w http.ResponseWriter, r *http.Request, s *session) (wire.Ack, error) {
	rg, err := n.checkFragment(r)
	if err != nil {
		return wire.Ack{}, err
	}
	if s.rec.Total != 0 && rg.Total != s.rec.Total {
		return wire.Ack{}, wire.ErrBadRequest.WithMsg("total changed from %d to %d", s.rec.Total, rg.Total)
	}
	body := io.LimitReader(r.Body, rg.Len())
	// §7.3 step 3-4, [S 3.2.5.1.2]: once every byte is here, any Fragment
	// goes back to the completion path (cached Ack, or notify again).
	if s.complete() {
		drain(w, body, rg.Len())
		return n.complete(r, s)
	}
	if s.rec.Total == 0 {
		s.rec.Total = rg.Total
		if err := n.saveRecord(s); err != nil {
			return wire.Ack{}, err
		}
	}
	R := s.received
	if n.cfg.Defects.AckGap && rg.First > R { // defect: take the gap as received
		s.received, R = rg.First, rg.First
	}
	switch {
	case rg.First > R: // gap: discard, 416 with R, code 0 context 5
		drain(w, body, rg.Len())
		noteReason(r, "fragment %s leaves a gap: the server expects offset %d", rg, R)
		return n.outOfSync(R), nil
	case n.cfg.Overlap == OverlapStrict && rg.First != R && !mutant.On("node-strict-as-lenient"): // K1 strict
		drain(w, body, rg.Len())
		noteReason(r, "fragment %s overlaps stored data: the server expects offset %d (K1 strict)", rg, R)
		return n.outOfSync(R), nil
	case rg.Last < R: // pure duplicate, K1 lenient: nothing to write
		drain(w, body, rg.Len())
		return received(R), nil
	}
	// F <= R <= L: skip the R-F bytes already stored, write R..L.
	n.crashHere(BeforeBody, s.id)
	if n.reached(AfterBody, s.id) {
		_, _ = io.Copy(io.Discard, body)
		panic(http.ErrAbortHandler)
	}
	if skip := R - rg.First; skip > 0 && !n.cfg.Defects.StoreOverlapTwice && !mutant.On("node-store-overlap-twice") {
		if m, err := io.CopyN(io.Discard, body, skip); err != nil {
			return n.shortBody(r, s, m, rg, err)
		}
	}
	n.disk.wait(n.ctx, n.cfg.Clock)
	m, err := n.writeAt(s, body, R, rg.Last+1-R)
	if err != nil && mutant.On("node-discards-partial-body") {
		_ = os.Truncate(n.lay.requestFile(s.id), R) // defect: a cut body's bytes are thrown away
		m = 0
	}
	s.received += m
	if err != nil {
		return n.shortBody(r, s, R-rg.First+m, rg, err)
	}
	if err := n.saveActivity(s); err != nil {
		return wire.Ack{}, err
	}
	n.crashHere(AfterWrite, s.id)
	if s.complete() {
		n.emit(sim.Event{Kind: sim.SessionCompleted, Session: s.id, Total: s.rec.Total})
		return n.complete(r, s)
	}
	return received(s.received), nil
}

// checkFragment validates a Fragment's headers (§7.1): Content-Range
// present and well formed (400), Content-Length equal to its length (400),
// identity encoding (400), total within MaxUploadSize (500 BG_E_TOO_LARGE),
// fragment within MaxFragmentSize (413).
func (n *Node) checkFragment(r *http.Request) (wire.Range, error) {
	cr, ok := wire.Header(r.Header, wire.HdrContentRange)
	if !ok {
		return wire.Range{}, wire.ErrBadRequest.WithMsg("missing Content-Range")
	}
	rg, err := wire.ParseContentRange(cr)
	if err != nil {
		return rg, wire.ErrBadRequest.WithMsg("%v", err)
	}
	if r.ContentLength != rg.Len() {
		return rg, wire.ErrBadRequest.WithMsg("Content-Length %d for range %s", r.ContentLength, rg)
	}
	if enc, ok := wire.Header(r.Header, wire.HdrContentEncoding); ok && !strings.EqualFold(strings.TrimSpace(enc), "identity") {
		return rg, wire.ErrBadRequest.WithMsg("Content-Encoding %q", enc)
	}
	if n.cfg.MaxUploadSize > 0 && rg.Total > n.cfg.MaxUploadSize && !mutant.On("node-ignores-max-upload-size") {
		return rg, wire.ErrTooLarge.WithMsg("total %d over %d", rg.Total, n.cfg.MaxUploadSize)
	}
	if n.cfg.MaxFragmentSize > 0 && rg.Len() > n.cfg.MaxFragmentSize && !mutant.On("node-ignores-max-fragment") {
		return rg, wire.ErrTooLargeFrag.WithMsg("fragment %d over %d", rg.Len(), n.cfg.MaxFragmentSize)
	}
	return rg, nil
}

// writeAt appends up to count bytes of body to the request file at off (==
// R, the file's length) and returns how many were written. On any error the
// file is cut back to off+written, so the file length stays exactly R.
func (n *Node) writeAt(s *session, body io.Reader, off, count int64) (int64, error) {
	if err := n.live(); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(n.lay.requestFile(s.id), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	src := &touchReader{r: io.LimitReader(body, count), clock: n.clock, live: n.live}
	m, err := io.CopyBuffer(io.NewOffsetWriter(f, off), src, *bp)
	if err == nil && m < count {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && n.cfg.Sync {
		err = f.Sync()
	}
	if err != nil {
		if src.err == nil { // a write error: keep only what surely landed
			_ = f.Truncate(off + m)
		}
		return m, err
	}
	return m, nil
}

// shortBody answers a Fragment whose body ended early or could not be
// stored. Usually the connection is already gone and the Ack goes nowhere.
func (n *Node) shortBody(r *http.Request, s *session, got int64, rg wire.Range, err error) (wire.Ack, error) {
	n.abortIfDead()
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || !isWriteErr(err) {
		why := fmt.Sprintf("body ended after %d of %d bytes: %v", got, rg.Len(), err)
		noteReason(r, "%s", why)
		n.emit(sim.Event{Kind: sim.RequestRejected, Packet: wire.Fragment.String(), Session: s.id,
			First: rg.First, Last: rg.Last, Total: rg.Total, Offset: s.received, Bytes: got, Err: why, Reason: sim.ReasonBodyCut})
		_ = n.saveRecord(s)
		a := wire.ErrBadRequest.Ack()
		a.Received, a.HasReceived = s.received, true
		return a, nil
	}
	return wire.Ack{}, err
}

func isWriteErr(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe)
}

// touchReader tells a virtual clock that bytes are moving, and remembers
// read errors (to tell them from write errors).
type touchReader struct {
	r     io.Reader
	clock sim.Clock
	live  func() error // stops the copy once the node is dead
	err   error
}

func (t *touchReader) Read(p []byte) (int, error) {
	sim.Touch(t.clock)
	if t.live != nil {
		if err := t.live(); err != nil {
			t.err = err
			return 0, err
		}
	}
	m, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return m, err
}

// drain reads and discards up to n bytes of body so the connection can be
// reused; a longer body closes the connection after the Ack instead.
func drain(w http.ResponseWriter, body io.Reader, n int64) {
	if n > maxDrain {
		w.Header().Set("Connection", "close")
		return
	}
	_, _ = io.Copy(io.Discard, body)
}

// received is the 200 Fragment Ack.
func received(r int64) wire.Ack {
	return wire.Ack{Status: http.StatusOK, Received: r, HasReceived: true}
}

// outOfSync is the 416 Ack of §7.2: BITS-Received-Content-Range R, error
// code 0, context 5.
func (n *Node) outOfSync(r int64) wire.Ack {
	return wire.Ack{Status: http.StatusRequestedRangeNotSatisfiable, Received: r, HasReceived: true,
		Code: wire.OK, Context: wire.ContextRemoteFile, HasError: true}
}

// saveActivity persists LastActivity, at most once per activitySaveEvery
// of protocol time (a record write per fragment costs more than the
// fragment on fast loopback): a restarted node may see a session up to
// that much idler than it was, which the session time-out (days by
// default) does not notice.
func (n *Node) saveActivity(s *session) error {
	every := min(activitySaveEvery, n.cfg.SessionTimeout/100)
	if s.rec.LastActivity.Sub(s.savedActivity) < every {
		return nil
	}
	return n.saveRecord(s)
}
