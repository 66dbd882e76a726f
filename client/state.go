package client

import "github.com/bitsim/bitsim/internal/enum"

// JobState is a job's BG_JOB_STATE (§12.2). The numeric values are the
// Windows ones.
type JobState int

// Job states.
const (
	Queued         JobState = iota // waiting to run (Run was called)
	Connecting                     // opening a connection or session, or pinging
	Transferring                   // sending fragments or downloading the reply
	Suspended                      // created and not running, or Run's context ended
	Error                          // fatal error or no-progress time-out; Run again to resume
	TransientError                 // waiting MinRetryDelay before an automatic retry
	Transferred                    // the protocol finished (Close-Session acked); waiting for Complete
	Acknowledged                   // final: Complete was called (by Run unless ManualComplete)
	Cancelled                      // final: Cancel was called
)

var stateNames = enum.New[JobState]("client", "job state", "QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR",
	"TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED")

// String returns the upper-case name used in events and JSON, "TRANSFERRING".
func (s JobState) String() string                { return stateNames.String(s) }
func (s JobState) MarshalText() ([]byte, error)  { return stateNames.MarshalText(s) }
func (s *JobState) UnmarshalText(b []byte) error { return stateNames.UnmarshalText(s, b) }

// ParseJobState parses a state name, case-insensitively.
func ParseJobState(s string) (JobState, error) { return stateNames.Parse(s) }

// Final reports whether no further transition can happen (ACKNOWLEDGED or
// CANCELLED).
func (s JobState) Final() bool { return s == Acknowledged || s == Cancelled }

// Succeeded reports whether the upload reached the server (TRANSFERRED or
// ACKNOWLEDGED).
func (s JobState) Succeeded() bool { return s == Transferred || s == Acknowledged }

// JobType is BG_JOB_TYPE: an upload or an upload-reply job.
type JobType int

// Job types (numbered as BG_JOB_TYPE_UPLOAD = 1, BG_JOB_TYPE_UPLOAD_REPLY = 2).
const (
	Upload      JobType = 1
	UploadReply JobType = 2
)

var typeNames = enum.New[JobType]("client", "job type", "", "upload", "upload-reply").
	Alias("uploadreply", UploadReply).Alias("reply", UploadReply)

// String returns "upload" or "upload-reply".
func (t JobType) String() string { return typeNames.String(t) }

// ParseJobType parses "upload" or "upload-reply".
func ParseJobType(s string) (JobType, error) { return typeNames.Parse(s) }
