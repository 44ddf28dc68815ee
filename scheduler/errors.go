//go:build unix

package scheduler

import (
	"errors"
	"fmt"
	"os"
)

// Errors a caller may branch on.
var (
	// ErrHubClosed is returned by operations on a closed hub, and by the
	// blocking calls of tasks that were still alive when their hub closed.
	ErrHubClosed = errors.New("scheduler: hub closed")

	// ErrKilled is returned by every blocking call of a task after Kill.
	ErrKilled = errors.New("scheduler: task killed")

	// ErrTimeout is returned by WithTimeout, and by Event, Queue and Join
	// waits, when their time runs out. It reports Timeout() == true and
	// matches os.ErrDeadlineExceeded with errors.Is.
	ErrTimeout error = &timeoutError{msg: "scheduler: timeout"}

	// ErrWrongHub is returned when a socket is used from a goroutine that is
	// not a task of the socket's hub (gevent: "cannot switch to a different
	// thread").
	ErrWrongHub = errors.New("scheduler: socket used outside a task of its hub")

	// ErrConcurrentUse is returned when a second task waits to read (or to
	// write) a socket on which another task already waits (gevent's
	// ConcurrentObjectUseError; the runtime's "double wait").
	ErrConcurrentUse = errors.New("scheduler: socket already has a task waiting in the same direction")

	// ErrNotInTask is returned by calls that must run inside a task (Dial,
	// Listen) when made from an ordinary goroutine.
	ErrNotInTask = errors.New("scheduler: must be called from a task")
)

// timeoutError behaves like the standard library's deadline errors, so that
// crypto/tls and net/http treat our sockets' timeouts as their own.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string        { return e.msg }
func (e *timeoutError) Timeout() bool        { return true }
func (e *timeoutError) Temporary() bool      { return true }
func (e *timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// errDeadline is what socket operations return when their deadline passes.
var errDeadline error = &timeoutError{msg: "i/o timeout"}

// PanicError is the error of a task that panicked, or that called
// runtime.Goexit (as testing's t.Fatal and t.FailNow do). The hub and its
// other tasks go on; Join on the task returns the *PanicError.
type PanicError struct {
	Value  any    // what was passed to panic; nil when Goexit is set
	Goexit bool   // the task called runtime.Goexit rather than panic
	Stack  []byte // the task's stack at the panic or the Goexit
}

func (e *PanicError) Error() string {
	if e.Goexit {
		return "scheduler: task called runtime.Goexit (t.Fatal or t.FailNow inside a task?)"
	}
	return fmt.Sprintf("scheduler: task panicked: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
