package node

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/bitsim/bitsim/sim"
	"github.com/bitsim/bitsim/wire"
)

func outOfSync(r int64) map[string]string {
	return map[string]string{wire.HdrReceivedContentRange: itoa(r), wire.HdrErrorCode: "0x00000000", wire.HdrErrorContext: "0x5"}
}

// TestFragmentLenient covers §7.2 with K1 lenient ([W]).
func TestFragmentLenient(t *testing.T) {
	data := payload(300)
	n, _ := startNode(t, Config{MaxFragmentSize: 150, MaxUploadSize: 1000})
	x := newExchange(t, n)
	dup := frag(data, 0, 49, 200, 151)
	gap := frag(data, 200, 249, 416, 151)
	gap.want = outOfSync(151)
	x.run(
		step{pkt: create, status: 200},
		frag(data, 0, 100, 200, 101),  // in order: F == R
		frag(data, 50, 150, 200, 151), // overlap: only 101..150 written
		dup,                           // pure duplicate: L < R → 200 with R
		gap,                           // gap: F > R → 416 with R
		step{name: "bad range", pkt: "Fragment", sid: "$", rng: "bytes 5-1/300", body: "x", status: 400, want: badRequest()},
		step{name: "range unit", pkt: "Fragment", sid: "$", rng: "items 0-0/300", body: "x", status: 400, want: badRequest()},
		step{name: "missing range", pkt: "Fragment", sid: "$", body: "x", status: 400, want: badRequest()},
		step{name: "length mismatch", pkt: "Fragment", sid: "$", rng: "bytes 151-160/300", body: "short", status: 400, want: badRequest(),
			why: "Content-Length != L-F+1"},
		step{name: "total changed", pkt: "Fragment", sid: "$", rng: "bytes 151-151/301", body: "x", status: 400, want: badRequest()},
		step{name: "encoding", pkt: "Fragment", sid: "$", rng: "bytes 151-151/300", body: "x", hdr: map[string]string{"Content-Encoding": "gzip"},
			status: 400, want: badRequest()},
		step{name: "last beyond total", pkt: "Fragment", sid: "$", rng: "bytes 151-300/300", body: string(payload(150)), status: 400,
			want: badRequest(), why: "L >= T is bad syntax"},
		frag(data, 151, 299, 200, 300),
	)
	sameBytes(t, "destination", mustRead(t, filepath.Join(n.cfg.Dir, "file.bin")), data)
}

// TestFragmentLimits covers 413 and BG_E_TOO_LARGE (§5.3, §7.2).
func TestFragmentLimits(t *testing.T) {
	data := payload(1000)
	n, _ := startNode(t, Config{MaxFragmentSize: 100, MaxUploadSize: 1000})
	x := newExchange(t, n)
	big := frag(data, 0, 100, 413, 0)
	big.want = map[string]string{wire.HdrErrorCode: "", wire.HdrReceivedContentRange: ""}
	tooLarge := step{pkt: "Fragment", sid: "$", rng: "bytes 0-9/1001", body: string(data[:10]), status: 500,
		want: map[string]string{wire.HdrErrorCode: "0x80200020", wire.HdrErrorContext: "0x5"}}
	x.run(step{pkt: create, status: 200}, big, tooLarge,
		step{pkt: "Fragment", sid: "$", rng: "bytes 0-99/1000", body: string(data[:100]), status: 200,
			want: map[string]string{wire.HdrReceivedContentRange: "100"}})
}

// TestFragmentStrict covers K1 strict ([S 3.2.5.2.6]): any F != R is 416.
func TestFragmentStrict(t *testing.T) {
	data := payload(300)
	n, _ := startNode(t, Config{Overlap: OverlapStrict})
	x := newExchange(t, n)
	overlap := frag(data, 50, 150, 416, 101)
	overlap.want = outOfSync(101)
	dup := frag(data, 0, 49, 416, 101)
	dup.want = outOfSync(101)
	gap := frag(data, 200, 299, 416, 101)
	gap.want = outOfSync(101)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 100, 200, 101), overlap, dup, gap,
		frag(data, 101, 299, 200, 300))
	sameBytes(t, "destination", mustRead(t, filepath.Join(n.cfg.Dir, "file.bin")), data)
}

// TestFragmentOverlapNeverOverwrites: an overlap carrying different bytes
// for the stored range leaves them untouched (§7.2, §14 case 10).
func TestFragmentOverlapNeverOverwrites(t *testing.T) {
	data := payload(200)
	n, _ := startNode(t, Config{})
	x := newExchange(t, n)
	liar := append([]byte(nil), data[50:150]...)
	for i := 0; i < 50; i++ {
		liar[i] ^= 0xff // corrupt the part that overlaps stored bytes
	}
	x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100),
		step{pkt: "Fragment", sid: "$", rng: "bytes 50-149/200", body: string(liar), status: 200,
			want: map[string]string{wire.HdrReceivedContentRange: "150"}},
		frag(data, 150, 199, 200, 200))
	sameBytes(t, "destination", mustRead(t, filepath.Join(n.cfg.Dir, "file.bin")), data)
}

// TestFragmentShortBody: a body cut before its declared length keeps the
// bytes that arrived; the client resumes from the R the node reports.
func TestFragmentShortBody(t *testing.T) {
	data := payload(1000)
	n, h := startNode(t, Config{})
	x := newExchange(t, n)
	x.run(step{pkt: create, status: 200}, frag(data, 0, 99, 200, 100))
	conn, err := net.Dial("tcp", n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "BITS_POST /upload/file.bin HTTP/1.1\r\nHost: x\r\nBITS-Packet-Type: Fragment\r\nBITS-Session-Id: %s\r\n"+
		"Content-Range: bytes 100-599/1000\r\nContent-Length: 500\r\n\r\n", x.sid)
	conn.Write(data[100:350])
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
	}
	conn.Close()
	// The node records the cut body once it has kept the bytes that came.
	waitKind(t, h, sim.RequestRejected, 1)
	si, _ := n.Session(x.sid)
	if si.Received != 350 {
		t.Fatalf("R = %d after a body cut at 350, want 350", si.Received)
	}
	x.run(frag(data, 350, 999, 200, 1000))
	sameBytes(t, "destination", mustRead(t, filepath.Join(n.cfg.Dir, "file.bin")), data)
	rowsCovered.Add(1)
}
