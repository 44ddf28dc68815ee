package fetcher

import "golang.org/x/sys/unix"

// serverTook reports whether the peer of the TCP socket fd has
// acknowledged any data (bytes_acked counts the SYN too, hence > 1) or
// sent any (or the socket is gone): the server
// has the connection in its accept queue, or accepted it.
func serverTook(fd int) bool {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return true
	}
	return ti.Bytes_acked > 1 || ti.Bytes_received > 0 || ti.State != unix.BPF_TCP_ESTABLISHED
}
