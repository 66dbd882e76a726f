package sim

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Kind names what an Event records. Kinds are stable strings: saved
// histories are re-checked by later versions of bitsim.
type Kind string

// Event kinds, grouped by the component that emits them.
const (
	// Server node.
	NodeStarted      Kind = "node.started"       // a node began serving (Count: sessions restored)
	NodeStopped      Kind = "node.stopped"       // orderly shutdown
	NodeCrashed      Kind = "node.crashed"       // abrupt death (Point names the crash point, if any)
	PacketReceived   Kind = "packet.received"    // a BITS_POST arrived (Packet, Session, Range)
	AckSent          Kind = "ack.sent"           // the Ack was written (Status, Code, Context, Offset)
	NotifySent       Kind = "notify.sent"        // notification POST sent to the app (URL, Bytes, Notification)
	NotifyAnswered   Kind = "notify.answered"    // app answered (Status) or failed (Err); Reason "orphaned" if the node had died
	NotifyCached     Kind = "notify.cached"      // repeated final fragment answered from the notify cache
	SessionCreated   Kind = "session.created"    // Create-Session succeeded
	SessionRestored  Kind = "session.restored"   // a session was loaded from disk after a restart
	SessionCompleted Kind = "session.completed"  // the last byte arrived
	SessionExpired   Kind = "session.expired"    // removed by timeout/cleanup (Reason)
	SessionDoomed    Kind = "session.doomed"     // to be dropped (Reason) once the packet holding it is done; session.expired follows then
	SessionClosed    Kind = "session.closed"     // Close-Session
	SessionCancelled Kind = "session.cancelled"  // Cancel-Session
	FileCommitted    Kind = "file.committed"     // the upload was put at its destination
	ReplyServed      Kind = "reply.served"       // a reply GET/HEAD was answered
	CrashPoint       Kind = "crash.point"        // a crash point was reached (armed or not)
	CleanupRan       Kind = "cleanup.ran"        // the cleanup task ran (Bytes = sessions removed)
	RequestRejected  Kind = "request.rejected"   // malformed/hostile request answered with an error Ack
	RequestTolerated Kind = "request.tolerated"  // a request IIS would reject, accepted because of a knob (Err: what)
	AppDelivery      Kind = "app.delivery"       // the app recorded a delivery (Txn, Bytes, SHA256)
	AppEffect        Kind = "app.effect"         // the app applied an effect
	AppReplied       Kind = "app.replied"        // the app answered a notification (Status)
	AppCrashed       Kind = "app.crashed"        // the app died at a crash point
	AppRestarted     Kind = "app.restarted"      // the app came back after a crash
	ClientRequest    Kind = "client.request"     // a client sent a request (Packet, URL, Range)
	ClientResponse   Kind = "client.response"    // a client got a response (Status, Code, Offset, HostID)
	ClientError      Kind = "client.error"       // transport error (Err)
	ClientWarning    Kind = "client.warning"     // a response the client tolerated although it breaks the spec (Status, Detail: what)
	ClientState      Kind = "client.state"       // job state change (State)
	ClientTimerArmed Kind = "client.timer.armed" // a client timer was armed (Timer, Duration)
	ClientTimerFired Kind = "client.timer.fired" // a client timer fired (Timer, Duration)
	ClientSession    Kind = "client.session"     // the client's session changed (Step; Reason and Packet for a restart)
	ClientHostID     Kind = "client.hostid"      // the client switched host (Step, HostID, URL)
	ClientReply      Kind = "client.reply"       // reply download progress/result
	JobSource        Kind = "job.source"         // a job's source: Job, URL (remote), Total, Txn, SHA256
	JobDone          Kind = "job.done"           // a job ended (State; Err for errors)
	BalancerRoute    Kind = "balancer.route"     // the balancer sent a connection to a node
	FaultFired       Kind = "fault.fired"        // the fault injector applied an action (Fault, Trigger, Action)
	FaultArmed       Kind = "fault.armed"        // a schedule entry was installed
	LinkChanged      Kind = "link.changed"       // a proxy link went up/down or got a toxic (Link, Listen, Upstream)
)

// Event is one entry of a run's history. Fields that do not apply are left
// empty. At is protocol time (from the emitter's Clock), Wall is wall time.
type Event struct {
	Seq      int64         `json:"seq"`
	At       time.Time     `json:"at"`
	Wall     time.Time     `json:"wall"`
	Kind     Kind          `json:"kind"`
	Source   string        `json:"source"`            // emitting component: "node2", "app", "client", "lb", "faults"
	Node     string        `json:"node,omitempty"`    // node concerned
	Session  string        `json:"session,omitempty"` // BITS session id
	Job      string        `json:"job,omitempty"`     // client job id
	Txn      string        `json:"txn,omitempty"`     // transaction id carried in the data
	Packet   string        `json:"packet,omitempty"`  // BITS packet type, wire spelling
	Method   string        `json:"method,omitempty"`  // HTTP method
	URL      string        `json:"url,omitempty"`     // request or remote URL
	Status   int           `json:"status,omitempty"`  // HTTP status
	Code     string        `json:"code,omitempty"`    // BITS-Error-Code, "0x%08X"
	Context  string        `json:"context,omitempty"` // BITS-Error-Context, "0x%X"
	First    int64         `json:"first,omitempty"`   // Content-Range first byte
	Last     int64         `json:"last,omitempty"`    // Content-Range last byte
	Total    int64         `json:"total,omitempty"`   // upload size
	Offset   int64         `json:"offset,omitempty"`  // BITS-Received-Content-Range / offset
	Bytes    int64         `json:"bytes,omitempty"`   // bytes moved or written
	Point    string        `json:"point,omitempty"`   // crash point name
	State    string        `json:"state,omitempty"`   // job or session state
	Duration time.Duration `json:"duration,omitempty"`
	Err      string        `json:"err,omitempty"`

	// The typed vocabulary (history schema 2, see vocab.go): what a reader
	// needs beyond the fields above. Checkers and reports read these.
	Step         Step       `json:"step,omitempty"`         // client.session, client.hostid: what changed
	Reason       Reason     `json:"reason,omitempty"`       // why: a restart, an expiry, a rejection, an orphaned answer
	Timer        TimerKind  `json:"timer,omitempty"`        // client.timer.*: which timer
	HostID       string     `json:"host_id,omitempty"`      // client.hostid, client.response: the BITS-Host-Id
	SHA256       string     `json:"sha256,omitempty"`       // job.source, app.delivery: payload digest, lowercase hex
	Fault        string     `json:"fault,omitempty"`        // fault.fired: the fault's name
	Trigger      string     `json:"trigger,omitempty"`      // fault.fired: what triggered it, as text
	Action       string     `json:"action,omitempty"`       // fault.fired: what it did, as text
	Link         LinkChange `json:"link,omitempty"`         // link.changed: what changed
	Listen       string     `json:"listen,omitempty"`       // link.changed: the proxy's listen address (host:port); client.hostid: the address the client's host map dials for the host-id URL
	Upstream     string     `json:"upstream,omitempty"`     // link.changed: the upstream address (host:port)
	Notification string     `json:"notification,omitempty"` // notify.sent: the notification type (K1)
	Count        int64      `json:"count,omitempty"`        // node.started: sessions restored from storage

	// Detail is human text only, for people reading a history or a log. No
	// checker or report parses it (a test in check enforces this); the one
	// exception is Upgrade, which reads schema-1 histories.
	Detail string `json:"detail,omitempty"`
}

func (e Event) String() string {
	s := fmt.Sprintf("#%d %s %s %s", e.Seq, e.At.Format("2006-01-02T15:04:05.000"), e.Source, e.Kind)
	for _, kv := range [][2]string{
		{"node", e.Node}, {"session", e.Session}, {"job", e.Job}, {"txn", e.Txn}, {"packet", e.Packet},
		{"point", e.Point}, {"state", e.State}, {"code", e.Code}, {"err", e.Err},
		{"step", string(e.Step)}, {"reason", string(e.Reason)}, {"timer", string(e.Timer)}, {"host-id", e.HostID},
		{"fault", e.Fault}, {"action", e.Action}, {"link", string(e.Link)}, {"detail", e.Detail},
	} {
		if kv[1] != "" {
			s += " " + kv[0] + "=" + kv[1]
		}
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" status=%d", e.Status)
	}
	if e.Total != 0 || e.Last != 0 {
		s += fmt.Sprintf(" range=%d-%d/%d", e.First, e.Last, e.Total)
	}
	if e.Offset != 0 {
		s += fmt.Sprintf(" offset=%d", e.Offset)
	}
	return s
}

// Sink receives events. Record must be safe for concurrent use and must not
// block for long: it is called on protocol paths.
type Sink interface {
	Record(Event)
}

// Discard is a Sink that drops every event.
var Discard Sink = discard{}

type discard struct{}

func (discard) Record(Event) {}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Record implements Sink.
func (f SinkFunc) Record(e Event) { f(e) }

// Tee returns a Sink that records to every non-nil sink in order.
func Tee(sinks ...Sink) Sink {
	var out []Sink
	for _, s := range sinks {
		if s != nil {
			out = append(out, s)
		}
	}
	return SinkFunc(func(e Event) {
		for _, s := range out {
			s.Record(e)
		}
	})
}

// OrDiscard returns s, or Discard if s is nil.
func OrDiscard(s Sink) Sink {
	if s == nil {
		return Discard
	}
	return s
}

// History is the append-only record of a run. It stamps each event with a
// sequence number and, when missing, wall time. It is a Sink.
type History struct {
	mu     sync.Mutex
	events []Event
	subs   []chan struct{}
}

var _ Sink = (*History)(nil)

// NewHistory returns an empty history.
func NewHistory() *History { return &History{} }

// Record implements Sink.
func (h *History) Record(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e.Seq = int64(len(h.events) + 1)
	if e.Wall.IsZero() {
		e.Wall = time.Now()
	}
	h.events = append(h.events, e)
	for _, c := range h.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Events returns a copy of the events recorded so far, in order.
func (h *History) Events() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Event(nil), h.events...)
}

// Len returns the number of events.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.events)
}

// Filter returns the events for which keep returns true.
func (h *History) Filter(keep func(Event) bool) []Event {
	var out []Event
	for _, e := range h.Events() {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// OfKind returns the events of the given kinds.
func (h *History) OfKind(kinds ...Kind) []Event {
	return h.Filter(func(e Event) bool {
		for _, k := range kinds {
			if e.Kind == k {
				return true
			}
		}
		return false
	})
}

// Notify returns a channel that receives a value (coalesced) after each new
// event, so tests can wait for events instead of sleeping. Call the returned
// func to unsubscribe.
func (h *History) Notify() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs = append(h.subs, c)
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, s := range h.subs {
			if s == c {
				h.subs = append(h.subs[:i], h.subs[i+1:]...)
				return
			}
		}
	}
}

// WriteJSON writes the history in the current schema (EncodeHistory).
func (h *History) WriteJSON(w io.Writer) error {
	return EncodeHistory(w, h.Events())
}

// Save writes the history to path as JSON.
func (h *History) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("sim: save history: %w", err)
	}
	if err := h.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("sim: save history: %w", err)
	}
	return f.Close()
}

// ReadHistory loads a history written by WriteJSON, of any schema
// (DecodeHistory upgrades it).
func ReadHistory(r io.Reader) (*History, error) {
	evs, err := DecodeHistory(r)
	if err != nil {
		return nil, err
	}
	return &History{events: evs}, nil
}

// LoadHistory reads a history saved with Save.
func LoadHistory(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sim: load history: %w", err)
	}
	defer f.Close()
	return ReadHistory(f)
}
