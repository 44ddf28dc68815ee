//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package scheduler

// The scheduler drives sockets through epoll or kqueue and needs a Unix
// system. Building it elsewhere stops here, on purpose, with this name:
var _ = scheduler_needs_linux_or_a_bsd_with_epoll_or_kqueue
