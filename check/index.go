package check

import (
	"net/url"
	"strings"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// job is what the history says about one client job.
type job struct {
	ID     string
	URL    string // remote URL as given to the client
	Path   string // its path: deliveries are matched on it (hosts change with host ids)
	Txn    string
	SHA256 string
	Size   int64
	Done   *sim.Event  // the job.done event, nil if the job never ended
	Events []sim.Event // the job's own client events, in order
	idx    []int       // positions of Events in Input.Events
	Deliv  []delivery  // deliveries attributed to this job, in ledger order
	Source *sim.Event  // the job.source event
}

// delivery is a ledger entry with the history event that recorded it.
type delivery struct {
	ledger.Delivery
	Event    *sim.Event // the app.delivery event, nil if not found
	EventIdx int        // its index in Input.Events, -1 if not found
}

// index correlates a run's events and ledger.
type index struct {
	in     Input
	ops    *sim.Ops // the history's exchanges
	jobs   []*job
	byID   map[string]*job
	byTxn  map[string]*job
	byPath map[string]*job
	// unmatched deliveries (no job claims them)
	orphanDeliveries []delivery
}

func urlPath(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		return s
	}
	return u.Path
}

func buildIndex(in Input) *index {
	ix := &index{in: in, ops: sim.Exchanges(in.Events), byID: map[string]*job{}, byTxn: map[string]*job{}, byPath: map[string]*job{}}
	get := func(id string) *job {
		if j, ok := ix.byID[id]; ok {
			return j
		}
		j := &job{ID: id}
		ix.byID[id] = j
		ix.jobs = append(ix.jobs, j)
		return j
	}
	for i := range in.Events {
		e := &in.Events[i]
		if e.Job == "" {
			continue
		}
		switch e.Kind {
		case sim.JobSource:
			j := get(e.Job)
			j.Source = e
			j.URL, j.Path, j.Txn, j.Size = e.URL, urlPath(e.URL), e.Txn, e.Total
			j.SHA256 = e.SHA256
			if j.Txn != "" {
				ix.byTxn[j.Txn] = j
			}
			ix.byPath[j.Path] = j
		case sim.JobDone:
			j := get(e.Job)
			j.Done = e
			j.Events, j.idx = append(j.Events, *e), append(j.idx, i)
		default:
			if strings.HasPrefix(string(e.Kind), "client.") {
				j := get(e.Job)
				j.Events, j.idx = append(j.Events, *e), append(j.idx, i)
			}
		}
	}
	// Match ledger entries to their app.delivery events (same node, remote
	// URL, hash and txn, in order) and to jobs.
	// Each ledger entry takes the first app.delivery event with its key
	// not taken yet: a FIFO queue per key.
	type deliveryKey struct{ node, url, sha, txn string }
	queued := map[deliveryKey][]int{}
	for i := range in.Events {
		if e := &in.Events[i]; e.Kind == sim.AppDelivery {
			k := deliveryKey{e.Node, e.URL, e.SHA256, e.Txn}
			queued[k] = append(queued[k], i)
		}
	}
	for _, d := range in.Ledger {
		dv := delivery{Delivery: d, EventIdx: -1}
		k := deliveryKey{d.Node, d.RemoteURL, d.SHA256, d.Txn}
		if q := queued[k]; len(q) > 0 {
			dv.Event, dv.EventIdx = &in.Events[q[0]], q[0]
			queued[k] = q[1:]
		}
		if j := ix.jobFor(d); j != nil {
			j.Deliv = append(j.Deliv, dv)
		} else {
			ix.orphanDeliveries = append(ix.orphanDeliveries, dv)
		}
	}
	return ix
}

func (ix *index) jobFor(d ledger.Delivery) *job {
	if d.Txn != "" {
		if j, ok := ix.byTxn[d.Txn]; ok {
			return j
		}
	}
	return ix.byPath[urlPath(d.RemoteURL)]
}

// finished reports whether the job reached TRANSFERRED or ACKNOWLEDGED.
func (j *job) finished() bool {
	if j.Done == nil {
		return false
	}
	s := strings.ToUpper(j.Done.State)
	return s == "TRANSFERRED" || s == "ACKNOWLEDGED"
}

// lastByteSent reports whether the job sent a Fragment carrying the last
// byte, and whether any such Fragment got a 2xx answer acknowledging it.
func (ix *index) lastByteSent(j *job) (sent, acked bool) {
	for _, x := range ix.ops.Of(sim.ExchangeClient, j.ID) {
		c := x.Call
		if c == nil || !x.IsFragment() || c.Total <= 0 || c.Last != c.Total-1 {
			continue
		}
		sent = true
		if r := x.Return; r != nil && r.Kind == sim.ClientResponse && r.Status >= 200 && r.Status < 300 && r.Offset == c.Total {
			acked = true
		}
	}
	return sent, acked
}
