//go:build !unix

package scheduler

// The scheduler drives Unix sockets through epoll or kqueue (poll.go).
// Outside Unix (windows, plan9, js, wasip1) building it stops here, on
// purpose, with this name; on a Unix without either mechanism it builds
// and NewHub fails with errors.ErrUnsupported (poll_stub.go).
var _ = scheduler_needs_unix_with_epoll_or_kqueue
