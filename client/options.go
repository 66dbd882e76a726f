package client

import (
	"crypto/tls"
	"github.com/bitsim/bitsim/knob"
	"net/http"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// Defaults applied by NewJob to zero-valued Options fields.
const (
	// DefaultMinRetryDelay is BITS's MinimumRetryDelay (600 s).
	DefaultMinRetryDelay = 600 * time.Second
	// RetryDelayFloor is the smallest retry delay BITS honours: shorter
	// values are raised to it unless Options.AllowShortRetryDelay is set.
	RetryDelayFloor = 5 * time.Second
	// DefaultNoProgressTimeout is BITS's NoProgressTimeout (14 days).
	DefaultNoProgressTimeout = 14 * 24 * time.Hour
	// DefaultRequestTimeout guards sending a request ([MC-BUP] 3.1.2).
	DefaultRequestTimeout = 2 * time.Minute
	// DefaultResponseTimeout guards waiting for the response ([MC-BUP] 3.1.2).
	DefaultResponseTimeout = 5 * time.Minute
	// DefaultFragmentTarget is the protocol time an adaptive fragment aims
	// to take.
	DefaultFragmentTarget = 2 * time.Second
	// AdaptiveStartFragment is the first fragment size of the adaptive policy.
	AdaptiveStartFragment = 64 * 1024
	// DefaultUserAgent is sent on every request unless overridden.
	DefaultUserAgent = "bitsim/1 (compatible; Microsoft BITS/6.7)"
)

// NoRetries, as Options.NoProgressTimeout, is BITS's "NoProgressTimeout = 0":
// every error, transient or not, puts the job in ERROR. (The zero value
// means the 14-day default, so "no retries" needs its own value.)
const NoRetries time.Duration = -1

// NoTimeout, as Options.RequestTimeout or ResponseTimeout, disables that
// guard.
const NoTimeout time.Duration = -1

// Options configure a Job. The zero value is a Windows-like client on real
// time over TCP; NewJob applies the defaults once. An Options value may be
// shared by several jobs.
type Options struct {
	// Clock is protocol time (default sim.Real). Retry delays are waits
	// (Clock.Sleep); request/response timeouts are guards
	// (Clock.WithTimeout); the no-progress and host-id fallback deadlines are
	// compared with Clock.Now at each step.
	Clock sim.Clock
	// Events receives every request, response, transport error, state change
	// and timer of the job (Source "client", Job = JobSpec.ID). Default: discard.
	Events sim.Sink
	// Net dials connections (default sim.TCP). Ignored if Transport is set.
	Net sim.Network
	// HostMap sends connections for a host (the host name of a BITS-Host-Id
	// or of any URL, without port) to another address (host:port), e.g. a
	// proxy in front of that node (bitsim run --target --node-url). The
	// requests keep their URL and Host header. Ignored if Transport is set.
	HostMap map[string]string
	// Transport replaces the HTTP/1.1 transport the job builds on Net. The
	// job never closes a transport it did not build.
	Transport http.RoundTripper
	// TLSConfig is used for https URLs by the built transport.
	TLSConfig *tls.Config
	// DisableKeepAlives makes the built transport use one connection per
	// request.
	DisableKeepAlives bool
	// UserAgent replaces DefaultUserAgent.
	UserAgent string
	// Header holds custom headers (IBackgroundCopyJobHttpOptions::
	// SetCustomHeaders) sent on every request of the job, reply GETs
	// included. They never replace a protocol header (BITS-*, Content-*,
	// Range, Host).
	Header http.Header

	// FragmentSize > 0 sends fixed-size fragments, clamped to
	// [wire.MinFragment, wire.MaxFragment] (5 KB–13 MB). 0 selects the
	// Windows-like adaptive policy: start at AdaptiveStartFragment, double
	// when a fragment took less than half of FragmentTarget (protocol time),
	// halve when it took more than twice, always within 5 KB–13 MB. Either way
	// a 413 halves the size (never below 5 KB) and caps it for the rest of
	// the job; a 413 on a fragment of 5 KB or less is fatal.
	FragmentSize int64
	// FragmentTarget is the adaptive policy's target (default 2 s).
	FragmentTarget time.Duration

	// MinRetryDelay is the wait after a transient error (default 600 s).
	// Values below 5 s are raised to 5 s, as BITS does, unless
	// AllowShortRetryDelay is set.
	MinRetryDelay time.Duration
	// AllowShortRetryDelay keeps a MinRetryDelay below 5 s. It exists for
	// tests on real time; Windows never allows it.
	AllowShortRetryDelay bool
	// NoProgressTimeout is how long a job may go without progress (an Ack
	// that moves the offset forward, reply bytes received, a successful
	// Close-Session) while it keeps retrying. The period starts at the last
	// progress or at the start of Run — not when the first error is noticed
	// (BITS's wording), so that a hung request counts from its start — and
	// it bounds everything: each exchange carries the period's deadline as
	// a guard (on top of RequestTimeout/ResponseTimeout), and a retry wait
	// is cut short at it. At the deadline the job goes to ERROR with
	// BG_E_NO_PROGRESS, and the error says how long it actually went without
	// progress. So the job ends within the time-out of its last progress;
	// the only slack is the guard's own firing (on a virtual clock, the
	// idle detector's jump to it). As on Windows, a MinRetryDelay longer
	// than the time-out makes the first transient error final. Default 14
	// days; NoRetries turns every error into ERROR.
	NoProgressTimeout time.Duration
	// RequestTimeout guards the request phase of every exchange: from the
	// start of the request (dial included) until the request, body included,
	// has been written (httptrace WroteRequest). Default 2 min.
	RequestTimeout time.Duration
	// ResponseTimeout guards the response phase: from the end of the request
	// until the response headers (and the empty Ack body) arrive; for a
	// reply GET it is re-armed whenever body bytes arrive. Default 5 min.
	// When a guard fires the exchange is aborted with WinHTTP's
	// ERROR_WINHTTP_TIMEOUT (transient, context 6).
	ResponseTimeout time.Duration

	// CloseNotFound is knob K4.
	CloseNotFound CloseNotFound
	// ReplyHost is knob K6.
	ReplyHost ReplyHost
	// MissingReply is knob K7.
	MissingReply MissingReply
	// Fallback is knob K8.
	Fallback FallbackRule
	// RangeMissing is what a 416 Fragment Ack without
	// BITS-Received-Content-Range does (harness knob, see RangeMissing).
	RangeMissing RangeMissing

	// ManualComplete makes Run stop in TRANSFERRED; the caller then calls
	// Complete to reach ACKNOWLEDGED. By default Run completes the job itself.
	ManualComplete bool
	// OnProgress is called from Run's goroutine whenever the acknowledged
	// upload offset changes (acked may go backwards after a resync or a
	// restart). It must not block for long.
	OnProgress func(acked, total int64)
}

// The client's knobs are package knob's types (one vocabulary for Go,
// YAML, saved runs and flags); these names keep call sites short.
type (
	// CloseNotFound is knob K4; see knob.CloseNotFound.
	CloseNotFound = knob.CloseNotFound
	// ReplyHost is knob K6; see knob.ReplyHost.
	ReplyHost = knob.ReplyHost
	// MissingReply is knob K7; see knob.MissingReply.
	MissingReply = knob.MissingReply
	// FallbackRule is knob K8; see knob.Fallback.
	FallbackRule = knob.Fallback
	// RangeMissing is the client's answer to a 416 without
	// BITS-Received-Content-Range; see knob.RangeMissing.
	RangeMissing = knob.RangeMissing
)

// Knob values (the first of each pair is the default).
const (
	CloseRestart           = knob.CloseRestart
	CloseNoResend          = knob.CloseNoResend
	ReplyFromOrigin        = knob.ReplyFromOrigin
	ReplyFromHostID        = knob.ReplyFromHostID
	MissingReplyEmpty      = knob.MissingReplyEmpty
	MissingReplyError      = knob.MissingReplyError
	FallbackAnyFailure     = knob.FallbackAnyFailure
	FallbackConnectFailure = knob.FallbackConnectFailure
	RangeRestart           = knob.RangeRestart
	RangeNearMiss          = knob.RangeNearMiss
	RangeError             = knob.RangeError
)

// config is Options with the defaults applied.
type config struct {
	Options
	retryDelay time.Duration
	noProgress time.Duration // <0: no retries
	reqTO      time.Duration // <=0: none
	respTO     time.Duration
	fixedFrag  int64 // 0: adaptive
	target     time.Duration
	userAgent  string
}

func (o Options) resolve() config {
	c := config{Options: o}
	if c.Clock == nil {
		c.Clock = sim.Real{}
	}
	c.Events = sim.OrDiscard(c.Events)
	c.Net = sim.OrTCP(c.Net)
	c.retryDelay = o.MinRetryDelay
	if c.retryDelay == 0 {
		c.retryDelay = DefaultMinRetryDelay
	}
	if c.retryDelay < RetryDelayFloor && !o.AllowShortRetryDelay {
		c.retryDelay = RetryDelayFloor
	}
	if c.retryDelay < 0 {
		c.retryDelay = 0
	}
	c.noProgress = o.NoProgressTimeout
	if c.noProgress == 0 {
		c.noProgress = DefaultNoProgressTimeout
	}
	c.reqTO = o.RequestTimeout
	if c.reqTO == 0 {
		c.reqTO = DefaultRequestTimeout
	}
	c.respTO = o.ResponseTimeout
	if c.respTO == 0 {
		c.respTO = DefaultResponseTimeout
	}
	if o.FragmentSize > 0 {
		c.fixedFrag = min(max(o.FragmentSize, wire.MinFragment), wire.MaxFragment)
	}
	c.target = o.FragmentTarget
	if c.target <= 0 {
		c.target = DefaultFragmentTarget
	}
	c.userAgent = o.UserAgent
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	c.Header = o.Header.Clone()
	return c
}
