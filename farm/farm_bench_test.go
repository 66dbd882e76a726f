package farm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/bitsim/bitsim/client"
	"github.com/bitsim/bitsim/farm"
	"github.com/bitsim/bitsim/farm/node"
	"github.com/bitsim/bitsim/farm/proxy"
	"github.com/bitsim/bitsim/internal/testutil"
)

const farmBenchSize = 256 << 20

// BenchmarkFarmUpload compares a 256 MiB BITS upload by the client through
// the farm's shared address (toxiproxy link "shared", then the balancer, to
// a node writing real files) with the same bytes sent as one plain HTTP PUT
// through one bare toxiproxy proxy to a handler writing them to disk. The
// farm runs twice: with fixed 1 MiB fragments, and with the client's
// Windows-like adaptive fragments (64 KiB growing to 13 MiB). Each reports
// MiB/s; the ratios farm/bare are printed (target >= 0.9).
func BenchmarkFarmUpload(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(src, testutil.Payload(farmBenchSize, 9), 0o644); err != nil {
		b.Fatal(err)
	}
	type run struct {
		name string
		frag int64
	}
	runs := []run{{"farm-1MiB-fragments", 1 << 20}, {"farm-adaptive-fragments", 0}}
	got := map[string]float64{}
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) { got[r.name] = benchFarm(b, src, r.frag) })
	}
	b.Run("bare-proxy-put", func(b *testing.B) { got["bare"] = benchBarePut(b, src) })
	for _, r := range runs {
		if got[r.name] > 0 && got["bare"] > 0 {
			fmt.Printf("BenchmarkFarmUpload: %s %.0f MiB/s, bare proxy PUT %.0f MiB/s, ratio %.2f\n",
				r.name, got[r.name], got["bare"], got[r.name]/got["bare"])
		}
	}
}

func mibs(b *testing.B) float64 {
	v := float64(farmBenchSize) * float64(b.N) / (1 << 20) / b.Elapsed().Seconds()
	b.ReportMetric(v, "MiB/s")
	return v
}

func benchFarm(b *testing.B, src string, frag int64) float64 {
	f, err := farm.New(context.Background(), farm.Config{Nodes: 1, Dir: b.TempDir(),
		Node: node.Config{NotificationType: node.NotifyNone, AllowOverwrites: true, CleanupInterval: -1}})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(farmBenchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		job, err := client.NewJob(client.Options{FragmentSize: frag}, client.JobSpec{LocalFile: src, RemoteURL: f.UploadURL(fmt.Sprintf("big-%d.bin", i))})
		if err != nil {
			b.Fatal(err)
		}
		if res, err := job.Run(context.Background()); err != nil || res.State != client.Acknowledged {
			b.Fatalf("%+v %v", res, err)
		}
	}
	return mibs(b)
}

func benchBarePut(b *testing.B, src string) float64 {
	out := b.TempDir()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fh, err := os.Create(filepath.Join(out, "put.bin"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_, err = io.Copy(fh, r.Body)
		fh.Close()
		if err != nil {
			http.Error(w, err.Error(), 500)
		}
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	px := proxy.New()
	defer px.Close()
	l, err := px.Add("bare", "127.0.0.1:0", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.SetBytes(farmBenchSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPut, "http://"+l.Addr()+"/put.bin", bytes.NewReader(data))
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
	return mibs(b)
}
