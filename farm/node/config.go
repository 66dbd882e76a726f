package node

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"github.com/bitsim/bitsim/knob"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

// Config configures one BITS upload server node: the IIS properties of
// one virtual directory (§9), the harness knobs of §15, and the node's
// plumbing. The zero value, plus Dir, is a working IIS-default node;
// New applies the defaults once and validates.
type Config struct {
	// Name identifies the node in events (Source, Node) and in the
	// X-Bitsim-Node header of notifications. Default "node".
	Name string
	// Dir is the virtual directory's physical directory (required). Sessions
	// live in Dir/<SessionDirectory>/Requests/{GUID}/requestfile.bin (plus
	// state.json) and Dir/<SessionDirectory>/Replies/{GUID}/responsefile.bin
	// (§8.2); committed uploads at Dir/<remote path>.
	Dir string
	// Prefix is the URL path of the virtual directory, with leading and
	// trailing slash. Default "/upload/". A remote URL
	// http://host/upload/inbox/a.bin has the remote path "inbox/a.bin".
	Prefix string

	// UploadsDisabled is the inverse of BITSUploadEnabled: every packet gets
	// 501 with 0x80070005 (IIS 6 behaviour). Zero value: uploads enabled.
	UploadsDisabled bool
	// SessionTimeout is BITSSessionTimeout: a session with no activity for
	// longer is removed by the next cleanup. Default 14 days.
	SessionTimeout time.Duration
	// MaxUploadSize is BITSMaximumUploadSize in bytes; a Content-Range total
	// above it gets 500 / BG_E_TOO_LARGE. 0 means unlimited.
	MaxUploadSize int64
	// MaxFragmentSize is the largest fragment body accepted; a larger one
	// gets 413 (the client shrinks its fragments). 0 means unlimited.
	MaxFragmentSize int64
	// NotificationType is BITSServerNotificationType. Default
	// NotifyReference, the harness's default everywhere (IIS's own default
	// is type 0, NotifyNone: set it for a node that posts nothing).
	NotificationType NotifyType
	// NotificationURL is BITSServerNotificationURL, required for types 1
	// and 2. A relative URL is resolved against the directory of the upload
	// URL, and the upload URL's query string is appended (§9).
	NotificationURL string
	// HostID is BITSHostId. When set, the Create-Session Ack carries
	// BITS-Host-Id (and BITS-Host-Id-Fallback-Timeout, see below).
	HostID string
	// HostIDFallbackTimeout is BITSHostIdFallbackTimeout, sent in whole
	// seconds with BITS-Host-Id. 0 means the IIS default of 1 day; a
	// negative value means "configured as 0": the header is not sent and the
	// client never falls back (§3.1). A value under one second also sends
	// nothing (the header is only sent when non-zero).
	HostIDFallbackTimeout time.Duration
	// AllowOverwrites is BITSAllowOverwrites: an upload may replace an
	// existing destination file. When false, Create-Session for an existing
	// destination gets ConflictStatus (K3; K11: this also applies to type 0).
	AllowOverwrites bool
	// CleanupInterval is how often the cleanup task runs (BITSCleanupCount
	// and BITSCleanupUnits). Default 12 h. Negative disables the timer;
	// RunCleanup still works.
	CleanupInterval time.Duration
	// SessionLimit is BITSNumberOfSessionsLimit, the most sessions one
	// client may hold; the cleanup task removes a client's most recent
	// sessions above it. Default 50. A client is the value of the
	// ClientHeader request header on Create-Session when present, otherwise
	// the remote IP address (behind a proxy, every client shares the
	// proxy's IP, so farms send the header).
	SessionLimit int
	// SessionLimitDisabled is the inverse of BITSSessionLimitEnable
	// (default: limit enforced).
	SessionLimitDisabled bool
	// ClientHeader names the request header that identifies a client for
	// the session limit. Default wire.HdrClientID ("X-Bitsim-Client", the
	// header balancer.StickyHeader pins on).
	ClientHeader string
	// SessionDirectory is BITSSessionDirectory, a single path segment under
	// Dir. Default "BITS-Sessions". Remote paths inside it are refused.
	SessionDirectory string
	// NotificationTimeout guards each notification POST, measured on Clock
	// (§10.4: 5 minutes). A time-out gets 408 / 0x80070112, context 7.
	NotificationTimeout time.Duration

	// SharedStorage says other nodes use the same Dir (a farm with shared
	// storage, spec §14 case 15): the node reads a session from disk on every
	// packet instead of trusting its memory, so any node can continue any
	// session, and its cleanup scans the whole directory. The notify cache
	// stays per node, in memory.
	SharedStorage bool

	// Overlap is knob K1. Default OverlapLenient.
	Overlap OverlapMode
	// Commit is knob K2. Default CommitOnFinalFragment.
	Commit CommitMode
	// ConflictStatus is knob K3: the status of Create-Session when the
	// destination exists and overwrites are not allowed: 409 ([W], default)
	// or 403 ([S]), both with 0x80070005 context 5.
	ConflictStatus knob.Conflict
	// RequestRetention is knob K10. Default DeleteAfterAnswer.
	RequestRetention Retention
	// MissingContentLength is what a body-less packet without
	// Content-Length gets. Default ContentLengthReject (IIS).
	MissingContentLength ContentLengthMode

	// Logger, if set, gets one line per error Ack (any status but 200/201)
	// with the packet, session, status, code, context, the reason and the
	// request id, which the Ack also carries in wire.HdrRequestID. WARN for
	// rejections, INFO for 416 resyncs and application errors. Nil: no log.
	Logger *slog.Logger

	// Sync makes every Fragment fsync the request file (and every state
	// record its file) before the Ack. Without it, an acknowledged byte
	// survives a node crash (the process dies, the kernel keeps its page
	// cache) but not a machine crash; KillOptions.LoseTail simulates the
	// latter.
	Sync bool
	// TraceCrashPoints records a sim.CrashPoint event every time a crash
	// point is reached. By default only firing crash points are recorded,
	// to keep histories small.
	TraceCrashPoints bool
	// OnCrash, if set, is called once when an armed crash point fires,
	// after the node has stopped serving. It runs on the crashing goroutine:
	// it must not block and must not call Close, Shutdown or Kill on the
	// node (signal another goroutine instead, or use Crashed()).
	OnCrash func(*Node, CrashPoint)

	// Clock is the protocol clock (session time-outs, cleanup, notification
	// guard). Default sim.Real{}.
	Clock sim.Clock
	// Events receives the node's history. Default sim.Discard.
	Events sim.Sink
	// Net is used to listen (Start) and, by the default NotifyClient, to
	// dial the app. Default sim.TCP{}.
	Net sim.Network
	// Rand supplies the bytes of session ids. Default crypto/rand.
	Rand io.Reader
	// NotifyClient posts notifications. Default: a client dialling through
	// Net, without keep-alives (a restarted app never sees a stale
	// connection, and Close leaves no idle connection behind). Its own
	// Timeout, if any, applies in real time on top of NotificationTimeout.
	NotifyClient *http.Client

	// ReadHeaderTimeout is the server's real-time limit for reading request
	// headers. Default 10 s.
	ReadHeaderTimeout time.Duration
	// MaxHeaderBytes bounds the request header block. Default 64 KiB.
	MaxHeaderBytes int
	// MaxReplySize bounds a reply body read from the app. Default 16 MiB.
	MaxReplySize int64

	// Defects makes the node deliberately non-conforming (tests of bitsim
	// conform only; see Defects).
	Defects Defects `json:"-" yaml:"-"`
}

// Defaults of §9 and of the harness.
const (
	DefaultSessionTimeout        = 14 * 24 * time.Hour
	DefaultHostIDFallbackTimeout = 24 * time.Hour
	DefaultCleanupInterval       = 12 * time.Hour
	DefaultSessionLimit          = 50
	DefaultSessionDirectory      = "BITS-Sessions"
	DefaultNotificationTimeout   = 5 * time.Minute
	DefaultPrefix                = "/upload/"
)

// withDefaults returns c with every default applied, or an error for an
// unusable configuration.
func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, errors.New("node: Config.Dir is required")
	}
	if c.Name == "" {
		c.Name = "node"
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(c.Prefix, "/") {
		c.Prefix = "/" + c.Prefix
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.MaxUploadSize < 0 || c.MaxFragmentSize < 0 {
		return c, errors.New("node: negative MaxUploadSize or MaxFragmentSize")
	}
	for _, k := range []interface{ MarshalText() ([]byte, error) }{c.NotificationType, c.Overlap, c.Commit, c.ConflictStatus, c.RequestRetention, c.MissingContentLength} {
		if _, err := k.MarshalText(); err != nil {
			return c, fmt.Errorf("node: %w", err)
		}
	}
	if c.NotificationType != NotifyNone && c.NotificationURL == "" {
		return c, fmt.Errorf("node: NotificationType %s needs a NotificationURL (NotifyNone posts nothing)", c.NotificationType)
	}
	if len(c.NotificationURL) > maxReplyURL {
		return c, errors.New("node: NotificationURL longer than 2,200 characters")
	}
	if len(c.HostID) > 300 {
		return c, errors.New("node: HostID longer than 300 characters")
	}
	if c.HostIDFallbackTimeout == 0 {
		c.HostIDFallbackTimeout = DefaultHostIDFallbackTimeout
	}
	if c.CleanupInterval == 0 {
		c.CleanupInterval = DefaultCleanupInterval
	}
	if c.SessionLimit <= 0 {
		c.SessionLimit = DefaultSessionLimit
	}
	if c.ClientHeader == "" {
		c.ClientHeader = wire.HdrClientID // the header the balancer's Sticky policy pins on
	}
	if c.SessionDirectory == "" {
		c.SessionDirectory = DefaultSessionDirectory
	}
	if !validSegment(c.SessionDirectory) {
		return c, fmt.Errorf("node: SessionDirectory %q must be a single path segment", c.SessionDirectory)
	}
	if c.NotificationTimeout <= 0 {
		c.NotificationTimeout = DefaultNotificationTimeout
	}
	if c.Clock == nil {
		c.Clock = sim.Real{}
	}
	c.Events = sim.OrDiscard(c.Events)
	c.Net = sim.OrTCP(c.Net)
	if c.Rand == nil {
		c.Rand = crand.Reader
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MaxReplySize <= 0 {
		c.MaxReplySize = 16 << 20
	}
	return c, nil
}

// fallbackSeconds returns the BITS-Host-Id-Fallback-Timeout value and
// whether to send it.
func (c *Config) fallbackSeconds() (int64, bool) {
	s := int64(c.HostIDFallbackTimeout / time.Second)
	return s, c.HostID != "" && s > 0
}

// validSegment reports whether s is one safe, non-special path segment.
func validSegment(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}
