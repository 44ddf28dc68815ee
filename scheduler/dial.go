//go:build unix

package scheduler

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// listenBacklog is the backlog asked of listen(2); the kernel caps it at
// net.core.somaxconn.
const listenBacklog = 4096

// Dial connects to address on the named network from the calling task:
// tcp, tcp4, tcp6, udp, udp4, udp6 or unix. The connection belongs to the
// task's hub. A host name in address is looked up with the system resolver
// on a worker thread (see Blocking); callers with a resolver of their own
// pass IP literals.
func Dial(network, address string) (net.Conn, error) {
	return DialContext(context.Background(), network, address)
}

// DialTimeout is Dial with a bound on the whole dial.
func DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	return DialDeadline(context.Background(), network, address, deadline)
}

// DialContext is Dial bounded by ctx: its deadline ends the connect with a
// timeout error, its cancellation with ctx.Err().
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return DialDeadline(ctx, network, address, time.Time{})
}

// DialDeadline is DialContext bounded also by deadline (zero: none), as
// if ctx carried it, without deriving a context: the task's hub times the
// connect, so a dial costs no runtime timer and no registration with
// ctx beyond the one its cancellation needs. A host name in address is
// looked up under a derived context, as DialContext does.
func DialDeadline(ctx context.Context, network, address string, deadline time.Time) (net.Conn, error) {
	t := Current()
	if t == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrNotInTask}
	}
	sotype, err := socketType(network)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	sa, raddr, err := resolveAddr(ctx, network, address, deadline)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	fd, err := sysSocket(sockFamily(sa), sotype)
	if err != nil {
		return nil, opErr(err)
	}
	if sotype == unix.SOCK_STREAM && sockFamily(sa) != unix.AF_UNIX {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	c, err := newConn(t.hub, fd, network, sotype == unix.SOCK_STREAM)
	if err != nil {
		unix.Close(fd)
		return nil, opErr(err)
	}
	// Nothing is read yet, and the poller watches the socket from before
	// the connect: whatever the peer sends brings a read event, which
	// clears this (during the connect's wait too).
	c.pd.rnone = true
	if err := connect(ctx, t, c.pd, sa, deadline); err != nil {
		c.pd.closeOnHub()
		return nil, opErr(err)
	}
	if lsa, err := unix.Getsockname(fd); err == nil {
		c.laddr = sockaddrToAddr(network, lsa)
	}
	c.raddr = raddr
	return c, nil
}

// connect runs a nonblocking connect(2) to its end, parked on the fd,
// until the earlier of deadline (zero: none) and ctx's.
func connect(ctx context.Context, t *Task, pd *pollDesc, sa unix.Sockaddr, deadline time.Time) error {
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if !deadline.IsZero() {
		pd.wdeadline = deadline
		defer func() { pd.wdeadline = time.Time{} }()
	}
	switch err := unix.Connect(pd.fd, sa); err {
	case nil:
		return nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
	default:
		return os.NewSyscallError("connect", err)
	}
	for {
		if err := pd.wait(ctx, t, true); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = errDeadline
			}
			return err
		}
		nerr, err := unix.GetsockoptInt(pd.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		switch e := unix.Errno(nerr); e {
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			continue // a stale edge: wait for the real one
		case 0:
			return nil
		default:
			return os.NewSyscallError("connect", e)
		}
	}
}

// ListenConfig holds options for listening sockets. Its zero value is
// ready for use.
type ListenConfig struct {
	// ReusePort sets SO_REUSEPORT, so that several hubs can each listen
	// on the same address and the kernel spreads connections among them.
	ReusePort bool
}

// Listen announces on the local address from the calling task: tcp, tcp4,
// tcp6 or unix. The listener belongs to the task's hub.
func Listen(network, address string) (net.Listener, error) {
	var lc ListenConfig
	return lc.Listen(network, address)
}

// Listen is the package-level Listen with the config's options.
func (lc *ListenConfig) Listen(network, address string) (net.Listener, error) {
	pd, laddr, err := lc.bind(network, address, false)
	if err != nil {
		return nil, err
	}
	if err := unix.Listen(pd.fd, listenBacklog); err != nil {
		pd.closeOnHub()
		return nil, &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: os.NewSyscallError("listen", err)}
	}
	return &Listener{pd: pd, net: network, laddr: boundAddr(network, pd.fd, laddr)}, nil
}

// ListenPacket announces on the local address from the calling task: udp,
// udp4, udp6 or unixgram. The socket belongs to the task's hub.
func ListenPacket(network, address string) (net.PacketConn, error) {
	var lc ListenConfig
	return lc.ListenPacket(network, address)
}

// ListenPacket is the package-level ListenPacket with the config's options.
func (lc *ListenConfig) ListenPacket(network, address string) (net.PacketConn, error) {
	pd, laddr, err := lc.bind(network, address, true)
	if err != nil {
		return nil, err
	}
	return &PacketConn{Conn{pd: pd, net: network, laddr: boundAddr(network, pd.fd, laddr)}}, nil
}

func (lc *ListenConfig) bind(network, address string, packet bool) (*pollDesc, net.Addr, error) {
	t := Current()
	if t == nil {
		return nil, nil, &net.OpError{Op: "listen", Net: network, Err: ErrNotInTask}
	}
	sotype, err := socketType(network)
	if err == nil && (sotype == unix.SOCK_DGRAM) != packet {
		err = net.UnknownNetworkError(network)
	}
	if err != nil {
		return nil, nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	sa, laddr, err := resolveAddr(context.Background(), network, address, time.Time{})
	if err != nil {
		return nil, nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	opErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: network, Addr: laddr, Err: err}
	}
	fd, err := sysSocket(sockFamily(sa), sotype)
	if err != nil {
		return nil, nil, opErr(err)
	}
	if sockFamily(sa) != unix.AF_UNIX {
		if sotype == unix.SOCK_STREAM {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		}
		if lc.ReusePort {
			if err := setReusePort(fd); err != nil {
				unix.Close(fd)
				return nil, nil, opErr(err)
			}
		}
		if sockFamily(sa) == unix.AF_INET6 && (network == "tcp6" || network == "udp6") {
			unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, nil, opErr(os.NewSyscallError("bind", err))
	}
	pd, err := t.hub.register(fd)
	if err != nil {
		unix.Close(fd)
		return nil, nil, opErr(err)
	}
	return pd, laddr, nil
}

func boundAddr(network string, fd int, fallback net.Addr) net.Addr {
	if sa, err := unix.Getsockname(fd); err == nil {
		if a := sockaddrToAddr(network, sa); a != nil {
			return a
		}
	}
	return fallback
}

func socketType(network string) (int, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return unix.SOCK_STREAM, nil
	case "udp", "udp4", "udp6", "unixgram":
		return unix.SOCK_DGRAM, nil
	}
	return 0, net.UnknownNetworkError(network)
}

func sockFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	}
	return unix.AF_UNIX
}

// resolveAddr turns address into a socket address. Names are looked up with
// the system resolver on a worker thread, so the hub never blocks.
func resolveAddr(ctx context.Context, network, address string, deadline time.Time) (unix.Sockaddr, net.Addr, error) {
	if network == "unix" || network == "unixgram" {
		return &unix.SockaddrUnix{Name: address}, &net.UnixAddr{Name: address, Net: network}, nil
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		p, lerr := net.LookupPort(network, portStr)
		if lerr != nil {
			return nil, nil, &net.AddrError{Err: "invalid port", Addr: address}
		}
		port = uint64(p)
	}
	var ip netip.Addr
	switch {
	case host == "":
		if network == "tcp6" || network == "udp6" {
			ip = netip.IPv6Unspecified()
		} else if network == "tcp4" || network == "udp4" {
			ip = netip.IPv4Unspecified()
		} else {
			ip = netip.IPv6Unspecified()
		}
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			if !deadline.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, deadline)
				defer cancel()
			}
			ip, err = lookupOne(ctx, network, host)
			if err != nil {
				return nil, nil, err
			}
		}
	}
	ip = ip.Unmap()
	want4 := network == "tcp4" || network == "udp4"
	want6 := network == "tcp6" || network == "udp6"
	if (want4 && !ip.Is4()) || (want6 && !ip.Is6()) {
		return nil, nil, &net.AddrError{Err: "address family does not match network " + network, Addr: address}
	}
	ap := netip.AddrPortFrom(ip, uint16(port))
	return addrPortToSockaddr(ap), addrPortToNetAddr(network, ap), nil
}

func lookupOne(ctx context.Context, network, host string) (netip.Addr, error) {
	ips, err := Blocking(func() ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	})
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ip := range ips {
		ip = ip.Unmap()
		switch network {
		case "tcp4", "udp4":
			if ip.Is4() {
				return ip, nil
			}
		case "tcp6", "udp6":
			if ip.Is6() {
				return ip, nil
			}
		default:
			return ip, nil
		}
	}
	return netip.Addr{}, &net.DNSError{Err: "no suitable address", Name: host, IsNotFound: true}
}

func addrPortToSockaddr(ap netip.AddrPort) unix.Sockaddr {
	ip := ap.Addr()
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		}
	}
	return sa
}

func addrPortToNetAddr(network string, ap netip.AddrPort) net.Addr {
	switch network {
	case "udp", "udp4", "udp6":
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

func sockaddrToAddr(network string, sa unix.Sockaddr) net.Addr {
	var ap netip.AddrPort
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ap = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: network}
	default:
		return nil
	}
	return addrPortToNetAddr(network, ap)
}

func addrToSockaddr(addr net.Addr) (unix.Sockaddr, string, error) {
	switch a := addr.(type) {
	case *net.UDPAddr:
		return addrPortToSockaddr(a.AddrPort()), "udp", nil
	case *net.TCPAddr:
		return addrPortToSockaddr(a.AddrPort()), "tcp", nil
	case *net.UnixAddr:
		return &unix.SockaddrUnix{Name: a.Name}, a.Net, nil
	}
	return nil, "", &net.AddrError{Err: "unsupported address type", Addr: addr.String()}
}
