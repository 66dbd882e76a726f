package balancer

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzPeekHeader: the balancer's header peek never panics, never consumes
// input, and finds the sticky header when the header block holds it.
func FuzzPeekHeader(f *testing.F) {
	f.Add([]byte("BITS_POST /upload/a HTTP/1.1\r\nX-Bitsim-Client: job-1\r\n\r\n"), 64)
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), 16)
	f.Add([]byte("no header end"), 16)
	f.Fuzz(func(t *testing.T, data []byte, size int) {
		size = 16 + abs(size)%4096
		br := bufio.NewReaderSize(bytes.NewReader(data), size)
		got := peekHeader(br, StickyHeader)
		rest, _ := io.ReadAll(br)
		if !bytes.Equal(rest, data) {
			t.Fatalf("peekHeader consumed input")
		}
		if end := bytes.Index(data, []byte("\r\n\r\n")); end >= 0 && end+4 <= br.Size() && got == "" {
			for _, line := range strings.Split(string(data[:end]), "\r\n") {
				if k, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), StickyHeader) {
					t.Fatalf("missed the header in %q", data)
				}
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
