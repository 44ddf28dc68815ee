//go:build unix

package scheduler

import (
	"context"
	"runtime"
)

// maxBlockingWorkers bounds the threads that Blocking keeps busy at once
// (gevent's threadpool has 10 by default; Go threads are cheaper, and the
// resolver pool wants more).
var maxBlockingWorkers = 8 * runtime.GOMAXPROCS(0)

var blockingSlots = NewSemaphore(maxBlockingWorkers)

// Blocking runs fn on a worker thread while the calling task yields, and
// returns what fn returned (gevent's threadpool). Use it for calls that
// block the OS thread: file I/O, getaddrinfo, cgo. At most
// 8×GOMAXPROCS calls run at once; more wait, cooperatively, for a worker.
// A running fn cannot be interrupted: Kill takes effect when it returns.
// Called from an ordinary goroutine, Blocking just calls fn.
func Blocking[T any](fn func() (T, error)) (T, error) {
	t := Current()
	if t == nil {
		return fn()
	}
	var zero T
	if err := blockingSlots.Acquire(context.Background()); err != nil {
		return zero, err
	}
	var v T
	var err error
	seq := t.seq
	go func() {
		defer blockingSlots.Release()
		v, err = fn()
		t.wake(seq, nil)
	}()
	// The park is not interruptible: only the worker's wake ends it.
	t.park(false)
	return v, err
}
