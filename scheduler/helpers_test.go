package scheduler_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// newHub starts a hub that the test closes, then checks that the hub's
// goroutines are gone (leak_test.go's idea, after miekg/dns).
func newHub(t testing.TB) *scheduler.Hub {
	t.Helper()
	h, err := scheduler.NewHub()
	if err != nil {
		t.Fatalf("NewHub() error = %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// run runs fn as a task on a fresh hub and returns what it returned.
func run(t testing.TB, fn func(t *scheduler.Task) (any, error)) (any, error) {
	t.Helper()
	h := newHub(t)
	return h.Spawn(fn).Join()
}

// waitFor waits until cond holds, checking it again after every yield of
// the calling task (or, from an ordinary goroutine, after a short pause),
// and returns an error if it does not hold within a generous bound. It is
// how a test proves a state (a task parked, a waiter registered) instead
// of sleeping and hoping. It never calls t.Fatal, so it is safe in tasks.
func waitFor(what string, cond func() bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after 10s waiting until %s", what)
		}
		if scheduler.Current() != nil {
			if err := scheduler.Yield(); err != nil {
				return err
			}
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
	return nil
}

// waitParked waits until at least n tasks of h are parked.
func waitParked(h *scheduler.Hub, n int) error {
	return waitFor(fmt.Sprintf("%d tasks are parked", n), func() bool { return h.ParkedTasks() >= n })
}

// whenParked spawns a task on h that runs fn once n tasks of h are
// parked: an act (a write, a close, a deadline moved) that must find the
// task under test waiting.
func whenParked(h *scheduler.Hub, n int, fn func() error) *scheduler.Task {
	return h.Spawn(func(*scheduler.Task) (any, error) {
		if err := waitParked(h, n); err != nil {
			return nil, err
		}
		return nil, fn()
	})
}

// settle lets h finish a turn: it runs an empty task and joins it, so the
// tasks readied before (by AdvanceClock, say) have run by the time it
// returns, up to their next wait.
func settle(h *scheduler.Hub) {
	h.Spawn(func(*scheduler.Task) (any, error) { return nil, nil }).Join()
}

// parallel marks t parallel. A parallel test cannot check for leaks on its
// own (its neighbours' goroutines and fds are alive), so TestMain checks
// once all tests have ended.
func parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
}

func TestMain(m *testing.M) {
	// The runtime opens its own poller (an epoll fd and an eventfd) the
	// first time a file or socket needs it, and keeps it: open it before
	// counting.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	fdsBefore := openFDs()
	code := m.Run()
	if code == 0 {
		if err := leakedGoroutines(5 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "after all tests:", err)
			code = 1
		} else if after := openFDs(); fdsBefore >= 0 && after > fdsBefore {
			fmt.Fprintf(os.Stderr, "after all tests: got %d open fds; want at most %d as before them\n", after, fdsBefore)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines waits up to d for goroutines running scheduler code to
// end, and describes them if some remain.
func leakedGoroutines(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		s := string(buf[:runtime.Stack(buf, true)])
		leaked := 0
		for _, g := range strings.Split(s, "\n\n") {
			if strings.Contains(g, "greenfetch/scheduler.") && !strings.Contains(g, "checkNoGoroutineLeak") &&
				!strings.Contains(g, "scheduler_test.Test") && !strings.Contains(g, "scheduler.Blocking") &&
				!strings.Contains(g, "leakedGoroutines") {
				leaked++
			}
		}
		if leaked == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines running scheduler code leaked:\n%s", leaked, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkNoGoroutineLeak fails the test if goroutines that run scheduler code
// are still alive a moment after the test's hubs closed.
func checkNoGoroutineLeak(t *testing.T) {
	t.Helper()
	fdsBefore := openFDs()
	t.Cleanup(func() {
		if after := openFDs(); fdsBefore >= 0 && after > fdsBefore {
			t.Errorf("got %d open fds after the test; want at most %d as before it", after, fdsBefore)
		}
	})
	t.Cleanup(func() {
		if err := leakedGoroutines(5 * time.Second); err != nil {
			t.Error(err)
		}
	})
}

// openFDs counts the process's open sockets, epoll fds and eventfds (what
// the scheduler opens), or returns -1 where /proc is missing. Other fds
// are left out: the runtime opens and keeps cgroup files on its own
// schedule.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && (strings.HasPrefix(link, "socket:") || strings.HasPrefix(link, "anon_inode:")) {
			n++
		}
	}
	return n
}
