package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// ResolveReplyURL resolves a BITS-Reply-URL (§11, §13): an absolute URL is
// used as is; a relative one, possibly written with backslashes as IIS
// does ("BITS-Sessions\Replies\{GUID}\responsefile.bin"), is resolved
// against the directory of base, with reserved characters such as the
// braces percent-encoded.
func ResolveReplyURL(base *url.URL, reply string) (*url.URL, error) {
	reply = strings.TrimSpace(reply)
	if reply == "" {
		return nil, errors.New("client: empty BITS-Reply-URL")
	}
	reply = strings.ReplaceAll(reply, `\`, "/")
	ref, err := url.Parse(reply)
	if err != nil {
		return nil, fmt.Errorf("client: bad BITS-Reply-URL %q: %w", reply, err)
	}
	u := base.ResolveReference(ref)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: BITS-Reply-URL %q does not resolve to an http(s) URL", reply)
	}
	return u, nil
}

// replyTarget applies knob K6 to the job's reply URL.
func (j *Job) replyTarget() (*url.URL, error) {
	base := j.origin
	if j.cfg.ReplyHost == ReplyFromHostID {
		base = j.target
	}
	return ResolveReplyURL(base, j.replyURL)
}

// emptyReply writes an empty reply file (K7 default: no BITS-Reply-URL).
func (j *Job) emptyReply() error {
	if err := os.WriteFile(j.spec.ReplyFile, nil, 0o644); err != nil {
		return localError(wire.EAccessDenied, err)
	}
	j.replySize = 0
	j.emit(sim.Event{Kind: sim.ClientReply, Detail: "no BITS-Reply-URL: empty reply"})
	return nil
}

// rearmEvery is how many reply bytes re-arm the response guard.
const rearmEvery = 1 << 20

// downloadReply fetches the reply with resumable ranged GETs (Range:
// bytes=N-), accepting 206 (from the range start, which may be earlier
// than N) and 200 (the whole reply again), writing into ReplyFile by
// offset. Transport errors and short bodies are transient and resume at the
// bytes already written.
func (j *Job) downloadReply(ctx context.Context) error {
	j.setState(Transferring)
	const p = "GET"
	ru, err := j.replyTarget()
	if err != nil {
		return protocolError(p, 0, err)
	}
	f, err := os.OpenFile(j.spec.ReplyFile, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return localError(wire.EAccessDenied, err)
	}
	defer f.Close()
	if j.replyHave == 0 {
		if err := f.Truncate(0); err != nil {
			return localError(wire.EAccessDenied, err)
		}
	}
	us := ru.String()
	j.lastToHost = j.hostID != "" && ru.Host == j.target.Host
	xctx, g := j.newGuard(ctx, p, j.sessionID)
	defer g.done()
	g.armNoProgress()
	req, err := http.NewRequestWithContext(xctx, http.MethodGet, us, nil)
	if err != nil {
		return protocolError(p, 0, err)
	}
	j.setHeaders(req.Header)
	req.Header.Set("Range", "bytes="+strconv.FormatInt(j.replyHave, 10)+"-")
	j.emit(sim.Event{Kind: sim.ClientRequest, Method: http.MethodGet, URL: us, Session: j.sessionID, Offset: j.replyHave, Detail: "reply"})
	resp, err := j.hc.Do(g.trace(req))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		je := transportError(p, err, context.Cause(xctx))
		j.emit(sim.Event{Kind: sim.ClientError, Method: http.MethodGet, URL: us, Code: je.Code.Hex(), Context: je.Context.Hex(), Err: je.Err.Error()})
		return je
	}
	defer resp.Body.Close()
	j.emit(sim.Event{Kind: sim.ClientResponse, Method: http.MethodGet, URL: us, Status: resp.StatusCode,
		Detail: strings.TrimSpace("reply " + resp.Header.Get("Content-Range"))})
	j.noteHostResponse(resp.StatusCode)

	total := int64(-1)
	switch resp.StatusCode {
	case http.StatusPartialContent:
		cr, err := wire.ParseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return protocolError(p, resp.StatusCode, err)
		}
		if cr.First > j.replyHave {
			return protocolError(p, resp.StatusCode, fmt.Errorf("206 starts at %d, asked for %d", cr.First, j.replyHave))
		}
		j.replyHave, total = cr.First, cr.Total
	case http.StatusOK:
		if j.replyHave > 0 {
			if err := f.Truncate(0); err != nil {
				return localError(wire.EAccessDenied, err)
			}
		}
		j.replyHave, total = 0, resp.ContentLength
	case http.StatusRequestedRangeNotSatisfiable:
		// Asked from the end of a reply we already have completely.
		if n, ok := unsatisfiedLength(resp.Header.Get("Content-Range")); j.replyHave > 0 && (!ok || n == j.replyHave) {
			return j.replyDone(us)
		}
		fallthrough
	default:
		e := &JobError{Packet: p, Status: resp.StatusCode, Code: wire.HTTPError(resp.StatusCode),
			Context: wire.ContextRemoteFile, Class: wire.Classify(resp.StatusCode),
			Err: fmt.Errorf("reply GET %s: %s", us, resp.Status)}
		return e
	}
	if j.buf == nil {
		j.buf = make([]byte, 64<<10)
	}
	sinceArm := 0
	for {
		n, rerr := resp.Body.Read(j.buf)
		if n > 0 {
			if _, err := f.WriteAt(j.buf[:n], j.replyHave); err != nil {
				return localError(wire.EAccessDenied, err)
			}
			j.replyHave += int64(n)
			sim.Touch(j.cfg.Clock)
			if sinceArm += n; sinceArm >= rearmEvery {
				sinceArm = 0
				g.arm(sim.TimerResponse, j.cfg.respTO)
				j.progress()
				g.armNoProgress()
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			je := transportError(p, rerr, context.Cause(xctx))
			j.emit(sim.Event{Kind: sim.ClientError, Method: http.MethodGet, URL: us, Bytes: j.replyHave, Code: je.Code.Hex(), Context: je.Context.Hex(), Err: je.Err.Error()})
			return je
		}
	}
	if total >= 0 && j.replyHave != total {
		return transportError(p, fmt.Errorf("reply body ended at %d of %d bytes: %w", j.replyHave, total, io.ErrUnexpectedEOF), nil)
	}
	return j.replyDone(us)
}

func (j *Job) replyDone(us string) error {
	j.replySize = j.replyHave
	j.progress()
	j.emit(sim.Event{Kind: sim.ClientReply, URL: us, Bytes: j.replySize, Detail: "reply downloaded"})
	j.phase = phClose
	return nil
}

// unsatisfiedLength parses the "bytes */N" of a 416 answer.
func unsatisfiedLength(cr string) (int64, bool) {
	cr = strings.TrimSpace(cr)
	if len(cr) < 8 || !strings.EqualFold(cr[:5], "bytes") {
		return 0, false
	}
	rest := strings.TrimSpace(cr[5:])
	if !strings.HasPrefix(rest, "*/") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(rest[2:]), 10, 64)
	return n, err == nil && n >= 0
}
