package node

import (
	"fmt"
	"strings"
)

// NotifyType is BITSServerNotificationType (§9): how the node hands a
// finished upload to the server application.
type NotifyType int

// Notification types, with IIS's numeric values.
const (
	NotifyNone      NotifyType = 0 // no notification; the upload goes to its destination path
	NotifyReference NotifyType = 1 // POST with the file paths in headers (§10.2)
	NotifyValue     NotifyType = 2 // POST with the file as body; reply in the response body
)

var notifyNames = []string{"none", "reference", "value"}

func (t NotifyType) String() string { return enumString(notifyNames, int(t), "NotifyType") }

// ParseNotifyType parses "none", "reference" or "value" (or IIS's 0, 1, 2).
func ParseNotifyType(s string) (NotifyType, error) {
	i, err := enumParse(notifyNames, s, "notification type")
	return NotifyType(i), err
}

// OverlapMode is knob K1 (§15): how a Fragment starting before the next
// expected offset R is answered.
type OverlapMode int

// Overlap modes.
const (
	// OverlapLenient follows [W]: an overlap writes only the new bytes
	// R..L, a pure duplicate (L < R) gets 200 with the current R.
	OverlapLenient OverlapMode = iota
	// OverlapStrict follows [S 3.2.5.2.6]: any F != R gets 416 with R.
	OverlapStrict
)

var overlapNames = []string{"lenient", "strict"}

func (m OverlapMode) String() string { return enumString(overlapNames, int(m), "OverlapMode") }

// ParseOverlapMode parses "lenient" or "strict".
func ParseOverlapMode(s string) (OverlapMode, error) {
	i, err := enumParse(overlapNames, s, "overlap mode")
	return OverlapMode(i), err
}

// ContentLengthMode is what the node does with a body-less packet that has
// no Content-Length header (§2 rule 5 makes it mandatory).
type ContentLengthMode int

// Content-Length modes.
const (
	// ContentLengthReject answers 400 / 0x80070057 as IIS does (default).
	ContentLengthReject ContentLengthMode = iota
	// ContentLengthAccept takes a missing Content-Length on a packet other
	// than Fragment as 0, to host clients written for lenient servers. A
	// Fragment still needs it (its length is the fragment's), and a chunked
	// body is still refused.
	ContentLengthAccept
)

var contentLengthNames = []string{"reject", "accept"}

func (m ContentLengthMode) String() string {
	return enumString(contentLengthNames, int(m), "ContentLengthMode")
}

// ParseContentLengthMode parses "reject" or "accept".
func ParseContentLengthMode(s string) (ContentLengthMode, error) {
	i, err := enumParse(contentLengthNames, s, "missing-content-length mode")
	return ContentLengthMode(i), err
}

// CommitMode is knob K2 (§15): when an upload that is to be copied reaches
// its destination path. The app is always notified at the final fragment.
type CommitMode int

// Commit modes.
const (
	// CommitOnFinalFragment follows [W]: commit while answering the final
	// fragment, so a later Cancel-Session does not undo it.
	CommitOnFinalFragment CommitMode = iota
	// CommitOnClose follows [S]: commit at Close-Session; Cancel discards.
	CommitOnClose
)

var commitNames = []string{"on-final-fragment", "on-close"}

func (m CommitMode) String() string { return enumString(commitNames, int(m), "CommitMode") }

// ParseCommitMode parses "on-final-fragment" or "on-close".
func ParseCommitMode(s string) (CommitMode, error) {
	i, err := enumParse(commitNames, s, "commit mode")
	return CommitMode(i), err
}

// Retention is knob K10 (§15): when the request file of a notified upload
// (types 1 and 2) is deleted.
type Retention int

// Retention modes.
const (
	// DeleteAfterAnswer follows [W]: once the app has answered 200, the
	// request file is deleted unless the app asked for
	// BITS-Copy-File-To-Destination. The reply file stays until Close.
	DeleteAfterAnswer Retention = iota
	// KeepUntilClose follows [S]: everything stays until Close, Cancel or
	// time-out.
	KeepUntilClose
)

var retentionNames = []string{"after-answer", "until-close"}

func (r Retention) String() string { return enumString(retentionNames, int(r), "Retention") }

// ParseRetention parses "after-answer" or "until-close".
func ParseRetention(s string) (Retention, error) {
	i, err := enumParse(retentionNames, s, "retention")
	return Retention(i), err
}

func enumString(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}

// enumParse matches s case-insensitively against names, or as the decimal
// index of a name.
func enumParse(names []string, s, what string) (int, error) {
	s = strings.TrimSpace(s)
	for i, n := range names {
		if n != "" && (strings.EqualFold(s, n) || s == fmt.Sprint(i)) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("node: invalid %s %q (want %s)", what, s, strings.Join(nonEmpty(names), "|"))
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
