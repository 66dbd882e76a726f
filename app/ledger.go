package app

import (
	"encoding/json"
	"github.com/bitsim/bitsim/internal/mutant"
	"net/http"
	"strconv"

	"github.com/bitsim/bitsim/ledger"
)

// ReplyFor returns the deterministic upload-reply the app produces for an
// upload: "bitsim-reply txn=<txn> sha256=<hex> size=<n>\n" (txn empty when
// the upload has no envelope). Checkers use it to predict the reply.
func ReplyFor(txn, sha256hex string, size int64) []byte {
	return []byte("bitsim-reply txn=" + txn + " sha256=" + sha256hex + " size=" + strconv.FormatInt(size, 10) + "\n")
}

// Ledger returns a copy of every delivery, in Seq order.
func (a *App) Ledger() []ledger.Delivery {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ledger.Delivery{}, a.ledger...)
}

// Effects returns how many effects the app applied.
func (a *App) Effects() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.effects
}

// Snapshot returns the ledger and effect count consistently.
func (a *App) Snapshot() ledger.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return ledger.Snapshot{Deliveries: append([]ledger.Delivery{}, a.ledger...), Effects: a.effects}
}

// Reset forgets every delivery, effect, stored reply and de-dup key (not
// the faults), so one app can serve several scenarios.
func (a *App) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ledger = nil
	a.gen++
	a.effects = 0
	a.seen = map[string]bool{}
	a.applied = map[string][]byte{}
	a.bySHA = map[string][]byte{}
}

func (a *App) serveLedger(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(a.Snapshot())
	if err != nil {
		http.Error(w, "app: ledger: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// slot names a ledger entry; gen guards against a Reset in between.
type slot struct{ gen, i int }

func (a *App) entryLocked(s slot) *ledger.Delivery {
	if s.gen != a.gen || s.i < 0 || s.i >= len(a.ledger) {
		return nil
	}
	return &a.ledger[s.i]
}

// record appends a delivery and returns its slot.
func (a *App) record(d ledger.Delivery) (slot, ledger.Delivery) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := d.Key()
	d.Seq = len(a.ledger) + 1
	d.Duplicate = a.seen[key]
	a.seen[key] = true
	a.ledger = append(a.ledger, d)
	return slot{a.gen, len(a.ledger) - 1}, d
}

// apply applies the delivery's effect as the mode dictates and returns the
// reply for it: in Idempotent mode the stored reply of the first applied
// delivery with the same key.
func (a *App) apply(s slot, d ledger.Delivery) (reply []byte, applied bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := d.Key()
	if a.mode == Idempotent && !mutant.On("app-idempotent-applies-twice") {
		if r, ok := a.applied[key]; ok {
			if _, ok := a.bySHA[d.SHA256]; !ok {
				a.bySHA[d.SHA256] = r
			}
			return r, false
		}
	}
	a.effects++
	if e := a.entryLocked(s); e != nil {
		e.Effect = true
	}
	r := ReplyFor(d.Txn, d.SHA256, d.Size)
	if _, ok := a.applied[key]; !ok {
		a.applied[key] = r
	}
	a.bySHA[d.SHA256] = r
	return r, true
}

// finish sets the outcome of the delivery in s (none if s is nil).
func (a *App) finish(s *slot, status int, dropped string) {
	if s == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.entryLocked(*s); e != nil {
		e.Status = status
		e.Dropped = dropped
	}
}
