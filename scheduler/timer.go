//go:build unix

package scheduler

import "time"

// timer is an entry of the hub's timer heap. Timers are hub only: they are
// created, started, stopped and fired on the hub's own goroutine (from the
// loop or from one of its tasks).
type timer struct {
	when  time.Time
	nth   uint64 // push order: timers due at the same instant fire FIFO
	index int    // position in the heap; -1 when not in it
	fire  func(*timer)
	task  *Task  // for the common case of waking a parked task
	seq   uint64 // the task's park sequence the timer belongs to
	err   error  // what the task is woken with
}

// timerHeap is a binary min-heap on (when, nth). It is written out rather
// than built on container/heap to keep the hot path free of interface
// calls.
type timerHeap []*timer

// push adds t. The caller has set t.nth from its hub's counter (pushTimer).
func (h *timerHeap) push(t *timer) {
	t.index = len(*h)
	*h = append(*h, t)
	h.up(t.index)
}

func (h *timerHeap) remove(t *timer) {
	i := t.index
	if i < 0 || i >= len(*h) || (*h)[i] != t {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	t.index = -1
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h timerHeap) peek() *timer {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

func (h timerHeap) less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].nth < h[j].nth
	}
	return h[i].when.Before(h[j].when)
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h timerHeap) down(i0 int) bool {
	i := i0
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
