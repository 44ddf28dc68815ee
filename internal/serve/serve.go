package serve

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is ready for use.
type Options struct {
	// MaxSize caps the body size a path may ask for; a larger size/N
	// answers 400. If zero, 1 GiB is used.
	MaxSize int64
	// MaxDelay caps delay/D and drip/D; a longer one answers 400. If zero,
	// 10 minutes is used.
	MaxDelay time.Duration
	// ReadHeaderTimeout bounds the reading of a request head. If zero,
	// 10s is used.
	ReadHeaderTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next
	// request. If zero, 2 minutes is used.
	IdleTimeout time.Duration
	// ErrorLog receives net/http's connection errors. If nil, they are
	// discarded (thousands of clients going away are not news).
	ErrorLog *log.Logger
}

// Defaults of Options.
const (
	defaultMaxSize           = 1 << 30
	defaultMaxDelay          = 10 * time.Minute
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	// maxHeaderBytes bounds a request head; a redirect-to target fits.
	maxHeaderBytes = 64 << 10
)

// Server is the embedded test server: an http.Server with keep-alive on,
// HTTP/1.1 only, whose handler answers the paths of Usage. It runs on plain
// goroutines, one per connection. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	srv    *http.Server
	ctx    context.Context // the base of every request context; canceled by Close
	cancel context.CancelFunc

	ln atomic.Pointer[net.Listener] // set by Serve

	requests atomic.Int64 // requests whose handler started
	conns    atomic.Int64 // connections accepted
	active   atomic.Int64 // handlers running now

	closeOnce sync.Once
	closeErr  error
}

// New returns a Server with opts; it serves nothing until Serve (or use
// Handler on a server of your own).
func New(opts Options) *Server {
	if opts.MaxSize <= 0 {
		opts.MaxSize = defaultMaxSize
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = defaultMaxDelay
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = defaultIdleTimeout
	}
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(io.Discard, "", 0)
	}
	s := &Server{opts: opts}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var protocols http.Protocols
	protocols.SetHTTP1(true) // no HTTP/2, even over TLS
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		Protocols:         &protocols,
		ErrorLog:          opts.ErrorLog,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	return s
}

// Start listens on addr (such as "127.0.0.1:0") and serves in the
// background. When it returns without error, URL is ready for requests.
func Start(addr string, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := New(opts)
	s.ln.Store(&l)
	go s.Serve(l) //nolint:errcheck // Serve ends with http.ErrServerClosed on Close
	return s, nil
}

// Serve accepts connections on l until Close or Shutdown, and then returns
// nil. Any other error ends it too and is returned. It closes l.
func (s *Server) Serve(l net.Listener) error {
	s.ln.CompareAndSwap(nil, &l)
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Handler returns the handler of the paths of Usage; the counters of s
// count its requests. Safe for concurrent use.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Addr returns the address s listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	l := s.ln.Load()
	if l == nil {
		return nil
	}
	return (*l).Addr()
}

// URL returns the base URL of s, such as "http://127.0.0.1:41234", or ""
// before Serve. An unspecified listen address (":8080", "0.0.0.0:8080")
// gives a loopback URL.
func (s *Server) URL() string {
	a, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	ip := a.IP
	switch {
	case ip == nil, ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(a.Port))
}

// Requests returns the number of requests s has begun to answer.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Conns returns the number of connections s has accepted. With keep-alive,
// many requests share one connection: Requests() - Conns() were reused.
func (s *Server) Conns() int64 { return s.conns.Load() }

// Active returns the number of requests being answered now, parked ones
// included. It falls back to 0 when clients go away.
func (s *Server) Active() int64 { return s.active.Load() }

// Close closes the listener and every connection at once, and cancels the
// context of every request being answered so that delays and drips end.
// Handlers still running return soon after.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.closeErr = s.srv.Close()
	})
	return s.closeErr
}

// Shutdown stops accepting, closes idle connections, and waits for the
// responses in flight to end, or for ctx to be done, whichever comes first
// (then it returns ctx's error). Parked requests are not cut short: call
// Close after a Shutdown that timed out.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}
