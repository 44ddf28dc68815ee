package scheduler_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
	"golang.org/x/sys/unix"
)

// pair returns two connected cooperative sockets on the calling task's hub.
// It runs inside a task, so it returns an error rather than calling
// t.Fatal (whose runtime.Goexit would end the task, not the test).
func pair() (client, server net.Conn, err error) {
	l, err := scheduler.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("Listen: %w", err)
	}
	defer l.Close()
	accepted := scheduler.Current().Hub().Spawn(func(*scheduler.Task) (any, error) { return l.Accept() })
	c, err := scheduler.Dial("tcp", l.Addr().String())
	if err != nil {
		accepted.Kill()
		accepted.Join()
		return nil, nil, fmt.Errorf("Dial: %w", err)
	}
	v, err := accepted.Join()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("Accept: %w", err)
	}
	return c, v.(net.Conn), nil
}

func isDeadline(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

func TestDeadlinesOnEverySocketOperation(t *testing.T) {
	checkNoGoroutineLeak(t)
	past := func() time.Time { return time.Now().Add(-time.Second) }
	soon := func() time.Time { return time.Now().Add(10 * time.Millisecond) }
	tests := []struct {
		name string
		op   func() error
	}{
		{"read, deadline passes while parked", func() error {
			c, s, err := pair()
			if err != nil {
				return err
			}
			defer c.Close()
			defer s.Close()
			c.SetReadDeadline(soon())
			_, err = c.Read(make([]byte, 1))
			return err
		}},
		{"read, deadline already past", func() error {
			c, s, err := pair()
			if err != nil {
				return err
			}
			defer c.Close()
			defer s.Close()
			c.SetDeadline(past())
			_, err = c.Read(make([]byte, 1))
			return err
		}},
		{"write, buffer full", func() error {
			c, s, err := pair()
			if err != nil {
				return err
			}
			defer c.Close()
			defer s.Close()
			c.SetWriteDeadline(soon())
			buf := make([]byte, 1<<20)
			for i := 0; i < 1000; i++ { // the peer never reads: fills both buffers
				if _, err := c.Write(buf); err != nil {
					return err
				}
			}
			return errors.New("1000 MiB written to a peer that never reads")
		}},
		{"accept", func() error {
			l, err := scheduler.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			defer l.Close()
			l.(*scheduler.Listener).SetDeadline(soon())
			_, err = l.Accept()
			return err
		}},
		{"readfrom", func() error {
			pc, err := scheduler.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			defer pc.Close()
			pc.SetReadDeadline(soon())
			_, _, err = pc.ReadFrom(make([]byte, 10))
			return err
		}},
		{"dial (backlog full)", func() error {
			return dialFull(func(addr string) (net.Conn, error) {
				return scheduler.DialTimeout("tcp", addr, 50*time.Millisecond)
			})
		}},
		{"dial deadline, not ctx's (backlog full)", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			return dialFull(func(addr string) (net.Conn, error) {
				return scheduler.DialDeadline(ctx, "tcp", addr, soon())
			})
		}},
		{"dial ctx's deadline, not the later one (backlog full)", func() error {
			ctx, cancel := context.WithDeadline(context.Background(), soon())
			defer cancel()
			return dialFull(func(addr string) (net.Conn, error) {
				return scheduler.DialDeadline(ctx, "tcp", addr, time.Now().Add(time.Hour))
			})
		}},
		{"deadline moved earlier while parked", func() error {
			c, s, err := pair()
			if err != nil {
				return err
			}
			defer c.Close()
			defer s.Close()
			c.SetReadDeadline(time.Now().Add(time.Hour))
			h := scheduler.Current().Hub()
			// The reader below is this hub's only other task.
			mover := whenParked(h, 1, func() error { return c.SetReadDeadline(soon()) })
			_, err = c.Read(make([]byte, 1))
			if _, merr := mover.Join(); merr != nil {
				return merr
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parallel(t)
			_, err := run(t, func(*scheduler.Task) (any, error) { return nil, tt.op() })
			if !isDeadline(err) {
				t.Errorf("got %v; want a timeout error matching os.ErrDeadlineExceeded", err)
			}
		})
	}
}

// dialFull dials a full backlog with dial until a dial fails (the
// first dials fill the queue) and returns that error.
func dialFull(dial func(addr string) (net.Conn, error)) error {
	addr, closeFn, err := fullBacklogListener()
	if err != nil {
		return err
	}
	defer closeFn()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 64; i++ { // bounded
		c, err := dial(addr)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return errors.New("64 connects to a full backlog all succeeded")
}

// fullBacklogListener listens with a backlog of zero and never accepts, so
// that connects beyond the first pending ones hang in SYN-SENT.
// It may run inside a task, so it returns an error instead of t.Fatal.
func fullBacklogListener() (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", nil, err
	}
	port := sa.(*syscall.SockaddrInet4).Port
	return fmt.Sprintf("127.0.0.1:%d", port), func() { syscall.Close(fd) }, nil
}

func TestDialContextCanceled(t *testing.T) {
	checkNoGoroutineLeak(t)
	_, err := run(t, func(*scheduler.Task) (any, error) {
		addr, closeFn, err := fullBacklogListener()
		if err != nil {
			return nil, err
		}
		defer closeFn()
		ctx, cancel := context.WithCancel(context.Background())
		h := scheduler.Current().Hub()
		h.Spawn(func(*scheduler.Task) (any, error) {
			// Cancel while the dialer (this hub's only other task) is
			// parked in a connect.
			defer cancel()
			return nil, waitParked(h, 1)
		})
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := 0; i < 64; i++ {
			c, err := scheduler.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			conns = append(conns, c)
		}
		return nil, errors.New("all connects succeeded")
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want context.Canceled", err)
	}
}

func TestCloseWakesBlockedTask(t *testing.T) {
	checkNoGoroutineLeak(t)
	tests := []struct {
		name    string
		fromHub bool
	}{
		{"closed by another task", true},
		{"closed by a goroutine", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHub(t)
			conns := make(chan net.Conn, 1)
			reader := h.Spawn(func(*scheduler.Task) (any, error) {
				c, s, err := pair()
				if err != nil {
					conns <- nil
					return nil, err
				}
				defer s.Close()
				conns <- c
				_, err = c.Read(make([]byte, 1))
				return nil, err
			})
			c := <-conns
			if c == nil {
				_, err := reader.Join()
				t.Fatal(err)
			}
			// Close only once the reader is parked in Read, so that the
			// wake of a parked task is what is tested.
			if err := waitParked(h, 1); err != nil {
				t.Fatal(err)
			}
			if tt.fromHub {
				h.Spawn(func(*scheduler.Task) (any, error) { return nil, c.Close() }).Join()
			} else {
				c.Close()
			}
			_, err := reader.Join()
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("got %v; want net.ErrClosed", err)
			}
		})
	}
}

func TestPeerReset(t *testing.T) {
	checkNoGoroutineLeak(t)
	_, err := run(t, func(*scheduler.Task) (any, error) {
		c, s, err := pair()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		// SO_LINGER 0 makes close send RST instead of FIN. Read sees the
		// reset at once, or parks until its edge arrives.
		if err := lingerReset(s); err != nil {
			return nil, err
		}
		s.Close()
		_, err = c.Read(make([]byte, 10))
		return nil, err
	})
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v; want ECONNRESET", err)
	}
}

func TestMisuse(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	other := newHub(t)
	v, err := h.Run(func(*scheduler.Task) (any, error) {
		c, s, err := pair()
		return []net.Conn{c, s}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, s := v.([]net.Conn)[0], v.([]net.Conn)[1]
	defer c.Close()
	defer s.Close()
	t.Run("read from a goroutine", func(t *testing.T) {
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, scheduler.ErrWrongHub) {
			t.Errorf("got %v; want ErrWrongHub", err)
		}
	})
	t.Run("write from another hub's task", func(t *testing.T) {
		_, err := other.Run(func(*scheduler.Task) (any, error) { return c.Write([]byte("x")) })
		if !errors.Is(err, scheduler.ErrWrongHub) {
			t.Errorf("got %v; want ErrWrongHub", err)
		}
	})
	t.Run("two readers", func(t *testing.T) {
		_, err := h.Run(func(*scheduler.Task) (any, error) {
			first := h.Spawn(func(*scheduler.Task) (any, error) { return c.Read(make([]byte, 1)) })
			if err := waitParked(h, 1); err != nil {
				return nil, err
			}
			_, err := c.Read(make([]byte, 1))
			s.Write([]byte("x"))
			first.Join()
			return nil, err
		})
		if !errors.Is(err, scheduler.ErrConcurrentUse) {
			t.Errorf("got %v; want ErrConcurrentUse", err)
		}
	})
	t.Run("dial outside a task", func(t *testing.T) {
		if _, err := scheduler.Dial("tcp", "127.0.0.1:1"); !errors.Is(err, scheduler.ErrNotInTask) {
			t.Errorf("got %v; want ErrNotInTask", err)
		}
	})
}

func TestDialErrors(t *testing.T) {
	checkNoGoroutineLeak(t)
	tests := []struct {
		name, network, addr string
		want                error
	}{
		{"refused", "tcp", "127.0.0.1:1", syscall.ECONNREFUSED},
		{"bad network", "sctp", "127.0.0.1:1", net.UnknownNetworkError("sctp")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, func(*scheduler.Task) (any, error) { return scheduler.Dial(tt.network, tt.addr) })
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v; want %v", err, tt.want)
			}
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "dial" {
				t.Errorf("got %T; want a *net.OpError for dial", err)
			}
		})
	}
}

func TestUDPAndUnix(t *testing.T) {
	checkNoGoroutineLeak(t)
	dir := t.TempDir()
	_, err := run(t, func(*scheduler.Task) (any, error) {
		pc, err := scheduler.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer pc.Close()
		c, err := scheduler.Dial("udp", pc.LocalAddr().String())
		if err != nil {
			return nil, err
		}
		defer c.Close()
		c.Write([]byte("ping"))
		buf := make([]byte, 16)
		n, from, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "ping" {
			return nil, fmt.Errorf("ReadFrom got %q, %v", buf[:n], err)
		}
		pc.WriteTo([]byte("pong"), from)
		n, err = c.Read(buf)
		if err != nil || string(buf[:n]) != "pong" {
			return nil, fmt.Errorf("Read got %q, %v", buf[:n], err)
		}

		path := dir + "/s.sock"
		l, err := scheduler.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		srv := scheduler.Current().Hub().Spawn(func(*scheduler.Task) (any, error) {
			s, err := l.Accept()
			if err != nil {
				return nil, err
			}
			defer s.Close()
			_, err = io.Copy(s, s)
			return nil, err
		})
		u, err := scheduler.Dial("unix", path)
		if err != nil {
			return nil, err
		}
		u.Write([]byte("over unix"))
		u.(*scheduler.Conn).CloseWrite()
		got, err := io.ReadAll(u)
		u.Close()
		srv.Join()
		if string(got) != "over unix" {
			return nil, fmt.Errorf("unix echo got %q, %v", got, err)
		}
		return nil, nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestTLSOverCooperativeSockets runs crypto/tls unchanged on two Conns.
func TestTLSOverCooperativeSockets(t *testing.T) {
	checkNoGoroutineLeak(t)
	cert, pool := selfSigned(t)
	v, err := run(t, func(*scheduler.Task) (any, error) {
		c, s, err := pair()
		if err != nil {
			return nil, err
		}
		srv := scheduler.Current().Hub().Spawn(func(*scheduler.Task) (any, error) {
			ts := tls.Server(s, &tls.Config{Certificates: []tls.Certificate{cert}})
			defer ts.Close()
			buf := make([]byte, 5)
			if _, err := io.ReadFull(ts, buf); err != nil {
				return nil, err
			}
			return ts.Write(bytes.ToUpper(buf))
		})
		tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		defer tc.Close()
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return nil, err
		}
		tc.Write([]byte("hello"))
		buf := make([]byte, 5)
		_, err = io.ReadFull(tc, buf)
		srv.Join()
		return string(buf), err
	})
	if v != "HELLO" || err != nil {
		t.Errorf("got %v, %v; want HELLO, <nil>", v, err)
	}
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestThousandsOfFDs holds 2,000 connections (4,000 fds) open on one hub at
// once, each carrying a byte both ways.
func TestThousandsOfFDs(t *testing.T) {
	parallel(t)
	n := 2000
	if testing.Short() {
		n = 300
	}
	h := newHub(t)
	_, err := h.Run(func(*scheduler.Task) (any, error) {
		l, err := scheduler.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		var servers []net.Conn
		acc := h.Spawn(func(*scheduler.Task) (any, error) {
			for i := 0; i < n; i++ {
				s, err := l.Accept()
				if err != nil {
					return nil, err
				}
				servers = append(servers, s)
			}
			return nil, nil
		})
		var clients []net.Conn
		for i := 0; i < n; i++ {
			c, err := scheduler.Dial("tcp", l.Addr().String())
			if err != nil {
				return nil, fmt.Errorf("dial %d: %w", i, err)
			}
			clients = append(clients, c)
		}
		if _, err := acc.Join(); err != nil {
			return nil, err
		}
		if got := h.OpenFDs(); got < 2*n {
			return nil, fmt.Errorf("got %d open fds; want at least %d", got, 2*n)
		}
		var tasks []*scheduler.Task
		for i := range clients {
			c, s := clients[i], servers[i]
			tasks = append(tasks, h.Spawn(func(*scheduler.Task) (any, error) {
				defer c.Close()
				defer s.Close()
				go0 := []byte{byte(i)}
				s.Write(go0)
				b := make([]byte, 1)
				if _, err := io.ReadFull(c, b); err != nil || b[0] != byte(i) {
					return nil, fmt.Errorf("conn %d: got %v, %v", i, b, err)
				}
				return nil, nil
			}))
		}
		for _, task := range tasks {
			if _, err := task.Join(); err != nil {
				return nil, err
			}
		}
		if got := h.OpenFDs(); got != 1 {
			return nil, fmt.Errorf("got %d open fds after closing; want 1 (the listener)", got)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEcho500Clients is the seed's selectors demo at scale: a hub set
// serves 500 concurrent clients, each sending 100 messages; every byte is
// checked.
func TestEcho500Clients(t *testing.T) {
	parallel(t)
	clients, msgs := 500, 100
	if testing.Short() {
		clients, msgs = 100, 20
	}
	s, err := scheduler.NewHubSet(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr, stop := startEchoServer(t, s)
	defer stop()
	var tasks []*scheduler.Task
	for i := 0; i < clients; i++ {
		tasks = append(tasks, s.Spawn(func(*scheduler.Task) (any, error) {
			return nil, echoClient(addr, i, msgs)
		}))
	}
	for _, task := range tasks {
		if _, err := task.Join(); err != nil {
			t.Fatal(err)
		}
	}
}

// startEchoServer listens on every hub of s (SO_REUSEPORT) and echoes
// until stop.
func startEchoServer(t testing.TB, s *scheduler.HubSet) (string, func()) {
	t.Helper()
	var addr string
	var listeners []net.Listener
	for _, h := range s.Hubs() {
		v, err := h.Run(func(*scheduler.Task) (any, error) {
			lc := scheduler.ListenConfig{ReusePort: true}
			a := addr
			if a == "" {
				a = "127.0.0.1:0"
			}
			return lc.Listen("tcp", a)
		})
		if err != nil {
			t.Fatal(err)
		}
		l := v.(net.Listener)
		addr = l.Addr().String()
		listeners = append(listeners, l)
		h.Spawn(func(*scheduler.Task) (any, error) {
			for {
				c, err := l.Accept()
				if err != nil {
					return nil, nil
				}
				h.Spawn(func(*scheduler.Task) (any, error) {
					defer c.Close()
					buf := make([]byte, 4096)
					for {
						n, err := c.Read(buf)
						if err != nil {
							return nil, nil
						}
						if _, err := c.Write(buf[:n]); err != nil {
							return nil, nil
						}
					}
				})
			}
		})
	}
	return addr, func() {
		for _, l := range listeners {
			l.Close()
		}
	}
}

func echoClient(addr string, id, msgs int) error {
	c, err := scheduler.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	want := make([]byte, 64)
	got := make([]byte, 64)
	for m := 0; m < msgs; m++ {
		for j := range want {
			want[j] = byte(id*31 + m*7 + j)
		}
		if _, err := c.Write(want); err != nil {
			return fmt.Errorf("client %d msg %d: %w", id, m, err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			return fmt.Errorf("client %d msg %d: %w", id, m, err)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("client %d msg %d: got %x; want %x", id, m, got, want)
		}
	}
	return nil
}

// TestConnAddrs: a dialed connection's local address is the one the
// kernel bound (not 0.0.0.0:0, as when it was read before the connect),
// and each side's addresses mirror the other's.
func TestConnAddrs(t *testing.T) {
	_, err := run(t, func(*scheduler.Task) (any, error) {
		c, s, err := pair()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		defer s.Close()
		if c.LocalAddr().String() != s.RemoteAddr().String() || c.RemoteAddr().String() != s.LocalAddr().String() {
			return nil, fmt.Errorf("dialed %v -> %v, accepted %v <- %v: want mirrored addresses", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
		}
		if a, ok := c.LocalAddr().(*net.TCPAddr); !ok || a.Port == 0 || !a.IP.IsLoopback() {
			return nil, fmt.Errorf("dialed local address %v; want 127.0.0.1 and a port", c.LocalAddr())
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadAfterEmpty: a socket found empty (nothing read yet from a dialed
// one, a short read, EAGAIN) is read again only after a read event, which
// data, the peer's close and a deadline each bring or replace; WaitRead
// waits for that event without reading.
func TestReadAfterEmpty(t *testing.T) {
	checkNoGoroutineLeak(t)
	_, err := run(t, func(*scheduler.Task) (any, error) {
		c, s, err := pair()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		defer s.Close()
		cc := c.(*scheduler.Conn)
		if !cc.ReadNone() {
			return nil, errors.New("a fresh dialed connection: want a read to wait for an event")
		}
		h := scheduler.Current().Hub()
		writeLater := func(b string) *scheduler.Task {
			return whenParked(h, 1, func() error {
				_, err := s.Write([]byte(b))
				return err
			})
		}
		w := writeLater("hello")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := cc.WaitRead(); err != nil {
			return nil, fmt.Errorf("WaitRead: %w", err)
		}
		if _, err := w.Join(); err != nil {
			return nil, err
		}
		if cc.ReadNone() {
			return nil, errors.New("after the read event: want a read to call the system")
		}
		if err := cc.WaitRead(); err != nil { // at once: the event came
			return nil, fmt.Errorf("WaitRead after the event: %w", err)
		}
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "hello" {
			return nil, fmt.Errorf("read %q, %v; want hello", buf[:n], err)
		}
		if !cc.ReadNone() {
			return nil, errors.New("after a short read: want the next read to wait for an event")
		}
		// A read that parks at once still gets what comes later.
		w = writeLater("world")
		n, err = c.Read(buf)
		if _, werr := w.Join(); werr != nil {
			return nil, werr
		}
		if err != nil || string(buf[:n]) != "world" {
			return nil, fmt.Errorf("read %q, %v; want world", buf[:n], err)
		}
		// A deadline ends such a wait; so does a read event of the peer's
		// close, which then reads as EOF.
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.Read(buf); !isDeadline(err) {
			return nil, fmt.Errorf("got %v; want the deadline's error", err)
		}
		if err := cc.WaitRead(); !isDeadline(err) {
			return nil, fmt.Errorf("WaitRead: got %v; want the deadline's error", err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		closer := whenParked(h, 1, s.Close)
		if _, err := c.Read(buf); err != io.EOF {
			return nil, fmt.Errorf("after the peer closed: got %v; want EOF", err)
		}
		if _, err = closer.Join(); err != nil {
			return nil, err
		}
		// Data and the peer's close in one event: the short read of the
		// data leaves an EOF that brings no event, and is still read.
		c2, s2, err := pair()
		if err != nil {
			return nil, err
		}
		defer c2.Close()
		closer = whenParked(h, 1, func() error {
			s2.Write([]byte("bye"))
			return s2.Close()
		})
		c2.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c2.(*scheduler.Conn).WaitRead(); err != nil {
			return nil, err
		}
		if n, err := c2.Read(buf); err != nil || string(buf[:n]) != "bye" {
			return nil, fmt.Errorf("read %q, %v; want bye", buf[:n], err)
		}
		if _, err := c2.Read(buf); err != io.EOF {
			return nil, fmt.Errorf("after data and close in one event: got %v; want EOF", err)
		}
		_, err = closer.Join()
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadWhatCameDuringConnect: what the peer sends while the dialing task
// waits for its connect to complete is read, not waited for again.
func TestReadWhatCameDuringConnect(t *testing.T) {
	checkNoGoroutineLeak(t)
	_, err := run(t, func(*scheduler.Task) (any, error) {
		l, err := scheduler.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		// The peer is a task of the same hub: it accepts, writes and
		// closes while the dialer is parked in its connect.
		peer := scheduler.Current().Hub().Spawn(func(*scheduler.Task) (any, error) {
			c, err := l.Accept()
			if err != nil {
				return nil, err
			}
			defer c.Close()
			_, err = c.Write([]byte("hi"))
			return nil, err
		})
		c, err := scheduler.Dial("tcp", l.Addr().String())
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if _, err := peer.Join(); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "hi" {
			return nil, fmt.Errorf("read %q, %v; want hi and EOF", b, err)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// control runs f on c's socket.
func control(c net.Conn, f func(fd int) error) error {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// readAll reads c until it has want, or fails saying what it had.
func readAll(c net.Conn, want string) error {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	got := ""
	for got != want {
		n, err := c.Read(buf)
		got += string(buf[:n])
		if err != nil {
			return fmt.Errorf("read %q so far, then %w; want %q", got, err, want)
		}
	}
	return nil
}

// TestReadPastShortReads: reads that stop short with more queued (at TCP
// urgent data; at descriptors passed over a unix socket) do not leave the
// rest waiting for an event that will not come.
func TestReadPastShortReads(t *testing.T) {
	checkNoGoroutineLeak(t)
	t.Run("tcp urgent data", func(t *testing.T) {
		_, err := run(t, func(*scheduler.Task) (any, error) {
			c, s, err := pair()
			if err != nil {
				return nil, err
			}
			defer c.Close()
			defer s.Close()
			s.Write([]byte("hello"))
			if err := control(s, func(fd int) error { return unix.Sendto(fd, []byte("!"), unix.MSG_OOB, nil) }); err != nil {
				return nil, err
			}
			s.Write([]byte("world"))
			scheduler.Sleep(50 * time.Millisecond) // all of it in c's queue
			return nil, readAll(c, "helloworld")
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unix passed descriptors", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s")
		_, err := run(t, func(*scheduler.Task) (any, error) {
			l, err := scheduler.Listen("unix", path)
			if err != nil {
				return nil, err
			}
			defer l.Close()
			acc := scheduler.Current().Hub().Spawn(func(*scheduler.Task) (any, error) { return l.Accept() })
			c, err := scheduler.Dial("unix", path)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			v, err := acc.Join()
			if err != nil {
				return nil, err
			}
			s := v.(net.Conn)
			defer s.Close()
			if err := control(s, func(fd int) error { return unix.Sendmsg(fd, []byte("a"), unix.UnixRights(0), nil, 0) }); err != nil {
				return nil, err
			}
			s.Write([]byte("bcd"))
			scheduler.Sleep(50 * time.Millisecond)
			return nil, readAll(c, "abcd")
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
