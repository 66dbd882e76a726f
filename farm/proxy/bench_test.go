package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxyThroughput uploads 256 MiB per operation with an HTTP POST
// to a discarding handler, directly and through one Link without toxics,
// and reports MiB/s for each.
//
//	go test -run '^$' -bench ProxyThroughput -benchtime 5x ./farm/proxy
func BenchmarkProxyThroughput(b *testing.B) {
	const size = 256 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 256<<10)
		// Hide io.Discard's ReaderFrom so that reads use buf, not 8 KiB.
		n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, r.Body, buf)
		if err != nil || n != size {
			http.Error(w, "short body", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	s := New()
	defer s.Close()
	l, err := s.Add("bench", "", srv.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}

	for _, tc := range []struct{ name, addr string }{
		{"direct", srv.Listener.Addr().String()},
		{"proxy", l.Addr()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tr := &http.Transport{WriteBufferSize: 256 << 10}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			url := "http://" + tc.addr + "/"
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				req, err := http.NewRequest(http.MethodPost, url, io.LimitReader(zeros{}, size))
				if err != nil {
					b.Fatal(err)
				}
				req.ContentLength = size
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N)*size/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
		})
	}
}

// zeros is an endless source of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
