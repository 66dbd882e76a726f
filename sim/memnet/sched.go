package memnet

import (
	"container/heap"
	"sync"
	"testing/synctest"
)

// Scheduler delivers messages one at a time in canonical order (see the
// package documentation). Create and Start it inside the bubble; Stop it
// before the bubble's function returns.
type Scheduler struct {
	mu        sync.Mutex
	pending   msgHeap
	delivered uint64
	kick      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	started   bool
}

type msg struct {
	gen  uint64
	name string
	seq  uint64
	fn   func()
}

type msgHeap []*msg

func (h msgHeap) Len() int { return len(h) }
func (h msgHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.gen != b.gen {
		return a.gen < b.gen
	}
	if a.name != b.name {
		return a.name < b.name
	}
	return a.seq < b.seq
}
func (h msgHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *msgHeap) Push(x any)   { *h = append(*h, x.(*msg)) }
func (h *msgHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return m
}

// NewScheduler returns a stopped scheduler.
func NewScheduler() *Scheduler {
	return &Scheduler{kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// Start starts the delivery goroutine.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	go s.loop()
}

// Stop waits until nothing is pending and every other goroutine of the
// bubble is durably blocked (or gone), then ends the delivery goroutine.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return
	}
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

// Steps returns how many messages were delivered.
func (s *Scheduler) Steps() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered
}

// Post queues fn, named by (name, seq), for delivery on the scheduler's
// goroutine. fn must not block.
func (s *Scheduler) Post(name string, seq uint64, fn func()) {
	s.mu.Lock()
	heap.Push(&s.pending, &msg{gen: s.delivered, name: name, seq: seq, fn: fn})
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// PostWait posts a message and waits for its delivery.
func (s *Scheduler) PostWait(name string, seq uint64) {
	ch := make(chan struct{})
	s.Post(name, seq, func() { close(ch) })
	<-ch
}

func (s *Scheduler) loop() {
	defer close(s.done)
	for {
		synctest.Wait()
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.mu.Unlock()
			select {
			case <-s.quit:
				return
			default:
			}
			select {
			case <-s.kick:
				continue
			case <-s.quit:
				return
			}
		}
		m := heap.Pop(&s.pending).(*msg)
		s.delivered++
		s.mu.Unlock()
		m.fn()
	}
}
