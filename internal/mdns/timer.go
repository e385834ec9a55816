package mdns

import (
	"container/heap"
	"time"
)

// timer is one scheduled action inside the engine. Everything that must
// happen later (a probe, an announcement, a delayed answer, a query, a cache
// expiry) owns a timer; the engine keeps them in one heap so NextTimeout is
// O(1) and firing is O(log n).
type timer struct {
	at   time.Time
	idx  int // index in the heap, -1 when not scheduled
	fire func(now time.Time)
}

func newTimer(fire func(now time.Time)) *timer { return &timer{idx: -1, fire: fire} }

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.idx = -1
	return t
}

// schedule arms t at the given time, moving it if it was armed.
func (e *Engine) schedule(t *timer, at time.Time) {
	t.at = at
	if t.idx >= 0 {
		heap.Fix(&e.timers, t.idx)
		return
	}
	heap.Push(&e.timers, t)
}

// scheduleEarlier arms t at `at` unless it is already armed sooner.
func (e *Engine) scheduleEarlier(t *timer, at time.Time) {
	if t.idx >= 0 && !t.at.After(at) {
		return
	}
	e.schedule(t, at)
}

// cancel disarms t.
func (e *Engine) cancel(t *timer) {
	if t.idx >= 0 {
		heap.Remove(&e.timers, t.idx)
	}
}

// runTimers fires every timer due at or before now, in time order.
func (e *Engine) runTimers(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := heap.Pop(&e.timers).(*timer)
		t.fire(now)
	}
}
