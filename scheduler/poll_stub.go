//go:build unix && !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package scheduler

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// poller is the stub for the Unix systems that have neither epoll nor
// kqueue (aix, solaris, illumos): the package builds there, and NewHub
// fails with an error that matches errors.ErrUnsupported. Adding a
// mechanism (event ports, pollset) means a poll_<mechanism>.go with this
// contract and its build tag taken out of this file's.
type poller struct{}

func newPoller() (*poller, error) {
	return nil, fmt.Errorf("scheduler: no poller on %s (the hub needs epoll or kqueue): %w", runtime.GOOS, errors.ErrUnsupported)
}

func (p *poller) close() error                                 { return nil }
func (p *poller) add(fd int, seq uint32) error                 { return errors.ErrUnsupported }
func (p *poller) del(fd int) error                             { return errors.ErrUnsupported }
func (p *poller) wait(time.Duration, []pollEvent) (int, error) { return 0, errors.ErrUnsupported }
func (p *poller) wake() error                                  { return nil }

var _ pollerAPI = (*poller)(nil)

// shortReadEmpties: see poll_epoll.go.
const shortReadEmpties = false
