package sim

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkExchanges pairs a saved history given by BITSIM_HISTORY (e.g. a
// many-clients run's history.json); skipped without it.
func BenchmarkExchanges(b *testing.B) {
	path := os.Getenv("BITSIM_HISTORY")
	if path == "" {
		b.Skip("set BITSIM_HISTORY to a history.json")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	evs, err := DecodeHistory(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Exchanges(evs)
	}
	b.ReportMetric(float64(len(evs)), "events")
}

// BenchmarkExchangesJobs pairs a synthetic history of n concurrent jobs
// (every job's Create-Session and Fragment are in flight at once, as in
// the scale scenarios) and looks up each job's exchanges, as the checkers
// do. The cost per job must not grow with n: compare the ns/job of the
// sizes (it grew tenfold from 1,000 to 10,000 jobs when answers searched
// every pending request and Of scanned every exchange).
func BenchmarkExchangesJobs(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			evs := concurrentJobs(n)
			for b.Loop() {
				ops := Exchanges(evs)
				for j := range n {
					ops.Of(ExchangeClient, fmt.Sprint("job-", j))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/job")
		})
	}
}

// concurrentJobs is the history of n jobs on 8 nodes uploading one
// fragment each in one session, all requests of a round before their
// answers.
func concurrentJobs(n int) []Event {
	var evs []Event
	for _, packet := range []string{"Create-Session", "Fragment"} {
		for j := range n {
			u := fmt.Sprintf("http://127.0.0.1:80/upload/up-%d", j)
			evs = append(evs, Event{Kind: ClientRequest, Job: fmt.Sprint("job-", j), Packet: packet, URL: u})
		}
		for j := range n {
			node, sess := fmt.Sprint("node", j%8+1), fmt.Sprint("s", j)
			evs = append(evs,
				Event{Kind: PacketReceived, Node: node, Session: sess, Packet: packet, URL: fmt.Sprintf("/upload/up-%d", j)},
				Event{Kind: AckSent, Node: node, Session: sess, Packet: packet, Status: 200},
				Event{Kind: ClientResponse, Job: fmt.Sprint("job-", j), Packet: packet, Status: 200})
		}
	}
	return evs
}
