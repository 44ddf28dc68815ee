//go:build linux

package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPollWaitErrorClosesHub breaks a hub's poller under it (its epoll fd
// becomes /dev/null, on which epoll_wait fails with EINVAL) and checks that
// the error is not dropped: the hub counts it, closes (its parked task
// wakes with ErrHubClosed) and Close returns the error.
func TestPollWaitErrorClosesHub(t *testing.T) {
	h, err := NewHub()
	if err != nil {
		t.Fatal(err)
	}
	sleeper := h.Spawn(func(*Task) (any, error) { return nil, Sleep(time.Hour) })
	for h.ParkedTasks() != 1 {
		time.Sleep(100 * time.Microsecond)
	}
	devnull, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(devnull)
	// On the loop, so that no epoll_wait is in progress on the fd.
	dup := make(chan error, 1)
	if err := h.Post(func() { dup <- unix.Dup3(devnull, h.poller.epfd, unix.O_CLOEXEC) }); err != nil {
		t.Fatal(err)
	}
	if err := <-dup; err != nil {
		t.Fatal(err)
	}
	if _, err := sleeper.Join(); !errors.Is(err, ErrHubClosed) {
		t.Errorf("got sleeper's error %v; want ErrHubClosed", err)
	}
	err = h.Close()
	if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "epoll_wait") {
		t.Errorf("got Close() = %v; want the epoll_wait EINVAL that closed the hub", err)
	}
	if n := h.PollWaitErrors(); n < 1 {
		t.Errorf("got %d failed waits counted; want at least 1", n)
	}
	if !h.Closed() {
		t.Error("got Closed() = false after Close; want true")
	}
}
