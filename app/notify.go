package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/txn"
	"github.com/bitsim/bitsim/wire"
)

// notify handles one notification (§10). The pipeline, with the faults and
// events at each step:
//
//	POST ──► down? ─────────────────────────────► drop connection (nothing recorded)
//	  │      crash before-processing? ──────────► app.crashed, drop
//	  ▼ read the upload (by value: body; by reference: request file),
//	  │ sha256 + size streamed, txn from the first line
//	  ▼ record in the ledger ───────────────────► app.delivery
//	  ▼ latency (clock.Sleep) ─ ctx ends ───────► Dropped "abandoned", no answer
//	  ▼ status fault (rejecting)? ──────────────► answer code, no effect
//	  ▼ apply (mode decides) ───────────────────► app.effect (if applied)
//	  ▼ status fault (after effect)? ───────────► answer code
//	  ▼ crash after-processing? ────────────────► app.crashed, drop
//	  ▼ write reply file (by reference)
//	  ▼ reply delay (clock.Sleep) ─ ctx ends ───► Dropped "abandoned", no answer
//	  ▼ crash before-reply? ────────────────────► app.crashed, drop
//	  ▼ answer 200 (+ static URL / copy header / reply body) ──► app.replied
func (a *App) notify(w http.ResponseWriter, r *http.Request) {
	// The handler's work ends when the notifier goes away or the app closes.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(a.life, cancel)()

	ev := sim.Event{
		Node:   r.Header.Get(HdrNode),
		URL:    r.Header.Get(wire.HdrOriginalRequestURL),
		Method: r.Method,
	}
	if a.Down() {
		ev.Kind, ev.Err = sim.AppReplied, "app down: connection dropped"
		a.emit(ev)
		panic(http.ErrAbortHandler)
	}
	a.maybeCrash(CrashBeforeProcessing, ev, nil)

	reqFile, byRef := wire.Header(r.Header, wire.HdrRequestDataFileName)
	respFile, hasResp := wire.Header(r.Header, wire.HdrResponseDataFileName)
	d := ledger.Delivery{Node: ev.Node, RemoteURL: ev.URL, Path: r.URL.RequestURI()}
	var up digest
	var err error
	switch {
	case byRef || hasResp:
		d.Mode = ledger.ByReference
		if reqFile == "" {
			a.answer(w, nil, ev, http.StatusBadRequest, nil, []byte("app: by-reference notification without "+wire.HdrRequestDataFileName+"\n"))
			return
		}
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)) // Content-Length is 0 by reference
		up, err = a.digestFile(ctx, reqFile)
		if err != nil {
			a.answer(w, nil, ev, http.StatusInternalServerError, nil, []byte("app: "+err.Error()+"\n"))
			return
		}
	default:
		d.Mode = ledger.ByValue
		if r.ContentLength < 0 {
			// §10.2: by value, Content-Length = size of the upload.
			a.answer(w, nil, ev, http.StatusLengthRequired, nil, []byte("app: by-value notification without Content-Length\n"))
			return
		}
		up, err = a.digest(ctx, r.Body)
		if err != nil { // the notifier died mid-body: nothing was delivered
			ev.Kind, ev.Err = sim.AppReplied, "reading upload: "+err.Error()
			a.emit(ev)
			panic(http.ErrAbortHandler)
		}
	}
	d.Size, d.SHA256, d.Txn = up.size, up.sha, up.txn
	d.Time = a.clock.Now()
	s, d := a.record(d)
	ev.Txn = d.Txn
	de := ev
	de.Kind, de.Bytes, de.SHA256, de.Detail, de.At = sim.AppDelivery, d.Size, d.SHA256, "sha256:"+d.SHA256, d.Time
	a.emit(de)

	set := a.settings()
	if err := a.clock.Sleep(ctx, set.latency); err != nil {
		a.abandon(s, ev, "latency", err) // does not return
	}
	code, afterApply := a.takeStatus()
	if code != 0 && !afterApply {
		a.answer(w, &s, ev, code, nil, []byte(fmt.Sprintf("app: injected status %d\n", code)))
		return
	}
	if mutant.On("app-crash-before-effect") {
		a.maybeCrash(CrashAfterProcessing, ev, &s) // the crash armed after processing comes first
	}
	reply, applied := a.apply(s, d)
	if applied {
		ee := ev
		ee.Kind, ee.Detail = sim.AppEffect, d.Key()
		a.emit(ee)
	}
	if code != 0 {
		a.answer(w, &s, ev, code, nil, []byte(fmt.Sprintf("app: injected status %d after effect\n", code)))
		return
	}
	a.maybeCrash(CrashAfterProcessing, ev, &s)

	set = a.settings()
	hdr := http.Header{}
	var body []byte
	switch {
	case set.staticURL != "":
		u := strings.NewReplacer("{sha256}", d.SHA256, "{txn}", d.Txn).Replace(set.staticURL)
		wire.SetExact(hdr, wire.HdrStaticResponseURL, u)
	case set.reply && d.Mode == ledger.ByValue:
		body = reply
	case set.reply && respFile == "": // K9: no reply file named; return it as the body
		body = reply
	case set.reply:
		if err := os.WriteFile(respFile, reply, 0o644); err != nil {
			a.answer(w, &s, ev, http.StatusInternalServerError, nil, []byte("app: write reply: "+err.Error()+"\n"))
			return
		}
		if set.replyBody {
			body = reply
		}
	}
	if set.copyToDest {
		wire.SetExact(hdr, wire.HdrCopyFileToDestination, "true")
	}
	if err := a.clock.Sleep(ctx, set.replyDelay); err != nil {
		a.abandon(s, ev, "reply delay", err) // does not return
	}
	a.maybeCrash(CrashBeforeReply, ev, &s)
	a.answer(w, &s, ev, http.StatusOK, hdr, body)
}

// maybeCrash kills the handler at p if a crash is armed there; then it does
// not return.
func (a *App) maybeCrash(p CrashPoint, ev sim.Event, s *slot) {
	if !a.takeCrash(p) {
		return
	}
	a.finish(s, 0, "crash "+p.String())
	ev.Kind, ev.Point = sim.AppCrashed, p.String()
	a.emit(ev)
	panic(http.ErrAbortHandler) // net/http drops the connection without a response
}

// abandon records that the notification was given up (notifier gone or app
// closed) and drops the connection. It does not return.
func (a *App) abandon(s slot, ev sim.Event, where string, err error) {
	why := "abandoned in " + where + ": " + err.Error()
	if errors.Is(a.life.Err(), context.Canceled) {
		why = "abandoned in " + where + ": app closed"
	}
	a.finish(&s, 0, why)
	ev.Kind, ev.Err = sim.AppReplied, why
	a.emit(ev)
	// Returning normally would let net/http send an implicit 200.
	panic(http.ErrAbortHandler)
}

// answer writes status, hdr and body with an exact Content-Length.
func (a *App) answer(w http.ResponseWriter, s *slot, ev sim.Event, status int, hdr http.Header, body []byte) {
	a.finish(s, status, "")
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	ev.Kind, ev.Status, ev.Bytes = sim.AppReplied, status, int64(len(body))
	a.emit(ev)
}

// digest is what the app learns from an upload.
type digest struct {
	size int64
	sha  string
	txn  string
}

func (a *App) digestFile(ctx context.Context, path string) (digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return digest{}, fmt.Errorf("open request file: %w", err)
	}
	defer f.Close()
	dg, err := a.digest(ctx, f)
	if err != nil {
		return digest{}, fmt.Errorf("read request file: %w", err)
	}
	return dg, nil
}

// digest streams r into sha256, keeping only the first envelope-line's
// worth of bytes to find the transaction id: uploads are never held in
// memory.
func (a *App) digest(ctx context.Context, r io.Reader) (digest, error) {
	h := sha256.New()
	head := &prefix{max: len(txn.Prefix) + txn.MaxLen + 1}
	n, err := io.Copy(io.MultiWriter(h, head), &ctxReader{ctx: ctx, r: r, clock: a.clock})
	if err != nil {
		return digest{}, err
	}
	id, _ := txn.ReadID(bytes.NewReader(head.b)) // "" without an envelope
	return digest{size: n, sha: hex.EncodeToString(h.Sum(nil)), txn: id}, nil
}

// prefix is a writer that keeps the first max bytes written to it.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// ctxReader stops reading when ctx ends and marks activity on the clock, so
// a virtual clock's idle detector does not jump over a long read.
type ctxReader struct {
	ctx   context.Context
	r     io.Reader
	clock sim.Clock
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	sim.Touch(c.clock)
	return c.r.Read(b)
}
