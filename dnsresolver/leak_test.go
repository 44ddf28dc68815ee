package dnsresolver

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestMain checks, after every test has run and cleaned up, that no
// goroutine of this package is left (a query, a fake server, a worker)
// and, on Linux, that no socket is left open: every lookup opens sockets,
// and an exchange that forgot one on some error path leaks an fd per
// lookup.
func TestMain(m *testing.M) {
	sockets := openSockets()
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(sockets); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func checkLeaks(socketsBefore int) error {
	var left []string
	var sockets int
	for deadline := time.Now().Add(3 * time.Second); ; {
		left, sockets = leakedGoroutines(), openSockets()
		if len(left) == 0 && sockets <= socketsBefore {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("leak: %d sockets open after the tests (%d before); goroutines left:\n%s",
		sockets, socketsBefore, strings.Join(left, "\n\n"))
}

// leakedGoroutines returns the stacks of goroutines that run code of this
// package or of the scheduler, other than this one.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "leakedGoroutines") || strings.Contains(g, "testing.(*M).Run") {
			continue
		}
		if strings.Contains(g, "greenfetch/dnsresolver") || strings.Contains(g, "greenfetch/scheduler") {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// settledSockets returns the count of open sockets once it is back to
// want, or what it is after a second: a fake server closes its side of a
// TCP connection a moment after the client did.
func settledSockets(want int) int {
	n := openSockets()
	for deadline := time.Now().Add(time.Second); n != want && time.Now().Before(deadline); n = openSockets() {
		time.Sleep(5 * time.Millisecond)
	}
	return n
}

// openSockets counts this process's open sockets (Linux; 0 elsewhere).
func openSockets() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	n := 0
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}
