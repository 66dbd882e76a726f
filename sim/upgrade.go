package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// HistorySchema is the version of the event vocabulary this bitsim writes.
//
//   - 1: a bare JSON array of events; what readers need is spelled in Detail
//     ("restart: …", "sha256:…", "added listen=… upstream=…") and in
//     borrowed fields (a fault's trigger in URL, its action in State).
//   - 2: {"schema": 2, "events": […]}; the typed fields of vocab.go
//     (Step, Reason, Timer, HostID, SHA256, Fault, Trigger, Action, Link,
//     Listen, Upstream, Notification, Count) carry it and Detail is human
//     text only.
const HistorySchema = 2

// savedHistory is the file form of schema 2 and later.
type savedHistory struct {
	Schema int     `json:"schema"`
	Events []Event `json:"events"`
}

// EncodeHistory writes evs in the current schema, indented.
func EncodeHistory(w io.Writer, evs []Event) error {
	if evs == nil {
		evs = []Event{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(savedHistory{Schema: HistorySchema, Events: evs}); err != nil {
		return fmt.Errorf("sim: encode history: %w", err)
	}
	return nil
}

// DecodeHistory reads a history written by EncodeHistory, or by an older
// bitsim (schema 1, a bare array), and upgrades it to the current schema.
func DecodeHistory(r io.Reader) ([]Event, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("sim: read history: %w", err)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var evs []Event
		if err := json.Unmarshal(data, &evs); err != nil {
			return nil, fmt.Errorf("sim: read history: %w", err)
		}
		return Upgrade(evs, 1)
	}
	var h savedHistory
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("sim: read history: %w", err)
	}
	return Upgrade(h.Events, h.Schema)
}

// Upgrade brings events written under schema version from up to the
// current schema, in place, and returns them. It is the one place that may
// parse Detail: schema-1 histories (written before the typed vocabulary)
// said in Detail what the typed fields now say. An event that already has
// its typed field set is left alone. A schema newer than this bitsim's is
// an error.
func Upgrade(evs []Event, from int) ([]Event, error) {
	switch {
	case from > HistorySchema:
		return nil, fmt.Errorf("sim: history schema %d is newer than this bitsim's (%d)", from, HistorySchema)
	case from < 1:
		return nil, fmt.Errorf("sim: history schema %d: want 1 to %d", from, HistorySchema)
	case from == HistorySchema:
		return evs, nil
	}
	for i := range evs {
		upgradeV1(&evs[i])
	}
	return evs, nil
}

// upgradeV1 fills the typed fields of one schema-1 event from its Detail
// and borrowed fields.
func upgradeV1(e *Event) {
	d := e.Detail
	switch e.Kind {
	case ClientSession:
		if e.Step == "" {
			upgradeSessionV1(e)
		}
	case ClientTimerArmed, ClientTimerFired:
		if e.Timer == "" {
			e.Timer = TimerKind(d)
		}
	case ClientHostID:
		if e.Step != "" {
			return
		}
		if id, ok := strings.CutPrefix(d, "host-id "); ok {
			e.Step, e.HostID = StepPinned, id
		} else if strings.HasPrefix(d, "fallback") {
			e.Step = StepFallback
		}
	case ClientResponse:
		// "host-id=<id> reply-url=<url>"
		for _, f := range strings.Fields(d) {
			if id, ok := strings.CutPrefix(f, "host-id="); ok && e.HostID == "" {
				e.HostID = id
			}
		}
	case JobSource:
		if e.SHA256 == "" {
			e.SHA256 = strings.TrimPrefix(d, "sha256:")
		}
	case AppDelivery:
		if e.SHA256 == "" {
			e.SHA256 = d
		}
	case FaultFired:
		// Detail: the fault's name; State: the action; URL: the trigger.
		if e.Fault == "" {
			e.Fault, e.Action, e.Trigger = d, e.State, e.URL
			e.State, e.URL = "", ""
		}
	case LinkChanged:
		if e.Link == "" {
			upgradeLinkV1(e)
		}
	case NodeStarted:
		// "restored N sessions"
		if f := strings.Fields(d); e.Count == 0 && len(f) == 3 && f[0] == "restored" {
			e.Count, _ = strconv.ParseInt(f[1], 10, 64)
		}
	case NotifySent:
		if e.Notification == "" {
			e.Notification = d
		}
	case NotifyAnswered:
		if e.Reason == "" && strings.HasPrefix(d, "orphaned") {
			e.Reason = ReasonOrphaned
		}
	case SessionExpired, RequestRejected:
		if e.Reason == "" {
			e.Reason = Reason(d)
		}
	}
}

// upgradeSessionV1 parses the client's schema-1 session details:
// "created (session N)", "restart: session not found on <packet>",
// "close-session: session not found; not resent (K4 no-resend)".
func upgradeSessionV1(e *Event) {
	d := e.Detail
	switch {
	case strings.HasPrefix(d, "created"):
		e.Step = StepCreated
	case strings.HasPrefix(d, "restart"):
		e.Step = StepRestarted
		why := strings.TrimPrefix(strings.TrimPrefix(d, "restart"), ": ")
		if p, ok := strings.CutPrefix(why, "session not found"); ok {
			e.Reason = ReasonSessionNotFound
			if p, ok := strings.CutPrefix(p, " on "); ok && e.Packet == "" {
				e.Packet = p
			}
		} else {
			e.Reason = Reason(why)
		}
	case strings.Contains(d, "not resent"):
		e.Step = StepNotResent
	}
}

// upgradeLinkV1 parses farm/proxy's schema-1 link details: "added
// listen=A upstream=B", "upstream=B", "disabled", "enabled", "removed",
// "toxic added {…}", "toxic updated NAME {…}", "toxic removed NAME",
// "toxics reset".
func upgradeLinkV1(e *Event) {
	d := e.Detail
	for _, f := range strings.Fields(d) {
		if v, ok := strings.CutPrefix(f, "listen="); ok {
			e.Listen = v
		}
		if v, ok := strings.CutPrefix(f, "upstream="); ok {
			e.Upstream = v
		}
	}
	for _, c := range []struct {
		prefix string
		change LinkChange
	}{
		{"added", LinkAdded}, {"upstream=", LinkUpstream}, {"disabled", LinkDisabled}, {"enabled", LinkEnabled},
		{"removed", LinkRemoved}, {"toxic added", LinkToxicAdded}, {"toxic updated", LinkToxicUpdated},
		{"toxic removed", LinkToxicRemoved}, {"toxics reset", LinkToxicsReset},
	} {
		if strings.HasPrefix(d, c.prefix) {
			e.Link = c.change
			return
		}
	}
}
