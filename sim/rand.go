package sim

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// Seed identifies a run: it is the only source of randomness in bitsim
// (balancer choices, random fault schedules, generated payloads), so printing
// it and passing it back reproduces the run's decisions.
type Seed uint64

// NewSeed draws a fresh seed from the operating system.
func NewSeed() Seed {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic("sim: no entropy: " + err.Error())
	}
	return Seed(binary.LittleEndian.Uint64(b[:]) & (1<<53 - 1)) // fits a JSON number exactly
}

// Rand is a seeded, concurrency-safe random source. Derive independent
// streams for independent components with Fork, so that adding draws in one
// component does not shift the draws of another.
type Rand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewRand returns a Rand seeded with s.
func NewRand(s Seed) *Rand {
	return &Rand{r: rand.New(rand.NewPCG(uint64(s), uint64(s)^0x9e3779b97f4a7c15))}
}

// Fork returns an independent Rand derived from seed s and a stream name.
func (s Seed) Fork(name string) *Rand {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return NewRand(Seed(uint64(s) ^ h))
}

// IntN returns a uniform int in [0, n).
func (r *Rand) IntN(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.IntN(n)
}

// Int64N returns a uniform int64 in [0, n).
func (r *Rand) Int64N(n int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Int64N(n)
}

// Float64 returns a uniform float64 in [0, 1).
func (r *Rand) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

// Uint64 returns a uniform uint64.
func (r *Rand) Uint64() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Uint64()
}

// Read fills p with pseudo-random bytes; it never fails. Rand is an io.Reader
// so it can generate session ids and payloads deterministically.
func (r *Rand) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < len(p); i += 8 {
		v := r.r.Uint64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
	return len(p), nil
}
