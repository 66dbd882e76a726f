package proxy

import (
	"bytes"
	"slices"
	"testing"
)

// scanAll feeds chunks to a matcher and returns the stream offsets just
// past each (non-overlapping) match.
func scanAll(pattern string, chunks [][]byte) []int {
	m := newMatcher(pattern)
	var ends []int
	base := 0
	for _, c := range chunks {
		for off := 0; ; {
			end := m.scan(c[off:])
			if end < 0 {
				break
			}
			off += end
			ends = append(ends, base+off)
		}
		base += len(c)
	}
	return ends
}

// referenceEnds is the same over the whole lower-cased stream.
func referenceEnds(pattern string, stream []byte) []int {
	s, p := lowerASCII(nil, stream), lowerASCII(nil, []byte(pattern))
	var ends []int
	for off := 0; ; {
		i := bytes.Index(s[off:], p)
		if i < 0 {
			return ends
		}
		off += i + len(p)
		ends = append(ends, off)
	}
}

// split cuts data at the given sizes (cycled); a zero size makes an empty
// chunk, which the toxics never see but the matcher must tolerate.
func split(data []byte, sizes []byte) [][]byte {
	if len(sizes) == 0 {
		return [][]byte{data}
	}
	var out [][]byte
	for i := 0; len(data) > 0; i++ {
		n := min(int(sizes[i%len(sizes)]), len(data))
		out = append(out, data[:n])
		data = data[n:]
		if i > 4*len(data)+64 { // only empty chunks: stop
			return append(out, data)
		}
	}
	return out
}

func TestMatcher(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string
		chunks  []string
		want    []int
	}{
		{"whole pattern in one chunk, other case", "Ack", []string{"xxACKyy"}, []int{5}},
		{"pattern split over two chunks", "abcdef", []string{"xxab", "cdefyy"}, []int{8}},
		{"pattern spread over one-byte chunks", "abc", []string{"a", "B", "c"}, []int{3}},
		{"pattern spanning three chunks", "abcdef", []string{"zab", "cd", "ef"}, []int{7}},
		{"near miss across boundary then hit", "abab", []string{"aba", "xabab"}, []int{8}},
		{"two matches in one chunk", "ab", []string{"abxab"}, []int{2, 5}},
		{"overlapping occurrences count once", "aa", []string{"aaa"}, []int{2}},
		{"match right after a match across chunks", "ab", []string{"aba", "b"}, []int{2, 4}},
		{"no match", "abc", []string{"ab", "xc", "abd"}, nil},
		{"non-letter first byte", "-x", []string{"a-", "X-y"}, []int{3}},
		{"single-byte pattern", "q", []string{"Q", "", "aq"}, []int{1, 3}},
		{"header line with digits", "bits-received-content-range: 3000",
			[]string{"HTTP/1.1 200 OK\r\nBITS-Received-", "Content-Range: 30", "00\r\n\r\n"}, []int{50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tc.chunks {
				chunks = append(chunks, []byte(c))
			}
			if got := scanAll(tc.pattern, chunks); !slices.Equal(got, tc.want) {
				t.Errorf("ends = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzMatcher checks the streaming matcher against bytes.Index on the
// lower-cased concatenation, for any chunking.
func FuzzMatcher(f *testing.F) {
	// pattern, stream, chunk sizes
	f.Add("Ack", []byte("BITS-Packet-Type: ack\r\n"), []byte{1})      // one-byte chunks
	f.Add("abab", []byte("abaabababab"), []byte{3, 1, 2})             // self-overlapping pattern
	f.Add("3000", []byte("range: 2999-3000/3000"), []byte{5, 0, 7})   // empty chunks
	f.Add("X", []byte("xXx"), []byte{})                               // single chunk
	f.Add("\r\n\r\n", []byte("a\r\n\r\nb\r\n\r\n\r\n"), []byte{2, 3}) // header ends
	f.Add("é", []byte("\xc3\xa9\xc3\x89"), []byte{1})                 // non-ASCII: exact bytes
	f.Fuzz(func(t *testing.T, pattern string, stream, sizes []byte) {
		if pattern == "" || len(pattern) > 64 {
			t.Skip()
		}
		chunks := split(stream, sizes)
		got := scanAll(pattern, chunks)
		want := referenceEnds(pattern, stream)
		if !slices.Equal(got, want) {
			t.Fatalf("pattern %q over %q in chunks %q: ends %v, want %v", pattern, stream, chunks, got, want)
		}
		// Containment agrees with bytes.Contains, case-insensitively.
		contains := bytes.Contains(lowerASCII(nil, stream), lowerASCII(nil, []byte(pattern)))
		if contains != (len(got) > 0) {
			t.Fatalf("found %v, bytes.Contains says %v", got, contains)
		}
	})
}

func TestIndexFold(t *testing.T) {
	// Many candidates for one case of the first byte, none for the other.
	s := bytes.Repeat([]byte("a"), 1<<16)
	s = append(s, "Ab"...)
	if i := indexFold(s, []byte("ab")); i != len(s)-2 {
		t.Errorf("indexFold = %d, want %d", i, len(s)-2)
	}
}

func BenchmarkIndexFold(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdefghij\r\n"), 32<<10/22)
	pat := lowerASCII(nil, []byte("BITS-Packet-Type: Fragment"))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if indexFold(data, pat) >= 0 {
			b.Fatal("unexpected match")
		}
	}
}
