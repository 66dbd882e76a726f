package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bitsim/bitsim/wire"
)

const (
	benchSize = 256 << 20
	benchFrag = 1 << 20
)

var (
	benchData = sync.OnceValue(func() []byte { return payload(benchSize) })
	benchMu   sync.Mutex
	benchMiBs = map[string]float64{}
)

// BenchmarkNodeUpload compares a 256 MiB upload in 1 MiB fragments into a
// Node over loopback (real files in b.TempDir) with the same bytes sent as
// one plain HTTP PUT to a handler writing them to disk. Both report MiB/s;
// the ratio node/put is printed (target >= 0.7).
func BenchmarkNodeUpload(b *testing.B) {
	b.Run("node", benchNode)
	b.Run("put", benchPut)
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchMiBs["put"] > 0 && benchMiBs["node"] > 0 {
		fmt.Printf("BenchmarkNodeUpload: node %.0f MiB/s, put %.0f MiB/s, ratio %.2f\n",
			benchMiBs["node"], benchMiBs["put"], benchMiBs["node"]/benchMiBs["put"])
	}
}

func report(b *testing.B, name string) {
	mibs := float64(benchSize) * float64(b.N) / (1 << 20) / b.Elapsed().Seconds()
	b.ReportMetric(mibs, "MiB/s")
	benchMu.Lock()
	benchMiBs[name] = mibs
	benchMu.Unlock()
}

func benchNode(b *testing.B) {
	data := benchData()
	n, _ := startNode(b, Config{CleanupInterval: -1, AllowOverwrites: true})
	c := testClient(b)
	url := n.UploadURL("big.bin")
	send := func(p wire.PacketType, sid string, r *wire.Range) wire.Ack {
		var body io.Reader
		var size int64
		if r != nil {
			body, size = bytesReader(data[r.First:r.Last+1]), r.Len()
		}
		req, _ := wire.NewRequest(context.Background(), url, p, sid, body, size)
		if r != nil {
			wire.SetExact(req.Header, wire.HdrContentRange, r.String())
		}
		if p == wire.CreateSession {
			wire.SetExact(req.Header, wire.HdrSupportedProtocols, wire.ProtocolGUID)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		ack, _ := wire.ParseAck(resp.StatusCode, resp.Header)
		if !ack.OK() {
			b.Fatalf("%s: %v", p, ack.Err())
		}
		return ack
	}
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		sid := send(wire.CreateSession, "", nil).SessionID
		for off := int64(0); off < benchSize; off += benchFrag {
			send(wire.Fragment, sid, &wire.Range{First: off, Last: off + benchFrag - 1, Total: benchSize})
		}
		send(wire.CloseSession, sid, nil)
	}
	b.StopTimer()
	report(b, "node")
}

func benchPut(b *testing.B) {
	data := benchData()
	dir := b.TempDir()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Create(filepath.Join(dir, "big.bin"))
		if err != nil {
			w.WriteHeader(500)
			return
		}
		_, err = io.Copy(f, r.Body)
		f.Close()
		if err != nil {
			w.WriteHeader(500)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c := testClient(b)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest(http.MethodPut, "http://"+ln.Addr().String()+"/big.bin", bytesReader(data))
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	b.StopTimer()
	report(b, "put")
}
