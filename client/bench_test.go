package client

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/internal/testutil"
	"github.com/bitsim/bitsim/sim"
)

// benchSize is the upload size of BenchmarkUpload (256 MiB).
const benchSize = 256 << 20

// BenchmarkUpload compares, in one run, the `bitsim upload` path (a client
// Job with 1 MiB fragments to a real node.Node over loopback) with a plain
// HTTP PUT of the same bytes to a server that also writes them to a file.
// Both read the source from disk by offset. The parent reports the ratio.
//
//	go test -run XXX -bench Upload -benchtime 3x ./client
func BenchmarkUpload(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "src.bin")
	writeRandomFile(b, path, benchSize)
	perOp := map[string]time.Duration{}

	b.Run("plain-put", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "put.bin")
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Create(out)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			_, err = io.Copy(f, r.Body)
			f.Close()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.WriteHeader(http.StatusCreated)
		})}
		ln, err := sim.TCP{}.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go srv.Serve(ln)
		defer srv.Close()
		tr := &http.Transport{WriteBufferSize: 64 << 10}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		src, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		b.SetBytes(benchSize)
		b.ResetTimer()
		for range b.N {
			req, _ := http.NewRequest(http.MethodPut, "http://"+ln.Addr().String()+"/put.bin", io.NewSectionReader(src, 0, benchSize))
			req.ContentLength = benchSize
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Fatal(resp.Status)
			}
		}
		b.StopTimer()
		perOp["put"] = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(mibps(perOp["put"]), "MiB/s")
	})

	b.Run("bits-job-1MiB", func(b *testing.B) {
		cfg := node.Config{Name: "bench", Dir: b.TempDir(), AllowOverwrites: true, NotificationType: node.NotifyNone}
		n := testutil.Start(b, "", func() (*node.Node, error) { return node.New(cfg) })
		b.SetBytes(benchSize)
		b.ResetTimer()
		for range b.N {
			j, err := NewJob(Options{FragmentSize: 1 << 20}, JobSpec{LocalFile: path, RemoteURL: n.UploadURL("bench.bin")})
			if err != nil {
				b.Fatal(err)
			}
			res, err := j.Run(context.Background())
			if err != nil || res.State != Acknowledged || res.BytesSent != benchSize {
				b.Fatalf("%+v %v", res, err)
			}
		}
		b.StopTimer()
		perOp["bits"] = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(mibps(perOp["bits"]), "MiB/s")
	})

	if perOp["put"] > 0 && perOp["bits"] > 0 {
		put, bits := mibps(perOp["put"]), mibps(perOp["bits"])
		b.Logf("256 MiB upload: plain PUT %.0f MiB/s, BITS job (1 MiB fragments) %.0f MiB/s, ratio %.2f (target >= 0.7)", put, bits, bits/put)
	}
}

func mibps(perOp time.Duration) float64 {
	return float64(benchSize) / (1 << 20) / perOp.Seconds()
}

func writeRandomFile(b *testing.B, path string, size int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	r := sim.NewRand(7)
	for written := 0; written < size; written += len(buf) {
		r.Read(buf)
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
}
