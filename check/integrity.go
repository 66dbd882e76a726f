package check

import "fmt"

// Integrity: every delivered file is byte-identical to its source (same
// size and SHA-256 as the job's job.source event).
type Integrity struct{}

// Name implements Checker.
func (Integrity) Name() string { return "integrity" }

// Check implements Checker.
func (Integrity) Check(in Input) Verdict {
	ix := buildIndex(in)
	var fs []Finding
	ok := 0
	for _, j := range ix.jobs {
		for _, d := range j.Deliv {
			switch {
			case j.Source == nil:
				fs = append(fs, Finding{Status: Unknown, Job: j.ID, Txn: d.Txn, Node: d.Node,
					Message: fmt.Sprintf("delivery #%d: the job's source was not recorded", d.Seq)})
			case d.Unread:
				fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: d.Txn, Node: d.Node,
					Message: fmt.Sprintf("delivery #%d from %s: the app answered 200 without reading the request file (BITS-Request-DataFile-Name); "+
						"the server may delete it once answered, so the app never had the upload", d.Seq, d.Node)})
			case d.SHA256 != j.SHA256 || d.Size != j.Size:
				fs = append(fs, Finding{Status: Fail, Job: j.ID, Txn: d.Txn, Node: d.Node,
					Message: fmt.Sprintf("delivery #%d from %s is corrupt: %d bytes sha256 %.12s…, source %d bytes sha256 %.12s…",
						d.Seq, d.Node, d.Size, d.SHA256, j.Size, j.SHA256)})
			default:
				ok++
			}
		}
	}
	for _, d := range ix.orphanDeliveries {
		fs = append(fs, Finding{Status: Unknown, Txn: d.Txn, Node: d.Node,
			Message: fmt.Sprintf("delivery #%d of %s matches no job", d.Seq, d.RemoteURL)})
	}
	summary := fmt.Sprintf("%d of %d deliveries byte-identical to their source", ok, len(in.Ledger))
	return verdict(Integrity{}.Name(), fs, summary, map[string]int64{"deliveries": int64(len(in.Ledger)), "intact": int64(ok)})
}
