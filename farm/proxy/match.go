package proxy

import "bytes"

// matcher finds an ASCII case-insensitive pattern in a byte stream that
// arrives in chunks, including occurrences split across chunk boundaries.
// It never holds stream bytes back: it only remembers a lower-cased copy of
// the last len(pattern)-1 bytes seen, for matching. Matches do not overlap
// (like bytes.Count): after a match the stream is considered to restart
// just past it. A matcher belongs to one connection and one goroutine.
type matcher struct {
	pat  []byte // lower-cased, non-empty
	tail []byte // lower-cased last len(pat)-1 (at most) bytes of the stream
	win  []byte // scratch: tail + head of the next chunk
}

// newMatcher returns a matcher for pattern, which must not be empty.
func newMatcher(pattern string) *matcher {
	k := len(pattern)
	return &matcher{
		pat:  lowerASCII(nil, []byte(pattern)),
		tail: make([]byte, 0, k),
		win:  make([]byte, 0, 2*k),
	}
}

// scan looks for the next match in data, the continuation of the stream fed
// so far. It returns the offset in data just past the end of the first
// match ending in data, or -1 if there is none. After a match, the caller
// may continue with scan(data[end:]).
func (m *matcher) scan(data []byte) int {
	k := len(m.pat)
	// A match starting in the tail ends within the first k-1 bytes of data,
	// so it comes before any match lying wholly in data.
	if len(m.tail) > 0 && len(data) > 0 {
		t := len(m.tail)
		m.win = lowerASCII(append(m.win[:0], m.tail...), data[:min(len(data), k-1)])
		if i := bytes.Index(m.win, m.pat); i >= 0 {
			m.tail = m.tail[:0]
			return i + k - t
		}
	}
	if i := indexFold(data, m.pat); i >= 0 {
		m.tail = m.tail[:0]
		return i + k
	}
	m.remember(data)
	return -1
}

// remember keeps the last k-1 bytes of tail+data in tail.
func (m *matcher) remember(data []byte) {
	keep := len(m.pat) - 1
	if len(data) >= keep {
		m.tail = lowerASCII(m.tail[:0], data[len(data)-keep:])
		return
	}
	m.tail = lowerASCII(m.tail, data)
	if drop := len(m.tail) - keep; drop > 0 {
		m.tail = m.tail[:copy(m.tail, m.tail[drop:])]
	}
}

// lowerASCII appends the ASCII lower case of src to dst.
func lowerASCII(dst, src []byte) []byte {
	for _, c := range src {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// indexFold returns the index of the first ASCII case-insensitive
// occurrence of pat (lower-cased, non-empty) in s, or -1. It runs in
// O(len(s)*len(pat)) worst case but skips through s with bytes.IndexByte
// on the first byte's two cases, so it is near memchr speed on real data.
func indexFold(s, pat []byte) int {
	last := len(s) - len(pat) // last possible start
	if last < 0 {
		return -1
	}
	lo := pat[0]
	up := lo
	if 'a' <= lo && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	// Next known position of each case of the first byte at or after i;
	// -2 means unknown, -1 means none left.
	nextLo, nextUp := -2, -2
	if up == lo {
		nextUp = -1
	}
	for i := 0; i <= last; {
		if nextLo != -1 && nextLo < i {
			nextLo = nextIndex(s[:last+1], i, lo)
		}
		if nextUp != -1 && nextUp < i {
			nextUp = nextIndex(s[:last+1], i, up)
		}
		switch {
		case nextLo < 0 && nextUp < 0:
			return -1
		case nextUp < 0 || (nextLo >= 0 && nextLo < nextUp):
			i = nextLo
		default:
			i = nextUp
		}
		if equalFoldLower(s[i+1:i+len(pat)], pat[1:]) {
			return i
		}
		i++
	}
	return -1
}

func nextIndex(s []byte, from int, c byte) int {
	if j := bytes.IndexByte(s[from:], c); j >= 0 {
		return from + j
	}
	return -1
}

// equalFoldLower reports whether s equals the lower-cased pat, ignoring
// ASCII case in s.
func equalFoldLower(s, pat []byte) bool {
	for i, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != pat[i] {
			return false
		}
	}
	return true
}
