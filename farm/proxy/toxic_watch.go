package proxy

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/Shopify/toxiproxy/v2/toxics"
)

// WatchToxic, type "bits_watch", forwards everything unchanged and counts
// the bytes crossing its direction on every connection of the link
// together; when the count first reaches Bytes it calls the function
// registered under ID (see Watch), in its own goroutine, once. It is how a
// fault schedule's "after N bytes on link L" trigger observes a link
// without touching its traffic.
//
// Attributes:
//
//	id    string  the registration returned by Watch
//	bytes int     the byte count that fires it (default 1)
type WatchToxic struct {
	ID    string `json:"id"`
	Bytes int64  `json:"bytes"`

	seen  atomic.Int64
	fired atomic.Bool
}

var (
	watchMu  sync.Mutex
	watchFns = map[string]func(){}
	watchSeq atomic.Uint64
)

// Watch registers fn for a bits_watch toxic and returns its id and a
// function that unregisters it. Registrations are process-wide, like
// toxiproxy's toxic registry.
func Watch(fn func()) (id string, unregister func()) {
	id = "w" + strconv.FormatUint(watchSeq.Add(1), 10)
	watchMu.Lock()
	watchFns[id] = fn
	watchMu.Unlock()
	return id, func() {
		watchMu.Lock()
		delete(watchFns, id)
		watchMu.Unlock()
	}
}

// Pipe implements toxics.Toxic.
func (t *WatchToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if t.seen.Add(int64(len(c.Data))) >= max(t.Bytes, 1) && t.fired.CompareAndSwap(false, true) {
				watchMu.Lock()
				fn := watchFns[t.ID]
				watchMu.Unlock()
				if fn != nil {
					go fn()
				}
			}
			if !forward(stub, c) {
				return
			}
		}
	}
}

func init() { toxics.Register("bits_watch", new(WatchToxic)) }
