package ledger

import "time"

// Delivery is one notification the app received and read, as recorded in
// the ledger. The ledger counts raw deliveries: duplicates are recorded
// (Duplicate true) even when the mode applies nothing for them.
type Delivery struct {
	Seq       int       `json:"seq"`        // 1, 2, ... in the order the uploads were read
	Time      time.Time `json:"time"`       // protocol time (the app's Clock) when the upload had been read
	Node      string    `json:"node"`       // X-Bitsim-Node of the notifying node ("" if absent)
	RemoteURL string    `json:"remote_url"` // BITS-Original-Request-URL
	Path      string    `json:"path"`       // notification request path and query
	Size      int64     `json:"size"`       // bytes of the delivered file, envelope included
	SHA256    string    `json:"sha256"`     // hex sha256 of the delivered file, envelope included
	Txn       string    `json:"txn"`        // envelope transaction id, "" if none
	Mode      Mode      `json:"mode"`       // "reference" | "value"
	// Duplicate: the same key was delivered before (in either Mode). The key
	// is the txn, or without one the sha256 and remote URL.
	Duplicate bool `json:"duplicate"`
	Effect    bool `json:"effect"` // this delivery applied an effect
	// Status is the HTTP status answered; 0 when no answer was sent (crash,
	// notifier gone, app closed), with the reason in Dropped.
	Status  int    `json:"status"`
	Dropped string `json:"dropped,omitempty"`
	// Unread: an external app answered 200 to a notification by reference
	// without reading the request file (node-side access-time check).
	Unread bool `json:"unread,omitempty"`
}

// Key returns the de-duplication key: "txn:<id>", or without an envelope
// "sha256:<hex> url:<remote URL>".
func (d Delivery) Key() string {
	if d.Txn != "" {
		return "txn:" + d.Txn
	}
	return "sha256:" + d.SHA256 + " url:" + d.RemoteURL
}

// Mode is how the node handed the upload over (§10.2).
type Mode string

const (
	// ByReference: BITS-Request-DataFile-Name / BITS-Response-DataFile-Name
	// name server-local files; the body is empty.
	ByReference Mode = "reference"
	// ByValue: the upload is the request body, Content-Length = its size.
	ByValue Mode = "value"
)

// Snapshot is the ledger and the effect count, read atomically. It is also
// the JSON served at GET <base>/ledger and saved as ledger.json:
// {"deliveries": [...], "effects": N}.
type Snapshot struct {
	Deliveries []Delivery `json:"deliveries"`
	Effects    int        `json:"effects"`
}
