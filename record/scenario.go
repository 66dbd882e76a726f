package record

import (
	"bytes"
	"fmt"
	"github.com/bitsim/bitsim/faults"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bitsim/bitsim/check"
	"github.com/bitsim/bitsim/knob"
)

// Scenario is one reproducible situation, as data: the farm's shape, the
// app, the client's knobs, the jobs, the fault schedule and what must come
// out of it. Scenarios are written in Go (package scenarios' catalogue) or
// loaded from YAML (Parse); both are played by package scenarios' runner
// and saved as scenario.json next to the run's files.
type Scenario struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description" yaml:"description"`
	Spec        string   `json:"spec,omitempty" yaml:"spec,omitempty"` // e.g. "§14 case 4"
	Labels      []string `json:"labels,omitempty" yaml:"labels,omitempty"`

	Farm   FarmSpec        `json:"farm" yaml:"farm"`
	App    AppSpec         `json:"app" yaml:"app"`
	Client ClientSpec      `json:"client" yaml:"client"`
	Jobs   []JobSpec       `json:"jobs" yaml:"jobs"`
	Faults faults.Schedule `json:"faults,omitempty" yaml:"faults,omitempty"`
	// Random, if set, draws extra faults from the run's seed.
	Random *RandomSpec `json:"random,omitempty" yaml:"random,omitempty"`
	Expect Expect      `json:"expect" yaml:"expect"`
}

// FarmSpec is the farm's shape and its nodes' knobs; AppSpec and
// ClientSpec configure the app and every job's client. The same structs are
// filled by a scenario's YAML, a saved scenario.json and `bitsim serve`'s
// flags (one flag per field, named after the key with dashes, unless a
// flag tag says otherwise), and turned into a farm by one builder
// (scenarios.FarmConfig). A zero field means its documented default; the
// doc and default tags are the documentation, rendered by KnobTable into
// docs/configuration.md.
type FarmSpec struct {
	Nodes                int                `json:"nodes,omitempty" yaml:"nodes,omitempty" doc:"number of upload nodes (serve: 3 unless given)" default:"1"`
	HostID               bool               `json:"host_id,omitempty" yaml:"host_id,omitempty" doc:"nodes send BITS-Host-Id with their own address (BITSHostId); serve: on unless given when it runs more than one node on local storage (--host-id=false: the farm of docs/protocol.md §14 case 2)"`
	FallbackTimeout      time.Duration      `json:"fallback_timeout,omitempty" yaml:"fallback_timeout,omitempty" doc:"BITSHostIdFallbackTimeout, with host_id; negative: configured as 0, the header is not sent and clients never fall back" default:"24h"`
	Balancer             knob.Policy        `json:"balancer,omitzero" yaml:"balancer,omitempty" flag:"lb" doc:"the balancer's policy for the shared address"`
	Storage              knob.Storage       `json:"storage,omitempty" yaml:"storage,omitempty" doc:"local: a session lives on the node that created it; shared: any node can continue any session"`
	Notification         knob.Notification  `json:"notification,omitempty" yaml:"notification,omitempty" doc:"BITSServerNotificationType (IIS numbers 0, 1, 2 also accepted)"`
	Overlap              knob.Overlap       `json:"overlap,omitempty" yaml:"overlap,omitempty" doc:"K1: a Fragment starting before the next expected offset"`
	Commit               knob.Commit        `json:"commit,omitempty" yaml:"commit,omitempty" doc:"K2: when the upload reaches its destination path"`
	ConflictStatus       knob.Conflict      `json:"conflict_status,omitempty" yaml:"conflict_status,omitempty" doc:"K3: the status of Create-Session for an existing destination without overwrites"`
	RequestRetention     knob.Retention     `json:"request_retention,omitempty" yaml:"request_retention,omitempty" doc:"K10: when the request file of a notified upload is deleted"`
	AllowOverwrites      bool               `json:"allow_overwrites,omitempty" yaml:"allow_overwrites,omitempty" doc:"BITSAllowOverwrites: an upload may replace an existing destination (K11: also for type 0)"`
	SessionTimeout       time.Duration      `json:"session_timeout,omitempty" yaml:"session_timeout,omitempty" doc:"BITSSessionTimeout: an idle session is removed by the next cleanup" default:"336h (14 days)"`
	NotificationTimeout  time.Duration      `json:"notification_timeout,omitempty" yaml:"notification_timeout,omitempty" doc:"guard on each notification POST (408, context 0x7, when it fires)" default:"5m"`
	CleanupInterval      time.Duration      `json:"cleanup_interval,omitempty" yaml:"cleanup_interval,omitempty" doc:"how often each node's cleanup task runs (BITSCleanupCount/Units); negative: never by timer" default:"12h"`
	SessionLimit         int                `json:"session_limit,omitempty" yaml:"session_limit,omitempty" doc:"BITSNumberOfSessionsLimit: sessions one client may hold" default:"50"`
	SessionLimitDisabled bool               `json:"session_limit_disabled,omitempty" yaml:"session_limit_disabled,omitempty" doc:"inverse of BITSSessionLimitEnable"`
	MaxFragmentSize      int64              `json:"max_fragment_size,omitempty" yaml:"max_fragment_size,omitempty" doc:"largest fragment body accepted, in bytes; larger gets 413; 0: unlimited"`
	MaxUploadSize        int64              `json:"max_upload_size,omitempty" yaml:"max_upload_size,omitempty" doc:"BITSMaximumUploadSize in bytes; 0: unlimited"`
	UploadsDisabled      bool               `json:"uploads_disabled,omitempty" yaml:"uploads_disabled,omitempty" doc:"inverse of BITSUploadEnabled: every packet gets 501"`
	Sync                 bool               `json:"sync,omitempty" yaml:"sync,omitempty" doc:"fsync every fragment and state record before the Ack"`
	RST                  bool               `json:"rst,omitempty" yaml:"rst,omitempty" doc:"links reset (RST) the connections their toxics close instead of closing with FIN"`
	SessionDirectory     string             `json:"session_directory,omitempty" yaml:"session_directory,omitempty" doc:"BITSSessionDirectory: the sessions' directory under each node's directory, one path segment" default:"BITS-Sessions"`
	MissingContentLength knob.ContentLength `json:"missing_content_length,omitempty" yaml:"missing_content_length,omitempty" doc:"a body-less packet without Content-Length: reject (400, as IIS) or accept (taken as empty)"`
	// NoFinalCleanup skips the end-of-run cleanup (time advanced past the
	// session time-out, then every node's cleanup task).
	NoFinalCleanup bool `json:"no_final_cleanup,omitempty" yaml:"no_final_cleanup,omitempty" flag:"-" doc:"scenarios: skip the end-of-run cleanup (time advanced past the session time-out, then every node's cleanup task)"`
}

// AppSpec configures the mock application.
type AppSpec struct {
	Mode                  knob.AppMode `json:"mode,omitempty" yaml:"mode,omitempty" flag:"app" doc:"how the app treats repeated deliveries"`
	Reply                 bool         `json:"reply,omitempty" yaml:"reply,omitempty" doc:"the app produces a reply (upload-reply jobs)"`
	ReplyBodyByReference  bool         `json:"reply_body_by_reference,omitempty" yaml:"reply_body_by_reference,omitempty" doc:"K9: by reference, the reply is also sent as the body"`
	CopyFileToDestination bool         `json:"copy_file_to_destination,omitempty" yaml:"copy_file_to_destination,omitempty" doc:"the app answers BITS-Copy-File-To-Destination: true"`
	StaticResponseURL     string       `json:"static_response_url,omitempty" yaml:"static_response_url,omitempty" doc:"sent as BITS-Static-Response-URL on every 200 answer instead of a reply ({sha256} and {txn} are expanded)" default:"none"`
	// URL, if set, is the user's own application: the nodes notify it
	// instead of the mock (Mode, Reply and the other mock settings do not
	// apply), and the scenario is judged by the app's contract (see README
	// "Testing your application").
	URL string `json:"url,omitempty" yaml:"url,omitempty" flag:"app-url" doc:"notify your own application at this http URL instead of the mock"`
	// EffectsURL is the external app's effect probe: GET answering
	// {"effects": {"<txn>": <count>}}, read before and after the jobs.
	EffectsURL string `json:"effects_url,omitempty" yaml:"effects_url,omitempty" flag:"-" doc:"your application's effect probe: GET answering {\"effects\": {\"<txn>\": <count>}}"`
	// EffectsCmd is a shell command printing the same JSON (e.g. a query on
	// the app's database), used when EffectsURL is empty.
	EffectsCmd string `json:"effects_cmd,omitempty" yaml:"effects_cmd,omitempty" flag:"-" doc:"a shell command printing the effect probe's JSON"`
}

// External reports whether the scenario targets the user's own app.
func (a AppSpec) External() bool { return a.URL != "" }

// ClientSpec configures every job's client.
type ClientSpec struct {
	RetryDelay        time.Duration      `json:"retry_delay,omitempty" yaml:"retry_delay,omitempty" doc:"MinimumRetryDelay" default:"10m"`
	NoProgressTimeout time.Duration      `json:"no_progress_timeout,omitempty" yaml:"no_progress_timeout,omitempty" doc:"NoProgressTimeout; negative: no retries" default:"336h (14 days)"`
	RequestTimeout    time.Duration      `json:"request_timeout,omitempty" yaml:"request_timeout,omitempty" doc:"guard on sending each request; negative: none" default:"2m"`
	ResponseTimeout   time.Duration      `json:"response_timeout,omitempty" yaml:"response_timeout,omitempty" doc:"guard on each response; negative: none" default:"5m"`
	CloseNotFound     knob.CloseNotFound `json:"close_not_found,omitempty" yaml:"close_not_found,omitempty" doc:"K4: Close-Session answered 0x8020001F"`
	Fallback          knob.Fallback      `json:"fallback,omitempty" yaml:"fallback,omitempty" doc:"K8: when the host-id fallback timer starts and resets"`
	ReplyHost         knob.ReplyHost     `json:"reply_host,omitempty" yaml:"reply_host,omitempty" doc:"K6: the host a relative BITS-Reply-URL is resolved against"`
	MissingReply      knob.MissingReply  `json:"missing_reply,omitempty" yaml:"missing_reply,omitempty" doc:"K7: an upload-reply job whose final Ack has no BITS-Reply-URL"`
	RangeMissing      knob.RangeMissing  `json:"range_missing,omitempty" yaml:"range_missing,omitempty" doc:"a 416 Fragment Ack without BITS-Received-Content-Range"`
}

// JobSpec is one upload (or Count identical ones).
type JobSpec struct {
	Name string `json:"name" yaml:"name"`
	// Size of the payload in bytes (before the envelope).
	Size int64 `json:"size" yaml:"size"`
	// FragmentSize; default 64 KiB.
	FragmentSize int64 `json:"fragment_size,omitempty" yaml:"fragment_size,omitempty"`
	// Reply makes it an upload-reply job.
	Reply bool `json:"reply,omitempty" yaml:"reply,omitempty"`
	// Txn wraps the payload in the transaction-id envelope: "auto" draws an
	// id from the seed ("auto-fit" too, keeping the upload at Size,
	// envelope included: runs against an external app), anything else is
	// the id. Empty: no envelope.
	Txn string `json:"txn,omitempty" yaml:"txn,omitempty"`
	// Count runs that many copies (name-1, name-2, ...), concurrently.
	Count int `json:"count,omitempty" yaml:"count,omitempty"`
	// Payload takes the job's bytes from a file, or from a directory's
	// files in turn, with {{txn}}, {{job}} and {{seed}} replaced (package
	// payload); Size is then ignored and no envelope is added. A relative
	// path is relative to the YAML file.
	Payload string `json:"payload,omitempty" yaml:"payload,omitempty"`
}

// RandomSpec draws a random fault schedule from the run's seed.
type RandomSpec struct {
	// Faults is how many faults to draw (default 3).
	Faults int `json:"faults,omitempty" yaml:"faults,omitempty"`
}

// Expect is what a scenario must produce. Unset fields are not checked.
// Counts are over all jobs.
type Expect struct {
	Deliveries *int `json:"deliveries,omitempty" yaml:"deliveries,omitempty"`
	Effects    *int `json:"effects,omitempty" yaml:"effects,omitempty"`
	Restarts   *int `json:"restarts,omitempty" yaml:"restarts,omitempty"`
	Sessions   *int `json:"sessions,omitempty" yaml:"sessions,omitempty"`
	// MinDeliveries/MaxDeliveries bound the deliveries (random scenarios).
	MinDeliveries *int `json:"min_deliveries,omitempty" yaml:"min_deliveries,omitempty"`
	MaxDeliveries *int `json:"max_deliveries,omitempty" yaml:"max_deliveries,omitempty"`
	// MaxBytesResent / MinBytesResent bound the bytes sent twice.
	MaxBytesResent *int64 `json:"max_bytes_resent,omitempty" yaml:"max_bytes_resent,omitempty"`
	MinBytesResent *int64 `json:"min_bytes_resent,omitempty" yaml:"min_bytes_resent,omitempty"`
	// JobState every job must end in; default ACKNOWLEDGED.
	JobState string `json:"job_state,omitempty" yaml:"job_state,omitempty"`
	// JobCode is the HRESULT a failed job must report ("0x80200024").
	JobCode string `json:"job_code,omitempty" yaml:"job_code,omitempty"`
	// Verdicts maps checker names to the status they must return. Checkers
	// not listed must not fail (duplicates and exactly-once-effect are
	// judged by Deliveries/Effects when those are set).
	Verdicts map[string]check.Status `json:"verdicts,omitempty" yaml:"verdicts,omitempty"`
	// Explain lists phrases the duplicate checker's explanation must
	// contain (e.g. "case 4", the fault's name).
	Explain []string `json:"explain,omitempty" yaml:"explain,omitempty"`
	// Events lists event kinds (sim.Kind) that must occur at least once,
	// optionally as "kind:detail" requiring its Reason, Fault, Point or Err to contain detail.
	Events []string `json:"events,omitempty" yaml:"events,omitempty"`
	// NoEvents lists event kinds that must not occur (same syntax).
	NoEvents []string `json:"no_events,omitempty" yaml:"no_events,omitempty"`
	// MinProtocolTime: the run must span at least this much protocol time.
	MinProtocolTime time.Duration `json:"min_protocol_time,omitempty" yaml:"min_protocol_time,omitempty"`
	// MinExactProtocolTime is MinProtocolTime checked on the exact tier
	// only, where toxiproxy's delays (latency, bandwidth, slicer) run on the
	// virtual clock; on the wire tier they take real time the clock does
	// not see.
	MinExactProtocolTime time.Duration `json:"min_exact_protocol_time,omitempty" yaml:"min_exact_protocol_time,omitempty"`
	// EventCounts bound how many events of a kind match (or how many
	// distinct nodes, sessions, ... they touch); see EventCount.
	EventCounts []EventCount `json:"event_counts,omitempty" yaml:"event_counts,omitempty"`
	// Jobs bound the client's per-job figures (resyncs, retries, ...); see
	// JobExpect.
	Jobs []JobExpect `json:"jobs,omitempty" yaml:"jobs,omitempty"`
}

// N returns a pointer to n, for Expect fields.
func N(n int) *int { return &n }

// N64 returns a pointer to n, for Expect fields.
func N64(n int64) *int64 { return &n }

// HasLabel reports whether the scenario carries label l.
func (s Scenario) HasLabel(l string) bool {
	for _, x := range s.Labels {
		if x == l {
			return true
		}
	}
	return false
}

// Validate checks what the data alone allows (names, jobs, labels, the
// fault schedule's shape). Package scenarios adds the checks that need the
// farm and client builders.
func (s Scenario) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("record: a scenario needs a name")
	}
	if len(s.Jobs) == 0 {
		return fmt.Errorf("record: %s: no jobs", s.Name)
	}
	for _, l := range s.Labels {
		if !KnownLabel(l) {
			return fmt.Errorf("record: %s: unknown label %q (known: %v)", s.Name, l, Labels)
		}
	}
	seen := map[string]bool{}
	for _, j := range s.Jobs {
		if j.Name == "" || j.Size <= 0 && j.Payload == "" {
			return fmt.Errorf("record: %s: each job needs a name and a positive size (or a payload)", s.Name)
		}
		if seen[j.Name] {
			return fmt.Errorf("record: %s: duplicate job name %q", s.Name, j.Name)
		}
		seen[j.Name] = true
	}
	if err := s.Expect.Validate(); err != nil {
		return fmt.Errorf("record: %s: %w", s.Name, err)
	}
	return s.Faults.Validate(nil)
}

// Parse reads scenarios from YAML: either one scenario or a list under
// "scenarios:". Unknown fields are errors; each scenario is Validated.
func Parse(b []byte) ([]Scenario, error) {
	var top map[string]any
	if err := yaml.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt field is an error, not a silent default
	if _, ok := top["scenarios"]; ok {
		var list struct {
			Scenarios []Scenario `yaml:"scenarios"`
		}
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		return validated(list.Scenarios)
	}
	var one Scenario
	if err := dec.Decode(&one); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return validated([]Scenario{one})
}

func validated(ss []Scenario) ([]Scenario, error) {
	for _, s := range ss {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	return ss, nil
}
