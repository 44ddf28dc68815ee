package scheduler_test

import (
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
		deadline := time.Now().Add(5 * time.Second)
		for {
			buf := make([]byte, 1<<20)
			s := string(buf[:runtime.Stack(buf, true)])
			leaked := 0
			for _, g := range strings.Split(s, "\n\n") {
				if strings.Contains(g, "greenfetch/scheduler.") && !strings.Contains(g, "checkNoGoroutineLeak") &&
					!strings.Contains(g, "scheduler_test.Test") && !strings.Contains(g, "scheduler.Blocking") {
					leaked++
				}
			}
			if leaked == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines running scheduler code leaked:\n%s", leaked, s)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// openFDs counts the process's open fds, or returns -1 where /proc is
// missing.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}
