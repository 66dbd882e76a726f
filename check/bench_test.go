package check

import (
	"fmt"
	"testing"

	"github.com/bitsim/bitsim/ledger"
	"github.com/bitsim/bitsim/sim"
)

// BenchmarkCheckersJobs runs every checker over a synthetic run of n
// concurrent single-fragment jobs, each delivered once. The cost per job
// must not grow with n: compare the ns/job of the sizes (it grew tenfold
// from 1,000 to 10,000 jobs when each ledger entry searched the whole
// history for its app.delivery event).
func BenchmarkCheckersJobs(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			in := concurrentRun(n)
			for b.Loop() {
				Run(in, All()...)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/job")
		})
	}
}

// concurrentRun is the history and ledger of n jobs on 8 nodes, each
// uploading 100 bytes in one Fragment, every request before any answer.
func concurrentRun(n int) Input {
	var in Input
	at := func(j int) (job, u, node, sess, txn, sha string) {
		return fmt.Sprint("job-", j), fmt.Sprintf("http://127.0.0.1:80/upload/up-%d", j), fmt.Sprint("node", j%8+1),
			fmt.Sprint("s", j), fmt.Sprint("txn-", j), fmt.Sprintf("%064x", j)
	}
	for j := range n {
		job, u, _, _, txn, sha := at(j)
		in.Events = append(in.Events,
			sim.Event{Kind: sim.JobSource, Job: job, URL: u, Total: 100, Txn: txn, SHA256: sha},
			sim.Event{Kind: sim.ClientRequest, Job: job, Packet: "Fragment", URL: u, First: 0, Last: 99, Total: 100})
	}
	for j := range n {
		job, u, node, sess, txn, sha := at(j)
		in.Events = append(in.Events,
			sim.Event{Kind: sim.PacketReceived, Node: node, Session: sess, Packet: "Fragment", URL: fmt.Sprintf("/upload/up-%d", j)},
			sim.Event{Kind: sim.AppDelivery, Node: node, URL: u, SHA256: sha, Txn: txn},
			sim.Event{Kind: sim.AckSent, Node: node, Session: sess, Packet: "Fragment", Status: 200},
			sim.Event{Kind: sim.ClientResponse, Job: job, Packet: "Fragment", Status: 200, Offset: 100},
			sim.Event{Kind: sim.JobDone, Job: job, State: "ACKNOWLEDGED"})
		in.Ledger = append(in.Ledger, ledger.Delivery{Seq: j + 1, Node: node, RemoteURL: u, Size: 100, SHA256: sha, Txn: txn, Effect: true, Status: 200})
	}
	return in
}
