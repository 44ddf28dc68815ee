//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package scheduler

// LiveTasks reports how many tasks of h are alive. It must be called on
// the hub (from a task or a posted func).
func (h *Hub) LiveTasks() int { return h.tasks.n }

// OpenFDs reports how many sockets h has registered and not closed.
func (h *Hub) OpenFDs() int {
	n := 0
	for _, pd := range h.fds {
		if pd != nil && !pd.closed {
			n++
		}
	}
	return n
}
