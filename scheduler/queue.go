//go:build unix

package scheduler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrQueueClosed is returned by Put on a closed Queue, and by Get on a
// closed Queue that is empty.
var ErrQueueClosed = errors.New("scheduler: queue closed")

// Queue is a FIFO queue of values (gevent.queue.Queue), bounded or not.
// Put waits while a bounded queue is full; Get waits while it is empty.
// Safe for concurrent use across hubs and goroutines.
type Queue[T any] struct {
	mu       sync.Mutex
	items    []T // ring buffer
	head, n  int
	capacity int // 0: unbounded
	closed   bool
	getters  waitq
	putters  waitq
}

// NewQueue returns a queue that holds at most capacity values; 0 means
// unbounded.
func NewQueue[T any](capacity int) *Queue[T] {
	if capacity < 0 {
		capacity = 0
	}
	return &Queue[T]{capacity: capacity}
}

// Len returns the number of values in the queue.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Close ends the queue: waiting and later Puts fail with ErrQueueClosed;
// Gets drain what is left, then fail likewise.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.getters.wakeAll()
	q.putters.wakeAll()
	q.mu.Unlock()
}

// Put adds v, waiting while the queue is full until the timeout passes
// (timeout <= 0: no limit); then it returns ErrTimeout.
func (q *Queue[T]) Put(v T, timeout time.Duration) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	q.mu.Lock()
	for {
		if q.closed {
			q.mu.Unlock()
			return ErrQueueClosed
		}
		if q.capacity == 0 || q.n < q.capacity {
			q.pushLocked(v)
			q.getters.wakeOne()
			q.mu.Unlock()
			return nil
		}
		if err := q.waitLocked(&q.putters, deadline); err != nil {
			q.mu.Unlock()
			return err
		}
	}
}

// Get removes and returns the oldest value, waiting while the queue is
// empty until the timeout passes (timeout <= 0: no limit); then it returns
// ErrTimeout.
func (q *Queue[T]) Get(timeout time.Duration) (T, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	var zero T
	q.mu.Lock()
	for {
		if q.n > 0 {
			v := q.popLocked()
			q.putters.wakeOne()
			q.mu.Unlock()
			return v, nil
		}
		if q.closed {
			q.mu.Unlock()
			return zero, ErrQueueClosed
		}
		if err := q.waitLocked(&q.getters, deadline); err != nil {
			q.mu.Unlock()
			return zero, err
		}
	}
}

// waitLocked waits on wq, releasing the mutex while it waits. A waiter that
// was woken but leaves anyway passes its wake on, so none is lost.
func (q *Queue[T]) waitLocked(wq *waitq, deadline time.Time) error {
	var d time.Duration
	if !deadline.IsZero() {
		if d = time.Until(deadline); d <= 0 {
			return ErrTimeout
		}
	}
	w := newWaiter()
	wq.push(w)
	q.mu.Unlock()
	err := w.block(context.Background(), d)
	q.mu.Lock()
	if w.woken {
		if err != nil {
			wq.wakeOne()
		}
		return err
	}
	wq.remove(w)
	if err == nil {
		err = ErrTimeout
	}
	return err
}

func (q *Queue[T]) pushLocked(v T) {
	if q.n == len(q.items) {
		size := 2 * len(q.items)
		if size == 0 {
			size = 16
		}
		items := make([]T, size)
		for i := 0; i < q.n; i++ {
			items[i] = q.items[(q.head+i)%len(q.items)]
		}
		q.items, q.head = items, 0
	}
	q.items[(q.head+q.n)%len(q.items)] = v
	q.n++
}

func (q *Queue[T]) popLocked() T {
	var zero T
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head = (q.head + 1) % len(q.items)
	q.n--
	return v
}
