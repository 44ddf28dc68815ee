package fetcher

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/proxy"
)

// proxySpec is one proxy, parsed once per client.
type proxySpec struct {
	scheme  string // http, https, socks5 or socks5h
	host    string // lowercase name or IP, without brackets
	port    string
	display string // scheme://host:port: no credentials, for results and errors
	auth    string // "Basic ..." for HTTP proxies; "" without credentials
	socks   *proxy.Auth
}

// httpLike reports whether the proxy speaks HTTP (absolute form, CONNECT).
func (p *proxySpec) httpLike() bool { return p.scheme == "http" || p.scheme == "https" }

// parseProxy parses a proxy URL as curl takes it: no scheme means
// http://, no port means 1080 for SOCKS, 443 for https, 80 for http. Its
// error says what is wrong, never the password; the caller says where the
// URL came from.
func parseProxy(raw string) (*proxySpec, error) {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy %q is not a URL", maskProxyURL(raw))
	}
	p := &proxySpec{scheme: strings.ToLower(u.Scheme)}
	switch p.scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy scheme %q not supported (http, https, socks5 or socks5h)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy %q has no host", maskProxyURL(raw))
	}
	p.host = strings.ToLower(u.Hostname())
	p.port = u.Port()
	if p.port == "" {
		p.port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[p.scheme]
	} else if n, err := parsePort(p.port); err != nil || n == 0 {
		return nil, fmt.Errorf("proxy port %q is not a number from 1 to 65535", p.port)
	}
	p.display = p.scheme + "://" + net.JoinHostPort(p.host, p.port)
	if u.User != nil {
		user := u.User.Username()
		pass, _ := u.User.Password()
		if p.httpLike() {
			p.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		} else {
			if len(user) > 255 || len(pass) > 255 {
				return nil, errors.New("SOCKS5 user name and password are at most 255 bytes each")
			}
			p.socks = &proxy.Auth{User: user, Password: pass}
		}
	}
	return p, nil
}

// maskProxyURL replaces the password of the proxy URL s with "***".
func maskProxyURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

// proxyChooser picks the proxy of a URL: Config.Proxy, or the
// environment's, minus the NoProxy hosts.
type proxyChooser struct {
	http, https *proxySpec // for http:// and https:// URLs; nil: direct
	noProxy     string
	// match is x/net's http.ProxyFromEnvironment logic over sentinel
	// proxies: it tells whether a URL goes through its scheme's proxy.
	match func(*url.URL) (*url.URL, error)
}

// proxyEnv is the proxy configuration of the environment as curl reads it.
type proxyEnv struct {
	HTTP, HTTPS, NoProxy string
	httpFrom, httpsFrom  string // the variables they came from
}

// readProxyEnv reads the proxy variables as curl does, which differs from
// Go's http.ProxyFromEnvironment: http_proxy only in lowercase (HTTP_PROXY
// can be set by a CGI request's Proxy header), HTTPS_PROXY in either case,
// ALL_PROXY/all_proxy for a scheme without its own, NO_PROXY/no_proxy
// (lowercase first, as curl).
func readProxyEnv(getenv func(string) string) proxyEnv {
	first := func(names ...string) (string, string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v, n
			}
		}
		return "", ""
	}
	var e proxyEnv
	e.HTTP, e.httpFrom = first("http_proxy", "all_proxy", "ALL_PROXY")
	e.HTTPS, e.httpsFrom = first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
	e.NoProxy, _ = first("no_proxy", "NO_PROXY")
	return e
}

// initNet sets up the connect limit and the proxies of a new client.
func (c *Client) initNet() error {
	cfg := &c.cfg
	if cfg.ConnectAttemptDelay <= 0 {
		cfg.ConnectAttemptDelay = DefaultConnectAttemptDelay
	}
	cfg.ConnectAttemptDelay = max(cfg.ConnectAttemptDelay, minConnectAttemptDelay)
	if cfg.MaxConnectsPerHost == 0 {
		cfg.MaxConnectsPerHost = DefaultMaxConnectsPerHost
	}
	if !cfg.NoConnectLimit {
		c.connLimit = newConnLimiter(cfg.MaxConnectsPerHost)
	}
	ch, err := newProxyChooser(cfg.Proxy, cfg.NoProxy, cfg.NoEnvProxy, os.Getenv)
	if err != nil {
		return err
	}
	c.proxies = ch
	return nil
}

// newProxyChooser builds the chooser of Config's proxy fields; nil when no
// proxy applies to any URL.
func newProxyChooser(explicit, noProxy string, noEnv bool, getenv func(string) string) (*proxyChooser, error) {
	ch := &proxyChooser{noProxy: noProxy}
	switch {
	case explicit != "":
		p, err := parseProxy(explicit)
		if err != nil {
			return nil, &FieldError{Field: "Proxy", Err: err}
		}
		ch.http, ch.https = p, p
	case !noEnv:
		env := readProxyEnv(getenv)
		var err error
		if env.HTTP != "" {
			if ch.http, err = parseProxy(env.HTTP); err != nil {
				return nil, fmt.Errorf("fetcher: %s: %w", env.httpFrom, err)
			}
		}
		if env.HTTPS != "" {
			if ch.https, err = parseProxy(env.HTTPS); err != nil {
				return nil, fmt.Errorf("fetcher: %s: %w", env.httpsFrom, err)
			}
		}
		if noProxy == "" {
			ch.noProxy = env.NoProxy
		}
	}
	if ch.http == nil && ch.https == nil || strings.TrimSpace(ch.noProxy) == "*" {
		return nil, nil
	}
	hc := httpproxy.Config{NoProxy: ch.noProxy}
	if ch.http != nil {
		hc.HTTPProxy = "http://http-proxy.invalid"
	}
	if ch.https != nil {
		hc.HTTPSProxy = "http://https-proxy.invalid"
	}
	ch.match = hc.ProxyFunc()
	return ch, nil
}

// choose returns the proxy for u, or nil to connect directly.
func (ch *proxyChooser) choose(u *url.URL) *proxySpec {
	if ch == nil {
		return nil
	}
	p := ch.http
	if u.Scheme == "https" {
		p = ch.https
	}
	if p == nil {
		return nil
	}
	host, port := hostPort(u)
	if isLoopbackHost(host) {
		// x/net never proxies loopback hosts; curl does, unless NoProxy
		// names them.
		if loopbackNoProxy(ch.noProxy, host, port) {
			return nil
		}
		return p
	}
	if pu, err := ch.match(u); err != nil || pu == nil {
		return nil
	}
	return p
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// loopbackNoProxy reports whether the NO_PROXY list names the loopback
// host: "*", the name (or a parent domain), the address or a range holding
// it, each with an optional port. x/net's matcher is not asked because it
// exempts these hosts before it reads the list.
func loopbackNoProxy(list, host, port string) bool {
	ip, ipErr := netip.ParseAddr(host)
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if pfx, err := netip.ParsePrefix(e); err == nil {
			if ipErr == nil && pfx.Contains(ip.Unmap()) {
				return true
			}
			continue
		}
		name, eport := e, ""
		if h, p, err := net.SplitHostPort(e); err == nil {
			name, eport = h, p
		}
		if eport != "" && eport != port {
			continue
		}
		name = strings.Trim(name, "[]")
		if a, err := netip.ParseAddr(name); err == nil {
			if ipErr == nil && a.Unmap() == ip.Unmap() {
				return true
			}
			continue
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, "*"), ".")
		if host == name || strings.HasSuffix(host, "."+name) {
			return true
		}
	}
	return false
}

// openConn opens the connection a request for u travels on: straight to
// host:port, or through key's proxy (a CONNECT or SOCKS5 tunnel to
// host:port, or, for http:// URLs through an HTTP proxy, the connection to
// the proxy itself). Proxy set-up counts as connect time, bounded by
// Config.ConnectTimeout; TLS to an https:// proxy as TLS time.
func (st *fetchState) openConn(u *url.URL, key poolKey, host, port string) (net.Conn, *Error) {
	p := key.proxy
	if p == nil {
		return st.connectTCP(host, port)
	}
	conn, ferr := st.connectTCP(p.host, p.port)
	if ferr != nil {
		ferr.Err = &reasonError{"proxy " + p.display + ": " + ferr.Err.Error(), ferr.Err}
		return nil, ferr
	}
	if p.scheme == "https" {
		tc, err := st.proxyTLS(conn, p)
		if err != nil {
			return nil, err
		}
		conn = tc
	}
	t0 := time.Now() // the tunnel's set-up counts as connect time
	target := net.JoinHostPort(host, port)
	switch {
	case p.httpLike() && u.Scheme == "http":
		return conn, nil // absolute-form requests on the proxy connection
	case p.httpLike():
		conn, ferr = st.tunnelCONNECT(conn, p, target)
	default:
		conn, ferr = st.tunnelSOCKS(conn, p, host, port)
	}
	st.res.Timings.Connect += time.Since(t0)
	return conn, ferr
}

// guard bounds the proxy exchange on conn by the connect timeout and ends
// it when the fetch is canceled or times out; the returned func undoes it.
func (st *fetchState) guard(conn net.Conn, d time.Duration) func() {
	dl := time.Now().Add(d)
	if st.lazy.deadline.Before(dl) {
		dl = st.lazy.deadline
	}
	conn.SetDeadline(dl)
	stop := context.AfterFunc(st.ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	return func() {
		if stop() {
			conn.SetDeadline(time.Time{})
		}
	}
}

// proxyTLS runs the TLS handshake with an https:// proxy.
func (st *fetchState) proxyTLS(conn net.Conn, p *proxySpec) (net.Conn, *Error) {
	c := st.c
	t0 := time.Now()
	conf := c.tlsConf.Clone()
	conf.ServerName = p.host
	tc := tls.Client(conn, conf)
	undo := st.guard(conn, c.cfg.TLSTimeout)
	err := tc.Handshake()
	undo()
	st.res.Timings.TLS += time.Since(t0)
	if err != nil {
		conn.Close()
		e := st.classify(PhaseTLS, err)
		e.Err = &reasonError{"TLS to proxy " + p.display + ": " + e.Err.Error(), e.Err}
		return nil, e
	}
	return tc, nil
}

// proxyError is a proxy refusing or failing the tunnel (KindProxy).
type proxyError struct{ msg string }

func (e *proxyError) Error() string { return e.msg }

// tunnelCONNECT asks an HTTP proxy for a tunnel to target.
func (st *fetchState) tunnelCONNECT(conn net.Conn, p *proxySpec, target string) (net.Conn, *Error) {
	c := st.c
	var b strings.Builder
	b.WriteString("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nUser-Agent: " + c.cfg.UserAgent + "\r\n")
	if p.auth != "" {
		b.WriteString("Proxy-Authorization: " + p.auth + "\r\n")
	}
	b.WriteString("\r\n")
	undo := st.guard(conn, c.cfg.ConnectTimeout)
	_, err := io.WriteString(conn, b.String())
	var resp *http.Response
	br := bufio.NewReaderSize(conn, 1024)
	if err == nil {
		resp, err = http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	}
	undo()
	fail := func(e *Error) (net.Conn, *Error) {
		conn.Close()
		return nil, e
	}
	if err != nil {
		if isTimeout(err) || st.ctx.Err() != nil {
			e := st.classify(PhaseConnect, err)
			if e.Kind == KindTimeout {
				e.Err = &timeoutError{fmt.Sprintf("proxy %s did not answer CONNECT %s within the connect timeout (%v)", p.display, target, c.cfg.ConnectTimeout), err, false}
			}
			return fail(e)
		}
		msg := fmt.Sprintf("proxy %s: CONNECT %s: %v", p.display, target, err)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = fmt.Sprintf("proxy %s closed the connection before answering CONNECT %s", p.display, target)
		}
		return fail(&Error{Kind: KindProxy, Phase: PhaseConnect, URL: st.curURL, Err: &proxyError{msg}})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("proxy %s answered CONNECT %s with %q", p.display, target, resp.Proto+" "+resp.Status)
		if resp.StatusCode == 407 && p.auth == "" {
			msg += " (the proxy wants credentials: user:password@ in the proxy URL)"
		}
		return fail(&Error{Kind: KindProxy, Phase: PhaseConnect, URL: st.curURL, Err: &proxyError{msg}})
	}
	if br.Buffered() > 0 {
		// The origin spoke first (or the proxy sent a body): keep the bytes.
		pre, _ := br.Peek(br.Buffered())
		return &prefixedConn{Conn: conn, pre: append([]byte(nil), pre...)}, nil
	}
	return conn, nil
}

// forwardRefusal is the error for a 407 answered to an http:// URL sent
// to a forward HTTP proxy in absolute form, or nil. Only a proxy sends
// 407 (RFC 9110, 15.5.8): the result keeps the status, with a proxy error
// that names the proxy, as a refused CONNECT has.
func (st *fetchState) forwardRefusal(u *url.URL, resp *http.Response) *Error {
	if resp.StatusCode != 407 || u.Scheme != "http" {
		return nil
	}
	p := st.c.proxies.choose(u)
	if p == nil || !p.httpLike() {
		return nil
	}
	msg := fmt.Sprintf("proxy %s answered %s %s with %q", p.display, st.req.method, st.curURL, resp.Proto+" "+resp.Status)
	if p.auth == "" {
		msg += " (the proxy wants credentials: user:password@ in the proxy URL)"
	} else {
		msg += " (it refused the credentials in the proxy URL)"
	}
	return &Error{Kind: KindProxy, Phase: PhaseHeader, URL: st.curURL, Err: &proxyError{msg}}
}

// prefixedConn gives back bytes read ahead before reading on.
type prefixedConn struct {
	net.Conn
	pre []byte
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// socksWithConn is x/net's SOCKS5 dialer: it speaks SOCKS5 on a connection
// we opened, without the goroutine its DialContext starts for a context.
type socksWithConn interface {
	DialWithConn(ctx context.Context, c net.Conn, network, address string) (net.Addr, error)
}

// tunnelSOCKS asks a SOCKS5 proxy for a tunnel to host:port: with the
// address looked up here (socks5://) or the name (socks5h://).
func (st *fetchState) tunnelSOCKS(conn net.Conn, p *proxySpec, host, port string) (net.Conn, *Error) {
	c := st.c
	target := net.JoinHostPort(host, port)
	if p.scheme == "socks5" {
		addrs, ferr := st.lookup(host)
		if ferr != nil {
			conn.Close()
			return nil, ferr
		}
		target = net.JoinHostPort(addrs[0].String(), port)
	}
	d, err := proxy.SOCKS5("tcp", net.JoinHostPort(p.host, p.port), p.socks, nil)
	sd, ok := d.(socksWithConn)
	if err != nil || !ok {
		conn.Close()
		return nil, &Error{Kind: KindProxy, Phase: PhaseConnect, URL: st.curURL, Err: fmt.Errorf("proxy %s: SOCKS5 dialer: %v", p.display, err)}
	}
	undo := st.guard(conn, c.cfg.ConnectTimeout)
	_, err = sd.DialWithConn(context.Background(), conn, "tcp", target)
	undo()
	if err != nil {
		conn.Close()
		if isTimeout(err) || st.ctx.Err() != nil {
			e := st.classify(PhaseConnect, err)
			if e.Kind == KindTimeout {
				e.Err = &timeoutError{fmt.Sprintf("SOCKS5 proxy %s did not open a tunnel to %s within the connect timeout (%v)", p.display, target, c.cfg.ConnectTimeout), err, false}
			}
			return nil, e
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err
		}
		msg := fmt.Sprintf("SOCKS5 proxy %s: tunnel to %s: %v", p.display, target, err)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = fmt.Sprintf("SOCKS5 proxy %s closed the connection before opening a tunnel to %s", p.display, target)
		}
		return nil, &Error{Kind: KindProxy, Phase: PhaseConnect, URL: st.curURL, Err: &proxyError{msg}}
	}
	return conn, nil
}

// CheckProxies reports whether the proxies cfg names (Proxy, or the
// environment's unless NoEnvProxy) are URLs a client can use: http://,
// https://, socks5:// or socks5h:// (no scheme means http://), a host, a
// port from 1 to 65535. Its error, a *FieldError of Proxy or an error
// naming the environment variable, never shows the password. NewClient
// fails with the same error.
func CheckProxies(cfg Config) error {
	_, err := newProxyChooser(cfg.Proxy, cfg.NoProxy, cfg.NoEnvProxy, os.Getenv)
	return err
}

// MaskProxy returns the proxy URL raw with its password replaced by
// "***", for showing it.
func MaskProxy(raw string) string { return maskProxyURL(raw) }
