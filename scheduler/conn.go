//go:build unix

package scheduler

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a cooperative socket: a net.Conn whose Read and Write park the
// calling task when the socket would block, so the other tasks of its hub
// run meanwhile. It plays the part of net's netFD and internal/poll's FD.
//
// Read and Write must be called from tasks of the hub the Conn belongs to
// (ErrWrongHub otherwise), by one task at a time in each direction
// (ErrConcurrentUse otherwise). Close and the deadline setters are safe
// from any goroutine. Deadline errors report Timeout() == true and match
// os.ErrDeadlineExceeded, as the standard library's do.
type Conn struct {
	pd     *pollDesc
	net    string
	stream bool
	// shortEmpties: a short read leaves nothing queued (TCP, where the
	// poller also reports urgent data); see Read.
	shortEmpties bool
	laddr        net.Addr
	raddr        net.Addr
}

var _ net.Conn = (*Conn)(nil)

func (c *Conn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: c.net, Source: c.laddr, Addr: c.raddr, Err: err}
}

// Read reads into b, parking the task until data arrives.
func (c *Conn) Read(b []byte) (int, error) {
	t, err := c.pd.enter()
	if err != nil {
		return 0, c.opError("read", err)
	}
	if len(b) == 0 && c.stream {
		return 0, nil // issue 15735: a zero read must not wait
	}
	fd := c.pd.fd
	n, err := c.pd.ioLoop(t, false, "read", func() (int, error) { return unix.Read(fd, b) })
	if err != nil {
		return 0, c.opError("read", err)
	}
	if c.stream {
		if n == 0 {
			return 0, io.EOF
		}
		if n < len(b) && c.shortEmpties && !c.pd.rhup {
			// A TCP read stops short when the socket's queue is empty, or
			// at an urgent mark: the poller reports urgent data as a
			// hang-up (rhup), and otherwise the next read waits for the
			// next read event. Not after the peer's close either: its EOF
			// brings no event. (A unix socket's read stops short also at
			// passed descriptors or credentials, with more data queued.)
			c.pd.rnone = true
		}
	}
	return n, nil
}

// WaitRead parks the task until a read event comes for the connection
// (data, the peer's close or an error), its read deadline passes, it is
// closed or the task is killed, without reading: a caller that needs a
// buffer only once its answer arrives takes it then. It returns at once
// unless the socket was found empty (a read got nothing, or a TCP read
// stopped short: see Read) with no read event since, or nothing was read
// yet from a dialed connection; the read after it then waits as any read
// does.
func (c *Conn) WaitRead() error {
	t, err := c.pd.enter()
	if err != nil {
		return c.opError("read", err)
	}
	if !c.pd.rnone {
		return nil
	}
	if err := c.pd.wait(context.Background(), t, false); err != nil {
		return c.opError("read", err)
	}
	return nil
}

// Write writes all of b, parking the task while the socket buffer is full.
func (c *Conn) Write(b []byte) (int, error) {
	t, err := c.pd.enter()
	if err != nil {
		return 0, c.opError("write", err)
	}
	fd := c.pd.fd
	nn := 0
	for {
		// At least one write, so that an empty b sends an empty datagram.
		n, err := c.pd.ioLoop(t, true, "write", func() (int, error) { return unix.Write(fd, b[nn:]) })
		if n > 0 {
			nn += n
		}
		if err != nil {
			return nn, c.opError("write", err)
		}
		if nn == len(b) {
			return nn, nil
		}
		if n == 0 {
			return nn, c.opError("write", io.ErrUnexpectedEOF)
		}
	}
}

// Close closes the socket; tasks parked on it wake with net.ErrClosed.
func (c *Conn) Close() error {
	if err := c.pd.close(); err != nil {
		return c.opError("close", err)
	}
	return nil
}

// CloseWrite shuts down the writing side of a stream socket.
func (c *Conn) CloseWrite() error {
	if _, err := c.pd.enter(); err != nil {
		return c.opError("close", err)
	}
	return c.opError("close", os.NewSyscallError("shutdown", unix.Shutdown(c.pd.fd, unix.SHUT_WR)))
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address (nil for an unconnected
// PacketConn).
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets the read and write deadlines (net.Conn). Safe from any
// goroutine; a task parked in Read or Write has its timer re-armed.
func (c *Conn) SetDeadline(t time.Time) error { return c.pd.deadline(t, true, true) }

// SetReadDeadline sets the read deadline (net.Conn).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.pd.deadline(t, true, false) }

// SetWriteDeadline sets the write deadline (net.Conn).
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.pd.deadline(t, false, true) }

// PacketConn is a cooperative datagram socket (net.PacketConn), with the
// same rules as Conn.
type PacketConn struct {
	Conn
}

var _ net.PacketConn = (*PacketConn)(nil)

// ReadFrom reads one datagram, parking the task until one arrives.
func (c *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	t, err := c.pd.enter()
	if err != nil {
		return 0, nil, c.opError("read", err)
	}
	fd := c.pd.fd
	var sa unix.Sockaddr
	n, err := c.pd.ioLoop(t, false, "recvfrom", func() (int, error) {
		var n int
		var err error
		n, sa, err = unix.Recvfrom(fd, b, 0)
		return n, err
	})
	if err != nil {
		return 0, nil, c.opError("read", err)
	}
	return n, sockaddrToAddr(c.net, sa), nil
}

// WriteTo sends b as one datagram to addr.
func (c *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	t, err := c.pd.enter()
	if err != nil {
		return 0, c.opError("write", err)
	}
	sa, _, err := addrToSockaddr(addr)
	if err != nil {
		return 0, c.opError("write", err)
	}
	fd := c.pd.fd
	if _, err := c.pd.ioLoop(t, true, "sendto", func() (int, error) {
		return 0, unix.Sendto(fd, b, 0, sa)
	}); err != nil {
		return 0, c.opError("write", err)
	}
	return len(b), nil
}

// Listener is a cooperative listening socket (net.Listener). Accept parks
// the task until a connection arrives; the connections it returns belong to
// the listener's hub.
type Listener struct {
	pd    *pollDesc
	net   string
	laddr net.Addr
}

var _ net.Listener = (*Listener)(nil)

// Accept waits for and returns the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	t, err := l.pd.enter()
	if err != nil {
		return nil, l.opError(err)
	}
	fd := l.pd.fd
	var sa unix.Sockaddr
	nfd, err := l.pd.ioLoop(t, false, "accept", func() (int, error) {
		for {
			nfd, rsa, err := sysAccept(fd)
			if err != unix.ECONNABORTED {
				sa = rsa
				return nfd, err
			}
			// The peer gave up while queued: take the next one.
		}
	})
	if err != nil {
		return nil, l.opError(err)
	}
	c, err := newConn(l.pd.h, nfd, l.net, true)
	if err != nil {
		unix.Close(nfd)
		return nil, l.opError(err)
	}
	if lsa, err := unix.Getsockname(nfd); err == nil {
		c.laddr = sockaddrToAddr(l.net, lsa)
	}
	c.raddr = sockaddrToAddr(l.net, sa)
	return c, nil
}

func (l *Listener) opError(err error) error {
	return &net.OpError{Op: "accept", Net: l.net, Addr: l.laddr, Err: err}
}

// Close closes the listener; a task parked in Accept wakes with
// net.ErrClosed. Safe from any goroutine.
func (l *Listener) Close() error {
	if err := l.pd.close(); err != nil {
		return &net.OpError{Op: "close", Net: l.net, Addr: l.laddr, Err: err}
	}
	return nil
}

// Addr returns the listener's address.
func (l *Listener) Addr() net.Addr { return l.laddr }

// SetDeadline sets the deadline of Accept.
func (l *Listener) SetDeadline(t time.Time) error { return l.pd.deadline(t, true, false) }

// newConn registers an open nonblocking fd with h and wraps it; the caller
// sets the addresses (a dialed socket has its local one only once the
// connect is under way, and no peer before it completes). Hub only.
func newConn(h *Hub, fd int, network string, stream bool) (*Conn, error) {
	pd, err := h.register(fd)
	if err != nil {
		return nil, err
	}
	tcp := network == "tcp" || network == "tcp4" || network == "tcp6"
	return &Conn{pd: pd, net: network, stream: stream, shortEmpties: tcp && shortReadEmpties}, nil
}

// SyscallConn gives access to the socket for setting options
// (syscall.Conn). Only Control is supported: reads and writes go through
// the Conn, which knows how to park.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	return rawConn{c.pd}, nil
}

type rawConn struct{ pd *pollDesc }

func (r rawConn) Control(fn func(fd uintptr)) error {
	if r.pd.closed {
		return net.ErrClosed
	}
	fn(uintptr(r.pd.fd))
	return nil
}

// Read and Write are not supported: see SyscallConn.
func (rawConn) Read(func(fd uintptr) bool) error  { return errRawUnsupported }
func (rawConn) Write(func(fd uintptr) bool) error { return errRawUnsupported }

var errRawUnsupported = errors.New("scheduler: raw reads and writes are not supported; use the Conn")
