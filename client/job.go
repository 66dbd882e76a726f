package client

import (
	"context"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/internal/mutant"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// JobSpec names what a job uploads and where.
type JobSpec struct {
	// ID names the job in events; default "job-N".
	ID string
	// Type is Upload (default) or UploadReply.
	Type JobType
	// LocalFile is the file to upload. It is read by offset during Run,
	// never loaded whole; changing it fails the job with
	// BG_E_LOCAL_FILE_CHANGED.
	LocalFile string
	// RemoteURL is the upload URL (http or https), normally the farm's
	// shared address.
	RemoteURL string
	// ReplyFile receives the reply of an UploadReply job; default
	// LocalFile + ".reply". Must be empty for Upload jobs.
	ReplyFile string
	// Txn, if set, wraps the upload in the app's transaction-id envelope
	// (see EnvelopeReaderAt); the server receives header + file.
	Txn string
}

// Result is a job's outcome, as returned by Run (and printed by
// `bitsim upload --json`).
type Result struct {
	Job   string   `json:"job,omitempty"`
	State JobState `json:"state"`
	// BytesSent counts Fragment body bytes handed to the network, re-sent
	// bytes included (after a cut, a resync backwards or a restart), so it
	// exceeds BytesTotal whenever something was sent twice.
	BytesSent int64 `json:"bytes_sent"`
	// BytesTotal is the upload size (envelope included).
	BytesTotal int64 `json:"bytes_total"`
	// BytesAcked is the offset the server last acknowledged.
	BytesAcked int64 `json:"bytes_acked"`
	// Sessions counts successful Create-Sessions; Restarts those that
	// replaced a session the server no longer knew (0x8020001F, host-id
	// fallback); Retries the automatic retries after a transient error;
	// Resyncs the 416 answers that moved the offset.
	Sessions int `json:"sessions"`
	Restarts int `json:"restarts"`
	Retries  int `json:"retries"`
	Resyncs  int `json:"resyncs"`
	// ReplySize is the size of the downloaded reply (upload-reply jobs).
	ReplySize int64 `json:"reply_size"`
	// Err is why the job is not TRANSFERRED/ACKNOWLEDGED: a *JobError for
	// ERROR, ErrCancelled, or the context's error for SUSPENDED.
	Err   error  `json:"-"`
	Error string `json:"error,omitempty"`
	// Code is Err's HRESULT, for *JobError.
	Code string `json:"code,omitempty"`
}

// phase is where the protocol state machine (§12.1) stands; CREATE_SESSION
// and PING are derived from sessionID and needPing.
type phase int

const (
	phFragment phase = iota
	phReply
	phClose
	phDone
)

var jobSeq atomic.Int64

// Job is one BITS upload or upload-reply job. Run drives it; State,
// Progress and Cancel may be called from any goroutine.
type Job struct {
	cfg         config
	spec        JobSpec
	origin      *url.URL
	src         *source
	contentName string
	hc          *http.Client
	ownTr       *http.Transport

	mu        sync.Mutex
	state     JobState
	running   bool
	cancelled bool
	stopRun   context.CancelCauseFunc

	acked     atomic.Int64
	bytesSent atomic.Int64

	// Owned by the goroutine running Run (or Cancel when not running).
	sessionID      string
	hostID         string
	target         *url.URL // origin, or the host-id URL
	targetStr      string
	lastToHost     bool
	hasFallback    bool
	fallbackTO     time.Duration
	fallbackAt     time.Time // zero: fallback timer not running
	phase          phase
	needPing       bool
	offset         int64
	adaptive       int64
	fragCap        int64
	stalls         int
	replyURL       string
	replyHave      int64
	replySize      int64
	stuckSince     time.Time // start of the no-progress period: Run's start or the last progress
	npArmed        bool      // the no-progress timer event was recorded for this period
	restartsNoProg int
	sessions       int
	restarts       int
	retries        int
	resyncs        int
	buf            []byte
	releaseHold    context.CancelFunc
}

// NewJob validates opts and spec, applies the defaults, records the source
// file's size and modification time, and returns a SUSPENDED job.
func NewJob(opts Options, spec JobSpec) (*Job, error) {
	cfg := opts.resolve()
	if spec.Type == 0 {
		spec.Type = Upload
	}
	if spec.Type != Upload && spec.Type != UploadReply {
		return nil, fmt.Errorf("client: bad job type %d", int(spec.Type))
	}
	u, err := url.Parse(spec.RemoteURL)
	if err != nil {
		return nil, fmt.Errorf("client: bad remote URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: remote URL %q: want http:// or https:// with a host", spec.RemoteURL)
	}
	if spec.LocalFile == "" {
		return nil, errors.New("client: no local file")
	}
	src, err := statSource(spec.LocalFile, spec.Txn)
	if err != nil {
		return nil, err
	}
	if src.length == 0 {
		// §7.1: a zero-byte upload has no valid Content-Range.
		return nil, fmt.Errorf("client: %s is empty: zero-length uploads are not supported", spec.LocalFile)
	}
	switch {
	case spec.Type == UploadReply && spec.ReplyFile == "":
		spec.ReplyFile = spec.LocalFile + ".reply"
	case spec.Type == Upload && spec.ReplyFile != "":
		return nil, errors.New("client: a reply file needs an upload-reply job")
	}
	if spec.ID == "" {
		spec.ID = fmt.Sprintf("job-%d", jobSeq.Add(1))
	}
	j := &Job{cfg: cfg, spec: spec, origin: u, src: src, state: Suspended, adaptive: AdaptiveStartFragment}
	j.contentName = contentName(spec.LocalFile)
	j.setTarget(u)
	j.buildClient()
	j.emit(sim.Event{Kind: sim.ClientState, State: Suspended.String(), URL: spec.RemoteURL, Total: src.length,
		Detail: "created " + spec.Type.String()})
	return j, nil
}

// contentName is the Content-Name header: the file name if it is legal
// ([MC-BUP] <3>), else nothing.
func contentName(path string) string {
	n := filepath.Base(path)
	if len(n) > 260 || strings.ContainsAny(n, "\\/:*?\"<>|") || strings.ContainsFunc(n, func(r rune) bool { return r < ' ' || r > '~' }) {
		return ""
	}
	return n
}

// ID returns the job id.
func (j *Job) ID() string { return j.spec.ID }

// Spec returns the job's spec with defaults applied.
func (j *Job) Spec() JobSpec { return j.spec }

// State returns the current job state.
func (j *Job) State() JobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// Progress returns the acknowledged upload offset and the upload size.
func (j *Job) Progress() (acked, total int64) { return j.acked.Load(), j.src.length }

// Run drives the job until it is TRANSFERRED (ManualComplete) or
// ACKNOWLEDGED, CANCELLED, in ERROR, or ctx ends (SUSPENDED). It returns
// the Result and Result.Err. Run may be called again on a SUSPENDED job or
// a job in ERROR (BITS's Resume): it continues with the existing session,
// starting with a Ping. Only one Run may be active at a time.
//
// The protocol (§12.1): Create-Session → Ping (when a host id arrives, and
// on every resume) → Fragments → reply download (upload-reply) →
// Close-Session → TRANSFERRED → ACKNOWLEDGED.
func (j *Job) Run(ctx context.Context) (Result, error) {
	j.mu.Lock()
	switch {
	case j.running:
		st := j.state
		j.mu.Unlock()
		err := errors.New("client: job is already running")
		return Result{Job: j.spec.ID, State: st, BytesTotal: j.src.length, Err: err, Error: err.Error()}, err
	case j.state.Final() || j.state == Transferred:
		j.mu.Unlock()
		var err error
		if j.state == Cancelled {
			err = ErrCancelled
		}
		return j.result(err), err
	}
	runCtx, stop := context.WithCancelCause(ctx)
	j.running, j.stopRun = true, stop
	j.mu.Unlock()
	defer func() {
		stop(nil)
		if j.ownTr != nil {
			j.ownTr.CloseIdleConnections()
		}
		j.mu.Lock()
		j.running, j.stopRun = false, nil
		j.mu.Unlock()
	}()

	defer j.holdClock(-1)
	j.holdClock(0)
	j.setState(Queued)
	err := j.src.open()
	if err == nil {
		err = j.loop(runCtx, ctx)
		j.src.close()
	} else {
		var je *JobError
		if errors.As(err, &je) {
			err = j.fatal(je)
		} else {
			j.setState(Error)
		}
	}
	res := j.result(err)
	if st := res.State; st != Suspended {
		ev := sim.Event{Kind: sim.JobDone, State: st.String(), Bytes: res.BytesSent, Total: res.BytesTotal}
		if err != nil {
			ev.Err, ev.Code = err.Error(), res.Code
		}
		j.emit(ev)
	}
	return res, err
}

func (j *Job) result(err error) Result {
	j.mu.Lock()
	st := j.state
	j.mu.Unlock()
	r := Result{Job: j.spec.ID, State: st, BytesSent: j.bytesSent.Load(), BytesTotal: j.src.length,
		BytesAcked: j.acked.Load(), Sessions: j.sessions, Restarts: j.restarts, Retries: j.retries,
		Resyncs: j.resyncs, ReplySize: j.replySize, Err: err}
	if err != nil {
		r.Error = err.Error()
		var je *JobError
		if errors.As(err, &je) {
			r.Code = je.Code.Hex()
		}
	}
	return r
}

// Cancel cancels the job (BG_JOB_STATE_CANCELLED). If Run is active it is
// interrupted and returns ErrCancelled after sending Cancel-Session for an
// open session. If not, Cancel sends that Cancel-Session itself (so it may
// block for one exchange, bounded by the request/response timeouts). After
// the session is closed (TRANSFERRED) nothing is sent. Cancel-Session is
// best effort: one attempt, plus one more after a transport error or a 5xx
// other than 0x8020001F. Cancel is a no-op on ACKNOWLEDGED or CANCELLED jobs.
func (j *Job) Cancel() {
	j.mu.Lock()
	if j.state.Final() || j.cancelled {
		j.mu.Unlock()
		return
	}
	j.cancelled = true
	if j.running {
		j.stopRun(ErrCancelled)
		j.mu.Unlock()
		return
	}
	j.running = true
	j.mu.Unlock()
	_ = j.cancelSession(context.Background())
	j.emit(sim.Event{Kind: sim.JobDone, State: Cancelled.String(), Err: ErrCancelled.Error()})
	if j.ownTr != nil {
		j.ownTr.CloseIdleConnections()
	}
	j.mu.Lock()
	j.running = false
	j.mu.Unlock()
}

// Complete acknowledges a TRANSFERRED job (IBackgroundCopyJob::Complete):
// ACKNOWLEDGED. Run calls it unless Options.ManualComplete is set. It sends
// nothing: Close-Session was sent before TRANSFERRED (§12.2 leaves the
// order open; this client closes the session as soon as the protocol
// allows, so the server frees the reply and session at once).
func (j *Job) Complete() error {
	j.mu.Lock()
	if j.state != Transferred {
		st := j.state
		j.mu.Unlock()
		return fmt.Errorf("client: Complete needs a TRANSFERRED job (state %s)", st)
	}
	j.mu.Unlock()
	j.setState(Acknowledged)
	return nil
}

func (j *Job) isCancelled() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cancelled
}

func (j *Job) setState(s JobState) {
	j.mu.Lock()
	old := j.state
	j.state = s
	j.mu.Unlock()
	if old != s {
		j.emit(sim.Event{Kind: sim.ClientState, State: s.String(), Detail: "from " + old.String()})
	}
}

// emit records an event from the Run goroutine, filling in the session.
func (j *Job) emit(e sim.Event) {
	if e.Session == "" && e.Kind != sim.ClientRequest {
		e.Session = j.sessionID
	}
	j.emitFrom(e)
}

// emitFrom records an event from any goroutine: it touches no Run state.
func (j *Job) emitFrom(e sim.Event) {
	e.At = j.cfg.Clock.Now()
	e.Source = "client"
	e.Job = j.spec.ID
	j.cfg.Events.Record(e)
}

func (j *Job) setTarget(u *url.URL) {
	j.target, j.targetStr = u, u.String()
}

func (j *Job) setAcked(off int64) {
	if j.acked.Swap(off) != off && j.cfg.OnProgress != nil {
		j.cfg.OnProgress(off, j.src.length)
	}
}

// progress resets the no-progress timer (BITS: "reset by progress").
func (j *Job) progress() {
	j.stuckSince = j.cfg.Clock.Now()
	j.npArmed = false
	j.restartsNoProg = 0
	j.stalls = 0
}

// loop is the protocol state machine. ctx is Run's context plus Cancel;
// parent is the caller's context (its end means SUSPENDED).
func (j *Job) loop(ctx, parent context.Context) error {
	j.setState(Connecting)
	if j.sessionID != "" {
		j.needPing = true // Resume re-enters PING [S 3.1.4.3]
	}
	j.progress() // a Run starts a new no-progress period
	for {
		if j.isCancelled() {
			return j.cancelSession(parent)
		}
		if err := parent.Err(); err != nil {
			j.setState(Suspended)
			return err
		}
		j.checkFallback()
		var err error
		switch {
		case j.phase == phDone:
			j.setState(Transferred)
			if !j.cfg.ManualComplete {
				return j.Complete()
			}
			return nil
		case j.sessionID == "":
			err = j.createSession(ctx)
		case j.needPing:
			err = j.ping(ctx)
		case j.phase == phFragment:
			err = j.sendFragment(ctx)
		case j.phase == phReply:
			err = j.downloadReply(ctx)
		case j.phase == phClose:
			err = j.closeSession(ctx)
		}
		if err == nil || ctx.Err() != nil {
			continue // the top of the loop handles Cancel and suspension
		}
		if err := j.recover(ctx, err); err != nil {
			return err
		}
	}
}

// recover handles a failed step: restart after 0x8020001F, retry after a
// transient error, or ERROR. It returns non-nil only for ERROR.
func (j *Job) recover(ctx context.Context, err error) error {
	var je *JobError
	if !errors.As(err, &je) {
		je = &JobError{Code: wire.EInvalidArg, Context: wire.ContextUnknown, Class: wire.Fatal, Err: err}
	}
	j.noteHostFailure(je)
	if isSessionNotFound(je) {
		if je.Packet == wire.CloseSession.String() && j.cfg.CloseNotFound == CloseNoResend && !mutant.On("client-k4-ignored") {
			// K4 [W]: do not resend the Close; the final Ack confirmed the upload.
			j.emit(sim.Event{Kind: sim.ClientSession, Step: sim.StepNotResent, Packet: je.Packet, Detail: "close-session: session not found; not resent (K4 no-resend)"})
			j.phase = phDone
			return nil
		}
		j.restart(sim.ReasonSessionNotFound, je.Packet, "")
		if j.restartsNoProg <= 1 {
			return nil
		}
		// Restarting again without any progress in between: wait the retry
		// delay instead of looping (a server that forgets every session).
	}
	if je.Class == wire.Fatal || mutant.On("client-app-errors-fatal") && je.Context == wire.ContextRemoteApplication {
		return j.fatal(je)
	}
	return j.retry(ctx, je)
}

func (j *Job) fatal(je *JobError) error {
	j.setState(Error)
	return je
}

// retry waits MinRetryDelay in TRANSIENT_ERROR, unless retries are off or
// the no-progress time-out ends first.
//
// The no-progress period starts when the last progress was made (or Run
// started), not when the first error was noticed, so a request that hangs
// counts from its start; every exchange carries the period's deadline as a
// guard (see guard.armNoProgress). The job goes to ERROR with
// BG_E_NO_PROGRESS at the deadline: a retry wait is cut short there, and a
// retry is never given up early because it would end after it. As on
// Windows, a MinRetryDelay longer than the time-out makes the first
// transient error final.
func (j *Job) retry(ctx context.Context, je *JobError) error {
	if j.cfg.noProgress < 0 {
		return j.fatal(je)
	}
	now := j.cfg.Clock.Now()
	deadline := j.stuckSince.Add(j.cfg.noProgress)
	if !j.npArmed {
		j.npArmed = true
		j.emit(sim.Event{Kind: sim.ClientTimerArmed, Timer: sim.TimerNoProgress, Detail: "no-progress", Duration: j.cfg.noProgress})
	}
	if j.cfg.retryDelay > j.cfg.noProgress || !now.Before(deadline) {
		return j.noProgress(je)
	}
	left := deadline.Sub(now)
	wait := min(j.cfg.retryDelay, left)
	j.setState(TransientError)
	j.emit(sim.Event{Kind: sim.ClientTimerArmed, Timer: sim.TimerRetry, Detail: "retry", Duration: j.cfg.retryDelay})
	j.holdClock(wait)
	if err := j.cfg.Clock.Sleep(ctx, wait); err != nil {
		return nil // Cancel or suspension: handled by the loop
	}
	if wait == left {
		return j.noProgress(je) // a retry now would have no time left
	}
	j.emit(sim.Event{Kind: sim.ClientTimerFired, Timer: sim.TimerRetry, Detail: "retry", Duration: j.cfg.retryDelay})
	j.retries++
	if mutant.On("client-resend-from-zero") {
		j.offset = 0 // defect: the retry starts the same session over from byte 0
	}
	j.needPing = true
	j.setState(Connecting)
	return nil
}

// noProgress ends the job with BG_E_NO_PROGRESS, saying how long it
// actually went without progress.
func (j *Job) noProgress(je *JobError) error {
	j.emit(sim.Event{Kind: sim.ClientTimerFired, Timer: sim.TimerNoProgress, Detail: "no-progress", Duration: j.cfg.noProgress})
	return j.fatal(&JobError{Packet: je.Packet, Code: wire.BGENoProgress, Context: je.Context, Class: wire.Fatal,
		Err: fmt.Errorf("no progress for %s: %w", j.cfg.Clock.Now().Sub(j.stuckSince), je)})
}

// holdClock keeps a guard pending just after the client's next wake-up
// (now + wake + 1 ms), so that a virtual clock's idle detector does not
// mistake the moments when the client is running but touching no clock (a
// woken goroutine not yet scheduled, a GC pause) for "everything is
// waiting" and jump over another component's timer meanwhile: a guard is
// only jumped to after a long real-time silence. wake < 0 releases it.
func (j *Job) holdClock(wake time.Duration) {
	if j.releaseHold != nil {
		j.releaseHold()
		j.releaseHold = nil
	}
	if wake >= 0 {
		_, j.releaseHold = j.cfg.Clock.WithTimeout(context.Background(), wake+time.Millisecond)
	}
}

// restart drops the session: the next step is a new Create-Session (to the
// host-id server while one is in use, §12.4 item 1) and the upload starts
// again at byte 0.
func (j *Job) restart(why sim.Reason, packet, text string) {
	old := j.sessionID
	j.restarts++
	j.restartsNoProg++
	j.sessionID, j.needPing, j.phase = "", false, phFragment
	j.offset, j.replyURL, j.replyHave = 0, "", 0
	j.setAcked(0)
	e := sim.Event{Kind: sim.ClientSession, Session: old, Step: sim.StepRestarted, Reason: why, Packet: packet}
	if text == "" {
		text = e.Why()
	}
	e.Detail = "restart: " + text
	j.emit(e)
}

// --- host id and fallback (§12.4, K8) ---

func (j *Job) setHostID(id string, hasFallback bool, secs int64) error {
	u, err := hostURL(j.origin, id)
	if err != nil {
		return protocolError(wire.CreateSession.String(), 0, err)
	}
	j.hostID = id
	if !mutant.On("client-ignore-hostid") {
		j.setTarget(u)
	}
	j.hasFallback = hasFallback
	j.fallbackTO = time.Duration(secs) * time.Second
	j.fallbackAt = time.Time{}
	e := sim.Event{Kind: sim.ClientHostID, Step: sim.StepPinned, HostID: id, URL: j.targetStr, Duration: j.fallbackTO, Detail: "host-id " + id}
	if to := mapHost(j.cfg.HostMap, u.Host); to != u.Host && j.cfg.Transport == nil {
		// The host map: the connections go to another address, e.g. the
		// node's toxiproxy link.
		e.Listen, e.Detail = to, e.Detail+" via "+to
	}
	j.emit(e)
	return nil
}

// noteHostFailure starts the fallback timer after a failed request to the
// host-id server (K8).
func (j *Job) noteHostFailure(je *JobError) {
	if !j.lastToHost || j.hostID == "" || !j.hasFallback || !j.fallbackAt.IsZero() || mutant.On("client-fallback-never") {
		return
	}
	if j.cfg.Fallback == FallbackConnectFailure && !isDial(je.Err) {
		return
	}
	j.fallbackAt = j.cfg.Clock.Now().Add(j.fallbackTO)
	j.emit(sim.Event{Kind: sim.ClientTimerArmed, Timer: sim.TimerHostFallback, URL: j.targetStr, Detail: "host-fallback", Duration: j.fallbackTO})
}

// noteHostResponse resets (stops) the fallback timer on a successful
// response from the host-id server (any response under the [W] rule).
func (j *Job) noteHostResponse(status int) {
	if !j.lastToHost || j.fallbackAt.IsZero() {
		return
	}
	ok := status == http.StatusOK || status == http.StatusCreated || status == http.StatusPartialContent ||
		status == http.StatusRequestedRangeNotSatisfiable
	if ok || j.cfg.Fallback == FallbackConnectFailure {
		j.fallbackAt = time.Time{}
	}
}

// checkFallback reverts to the original URL once the fallback time-out has
// passed. The session id is kept: the shared address normally answers
// 0x8020001F, which restarts the upload there.
func (j *Job) checkFallback() {
	if j.fallbackAt.IsZero() || j.cfg.Clock.Now().Before(j.fallbackAt) {
		return
	}
	j.emit(sim.Event{Kind: sim.ClientTimerFired, Timer: sim.TimerHostFallback, URL: j.targetStr, Detail: "host-fallback", Duration: j.fallbackTO})
	j.hostID, j.fallbackAt, j.hasFallback = "", time.Time{}, false
	j.setTarget(j.origin)
	j.emit(sim.Event{Kind: sim.ClientHostID, Step: sim.StepFallback, URL: j.targetStr, Detail: "fallback to the original host"})
}

// --- protocol steps ---

func (j *Job) createSession(ctx context.Context) error {
	j.setState(Connecting)
	ack, err := j.exchange(ctx, wire.CreateSession, nil, 0, wire.Range{})
	if err != nil {
		return err
	}
	if err := judgeCreate(ack); err != nil {
		return err
	}
	j.sessionID = ack.SessionID
	j.sessions++
	j.offset, j.stalls = 0, 0
	j.setAcked(0)
	j.emit(sim.Event{Kind: sim.ClientSession, Step: sim.StepCreated, URL: j.targetStr, Detail: fmt.Sprintf("created (session %d)", j.sessions)})
	j.needPing = false
	if ack.HostID != "" {
		if err := j.setHostID(ack.HostID, ack.HasFallback, ack.FallbackTimeout); err != nil {
			return err
		}
		j.needPing = true // check that the host-id server answers [S<9>]
	}
	// Without a host id in this Ack the session lives where the
	// Create-Session went (the current target), so the target is kept.
	return nil
}

// judgeCreate checks a Create-Session Ack: 200 or 201, a session id (any
// format, opaque), and our protocol if BITS-Protocol is present.
func judgeCreate(ack wire.Ack) error {
	const p = "Create-Session"
	if !ack.OK() {
		return ackError(wire.CreateSession, ack)
	}
	if ack.SessionID == "" {
		//lint:ignore ST1005 "Ack" is the protocol's packet name, capitalized as in the spec
		return protocolError(p, ack.Status, errors.New("Ack has no BITS-Session-Id"))
	}
	if len(ack.SessionID) > 300 || strings.ContainsAny(ack.SessionID, "\r\n") {
		return protocolError(p, ack.Status, fmt.Errorf("unusable BITS-Session-Id %q", ack.SessionID))
	}
	if ack.Protocol != "" && !strings.EqualFold(ack.Protocol, wire.ProtocolGUID) {
		return &JobError{Packet: p, Status: ack.Status, Code: wire.BGEClientServerProtoMismatch,
			Context: wire.ContextRemoteFile, Class: wire.Fatal, Err: fmt.Errorf("server chose protocol %s", ack.Protocol)}
	}
	if ack.HostID != "" {
		if _, err := hostURL(&url.URL{Scheme: "http", Host: "origin:80"}, ack.HostID); err != nil {
			return protocolError(p, ack.Status, err)
		}
	}
	return nil
}

func (j *Job) ping(ctx context.Context) error {
	j.setState(Connecting)
	ack, err := j.exchange(ctx, wire.Ping, nil, 0, wire.Range{})
	if err != nil {
		return err
	}
	if !ack.OK() {
		return ackError(wire.Ping, ack)
	}
	j.needPing = false
	return nil
}

// maxStalls is how many Fragment Acks in a row may fail to move the offset
// forward before the client treats the server as stuck (transient error).
const maxStalls = 8

func (j *Job) fragLen() int64 {
	s := j.cfg.fixedFrag
	if s == 0 {
		s = j.adaptive
	}
	if j.fragCap > 0 {
		s = min(s, j.fragCap)
	}
	return s
}

func (j *Job) adapt(n int64, took time.Duration) {
	if j.cfg.fixedFrag != 0 || n < j.adaptive {
		return
	}
	switch {
	case took < j.cfg.target/2:
		j.adaptive = min(j.adaptive*2, wire.MaxFragment)
	case took > j.cfg.target*2:
		j.adaptive = max(j.adaptive/2, wire.MinFragment)
	}
}

func (j *Job) sendFragment(ctx context.Context) error {
	size := j.src.length
	if j.offset >= size {
		return j.uploaded("")
	}
	j.setState(Transferring)
	if err := j.src.check(); err != nil {
		return err
	}
	off := j.offset
	n := min(j.fragLen(), size-off)
	r := wire.Range{First: off, Last: off + n - 1, Total: size}
	body := &countingReader{r: io.NewSectionReader(j.src.data, off, n), n: &j.bytesSent, clock: j.cfg.Clock}
	t0 := j.cfg.Clock.Now()
	ack, err := j.exchange(ctx, wire.Fragment, body, n, r)
	if err != nil {
		return err
	}
	out, jerr := judgeFragment(ack, r, j.cfg.RangeMissing)
	if jerr != nil {
		return jerr
	}
	switch out.kind {
	case fragRestart:
		j.restart(sim.ReasonRangeMissing, "Fragment", out.why)
		if j.restartsNoProg > 1 {
			// The new session answered the same way: back off as for a
			// transient error rather than loop.
			return &JobError{Packet: "Fragment", Status: ack.Status, Code: wire.WinHTTPInvalidServerResponse,
				Context: wire.ContextRemoteFile, Class: wire.Transient, Err: errors.New(out.why)}
		}
		return nil
	case fragShrink:
		j.fragCap = out.size // the next Fragment event shows the new size
		return nil
	case fragResync:
		j.resyncs++
		if mutant.On("client-416-restarts") {
			j.restart(sim.ReasonRangeMissing, "Fragment", "416 (defect: restarted instead of resuming at the offset)")
			return nil
		}
	case fragAdvance:
		j.adapt(n, j.cfg.Clock.Now().Sub(t0))
	}
	if out.offset > off {
		j.progress()
	} else if j.stalls++; j.stalls > maxStalls {
		j.stalls = 0
		return &JobError{Packet: "Fragment", Status: ack.Status, Code: wire.WinHTTPInvalidServerResponse,
			Context: wire.ContextRemoteFile, Class: wire.Transient,
			Err: fmt.Errorf("%d Fragment Acks in a row without forward progress (offset %d)", maxStalls+1, out.offset)}
	}
	j.offset = out.offset
	j.setAcked(out.offset)
	if j.offset == size {
		return j.uploaded(out.replyURL)
	}
	return nil
}

// uploaded moves on once the server holds every byte: reply download for
// upload-reply jobs (K7 when the Ack names no reply), else Close-Session.
func (j *Job) uploaded(replyURL string) error {
	if j.spec.Type != UploadReply {
		j.phase = phClose
		return nil
	}
	if replyURL == "" || mutant.On("client-reply-skipped") {
		if j.cfg.MissingReply == MissingReplyError && !mutant.On("client-k7-ignored") {
			return protocolError("Fragment", 0, errors.New("final Ack of an upload-reply job has no BITS-Reply-URL (K7 strict)"))
		}
		if err := j.emptyReply(); err != nil {
			return err
		}
		j.phase = phClose
		return nil
	}
	j.replyURL, j.replyHave = replyURL, 0
	j.phase = phReply
	return nil
}

func (j *Job) closeSession(ctx context.Context) error {
	j.setState(Transferring)
	ack, err := j.exchange(ctx, wire.CloseSession, nil, 0, wire.Range{})
	if err != nil {
		return err
	}
	if !ack.OK() {
		return ackError(wire.CloseSession, ack)
	}
	j.progress()
	j.phase = phDone
	return nil
}

// cancelSession sends Cancel-Session for an open session (best effort) and
// enters CANCELLED.
func (j *Job) cancelSession(parent context.Context) error {
	if j.sessionID != "" && j.phase != phDone {
		ctx := context.WithoutCancel(parent)
		for range 2 {
			ack, err := j.exchange(ctx, wire.CancelSession, nil, 0, wire.Range{})
			if err == nil && (ack.OK() || ack.Status < 500 || ack.Status > 599 || ack.Code == wire.BGESessionNotFound) {
				break
			}
		}
		j.sessionID = ""
	}
	j.setState(Cancelled)
	return ErrCancelled
}

// --- Fragment Ack interpretation (§7.4) ---

type fragKind int

const (
	fragAdvance fragKind = iota // 200/201: continue at offset
	fragResync                  // 416: continue at offset
	fragShrink                  // 413: retry at the same offset with size
	fragRestart                 // 416 without an offset: new session (RangeRestart)
)

type fragOutcome struct {
	kind     fragKind
	offset   int64
	size     int64
	replyURL string
	why      string // fragRestart: the reason
}

// judgeFragment interprets the Ack to the Fragment r: 200/201 and 416 must
// carry a BITS-Received-Content-Range within [0, r.Total] (forwards or
// backwards); 413 halves the fragment (fatal at 5 KB or less); anything
// else is an error Ack. A 416 without the offset is handled by rm (see
// RangeMissing); a 2xx without it is a protocol error. Either way the
// message names a near-miss spelling of the header if the Ack had one.
func judgeFragment(ack wire.Ack, r wire.Range, rm RangeMissing) (fragOutcome, *JobError) {
	const p = "Fragment"
	switch {
	case ack.Status == http.StatusRequestEntityTooLarge:
		if r.Len() <= wire.MinFragment || mutant.On("client-413-fatal") {
			e := ackError(wire.Fragment, ack)
			e.Class = wire.Fatal
			e.Err = fmt.Errorf("413 for a fragment of %d bytes (minimum %d): %w", r.Len(), wire.MinFragment, e.Err)
			return fragOutcome{}, e
		}
		return fragOutcome{kind: fragShrink, offset: r.First, size: max(r.Len()/2, wire.MinFragment)}, nil
	case ack.OK() || ack.Status == http.StatusRequestedRangeNotSatisfiable:
		if !ack.HasReceived {
			missing := "Ack has no " + wire.HdrReceivedContentRange
			if ack.NearMissName != "" {
				missing += fmt.Sprintf(" (near miss %q: %q)", ack.NearMissName, ack.NearMissValue)
			}
			if ack.OK() || rm == RangeError {
				return fragOutcome{}, protocolError(p, ack.Status, errors.New(missing))
			}
			if rm == RangeNearMiss && ack.NearMissName != "" {
				off, err := wire.ParseOffset(ack.NearMissValue)
				if err != nil {
					return fragOutcome{}, protocolError(p, ack.Status, fmt.Errorf("%s: %w", missing, err))
				}
				ack.Received, ack.HasReceived = off, true
			} else {
				return fragOutcome{kind: fragRestart, why: "416 " + missing + "; offset unknown (--range-missing " + rm.String() + ")"}, nil
			}
		}
		if err := wire.CheckOffset(ack.Received, r.Total); err != nil {
			return fragOutcome{}, protocolError(p, ack.Status, err)
		}
		out := fragOutcome{kind: fragAdvance, offset: ack.Received}
		if !ack.OK() {
			out.kind = fragResync
		}
		if ack.Received == r.Total {
			out.replyURL = ack.ReplyURL
		}
		return out, nil
	}
	return fragOutcome{}, ackError(wire.Fragment, ack)
}
