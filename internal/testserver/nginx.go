package testserver

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths every Nginx serves, on each of its HTTP and HTTPS ports, beside the
// files of NginxOptions.Files at their own paths ("/" + name).
const (
	// ChunkedPrefix serves the docroot again, without Content-Length: to an
	// HTTP/1.1 request, any file F comes back at ChunkedPrefix+F with
	// "Transfer-Encoding: chunked"; to HTTP/1.0, delimited by connection close.
	// nginx's SSI filter (ssi on; ssi_types *) is what drops the length, so a
	// body containing "<!--#" would be interpreted; SizedBody never does.
	ChunkedPrefix = "/chunked/"

	// StatusPrefix + code answers with that status and nginx's own short
	// body, for the codes in StatusCodes.
	StatusPrefix = "/status/"

	// NotFoundPath answers 404 (as does any path that names no file).
	NotFoundPath = "/status/404"

	// RedirectPrefix + "301/" + rest answers 301 with "Location: /rest"
	// (query kept), and likewise for 302, 303, 307 and 308. Locations are
	// relative (absolute_redirect off), as many servers send them.
	RedirectPrefix = "/redirect/"

	// RedirectLoopPath answers 302 with a Location of itself, forever.
	RedirectLoopPath = "/redirect/loop"

	// ToHTTPSPrefix + rest answers 302 with the absolute Location
	// TLSURL + "/" + rest, and ToHTTPPrefix + rest with URL + "/" + rest;
	// both exist only when NginxOptions.TLS is set.
	ToHTTPSPrefix = "/redirect/https/"
	ToHTTPPrefix  = "/redirect/http/"
)

// StatusCodes are the codes StatusPrefix serves. 200 comes with the body
// "ok\n"; 204 with none.
var StatusCodes = []int{200, 204, 400, 403, 404, 429, 500, 502, 503, 504}

// redirectCodes are the codes under RedirectPrefix.
var redirectCodes = []int{301, 302, 303, 307, 308}

// NginxOptions configures StartNginx. Its zero value serves plain HTTP on
// one port with nginx's defaults, gzip off, and an index.html.
type NginxOptions struct {
	// Files are written under the docroot before nginx starts, keyed by
	// slash-separated relative path ("a/b.txt" is served at "/a/b.txt").
	// An "index.html" is added unless given. See SizedFiles for bodies of
	// many sizes. Content types follow the extension: .html text/html,
	// .txt text/plain, .json application/json, anything else
	// application/octet-stream.
	Files map[string][]byte

	// KeepaliveRequests is the number of requests nginx serves on one
	// connection before closing it (keepalive_requests). If zero, nginx's
	// default is used (1000 since nginx 1.19.10).
	KeepaliveRequests int

	// KeepaliveTimeout is how long nginx keeps an idle connection open
	// (keepalive_timeout, millisecond precision). If zero, nginx's default
	// of 75s is used; if negative, keep-alive is off and nginx closes every
	// connection after one response.
	KeepaliveTimeout time.Duration

	// Gzip turns on gzip compression (gzip_min_length 20; gzip_types
	// text/html, text/plain, text/css, application/json,
	// application/javascript and application/octet-stream) for requests
	// that send "Accept-Encoding: gzip". A compressed response has no
	// Content-Length: it is chunked to HTTP/1.1 clients.
	Gzip bool

	// TLS adds an HTTPS port presenting Certs.Server (TLSURL), and one port
	// for each of Certs.Expired, Certs.WrongName and Certs.Untrusted
	// (ExpiredURL, WrongNameURL, UntrustedURL). TLS 1.2 and 1.3, a shared
	// session cache and session tickets (so resumption works), ALPN
	// http/1.1 only (h2 too with HTTP2).
	TLS bool

	// Certs are the certificates for TLS. If nil and TLS is set,
	// GenerateCerts makes them in a temporary directory with no extra names.
	Certs *Certs

	// Workers is the number of nginx worker processes. If zero, nginx runs
	// as a single process (master_process off), the cheapest to start;
	// benchmarks that want nginx on more cores set it. Caution: a test
	// process killed before its cleanups run (SIGKILL, or go test's
	// -timeout) takes the master with it but leaves the workers, which do
	// not notice; with zero workers nothing is left.
	Workers int

	// WorkerConnections bounds the connections of one nginx process
	// (worker_connections). If zero, 1024 is used.
	WorkerConnections int

	// ExtraServerConfig is raw nginx configuration added to every server
	// block, for what the options above lack (e.g. a location).
	ExtraServerConfig string

	// HTTP2 makes the TLSURL port offer h2 in ALPN beside http/1.1 (with
	// TLS set), and adds a port that speaks HTTP/2 over cleartext to
	// clients with prior knowledge, and only that (H2CURL). nginx's
	// keepalive_requests bounds the streams of an HTTP/2 connection too:
	// past it nginx sends GOAWAY.
	HTTP2 bool

	// NoAccessLog turns the access log off (AccessLogFile is then empty
	// and AccessLog fails): for benchmarks, where writing a log line per
	// request is a good part of what nginx does.
	NoAccessLog bool

	// HTTP2MaxConcurrentStreams is http2_max_concurrent_streams, the
	// streams a client may open at once on one connection. If zero,
	// nginx's default (128) is used.
	HTTP2MaxConcurrentStreams int
}

// Nginx is a running nginx started by StartNginx. All its ports are on
// 127.0.0.1. It is stopped by the cleanup of the test that started it.
type Nginx struct {
	URL  string // "http://127.0.0.1:PORT", no trailing slash
	Addr string // "127.0.0.1:PORT" of URL

	// TLSURL is "https://127.0.0.1:PORT", served with Certs.Server; TLSAddr
	// is its address. Both are empty unless NginxOptions.TLS is set.
	TLSURL  string
	TLSAddr string

	// HTTPS URLs ("https://127.0.0.1:PORT") whose server presents
	// Certs.Expired, Certs.WrongName and Certs.Untrusted: TLS error tests.
	// Empty unless NginxOptions.TLS is set. They serve the docroot at "/".
	ExpiredURL   string
	WrongNameURL string
	UntrustedURL string

	// H2CURL is "http://127.0.0.1:PORT" speaking HTTP/2 with prior
	// knowledge only; H2CAddr is its address. Empty unless
	// NginxOptions.HTTP2 is set.
	H2CURL  string
	H2CAddr string

	Root string // the docroot: files added here are served at once

	// CAFile is the PEM file of the CA that signed the server certificate,
	// and CAPool a pool holding only that CA; Certs holds all of them. All
	// three are empty unless NginxOptions.TLS is set.
	CAFile string
	CAPool *x509.CertPool
	Certs  *Certs

	Dir           string // temporary directory of the configuration and logs
	ConfigFile    string // the generated nginx.conf
	ErrorLog      string // nginx's error log
	AccessLogFile string // access log, one line per request: see AccessLog
}

// StartNginx starts nginx on free ports of 127.0.0.1 with a configuration
// generated from opts, waits until every port accepts connections, and stops
// it when the test ends. When the nginx binary is missing it skips the test,
// or fails it when CI is set. Any other failure to start fails the test with
// nginx's error log.
func StartNginx(t testing.TB, opts NginxOptions) *Nginx {
	t.Helper()
	bin := findBinary(t, "nginx")
	info, err := nginxBuildInfoFor(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !info.has("http_ssi") {
		t.Fatalf("testserver: %s (%s) was built without the SSI module, which ChunkedPrefix needs (nginx -V shows --without-http_ssi_module)", bin, info.version)
	}
	if opts.TLS && !info.ssl {
		t.Fatalf("testserver: %s (%s) was built without TLS support (no --with-http_ssl_module in nginx -V)", bin, info.version)
	}
	dir := t.TempDir()
	n := &Nginx{
		Dir:           dir,
		Root:          filepath.Join(dir, "root"),
		ConfigFile:    filepath.Join(dir, "nginx.conf"),
		ErrorLog:      filepath.Join(dir, "error.log"),
		AccessLogFile: filepath.Join(dir, "access.log"),
	}
	if opts.NoAccessLog {
		n.AccessLogFile = ""
	}
	files := map[string][]byte{"index.html": []byte("<!doctype html>\n<title>greenfetch test</title>\n<p>greenfetch test index</p>\n")}
	for k, v := range opts.Files {
		files[k] = v
	}
	if err := os.MkdirAll(n.Root, 0o755); err != nil {
		t.Fatalf("testserver: nginx docroot: %v", err)
	}
	if err := writeFiles(n.Root, files); err != nil {
		t.Fatal(err)
	}
	if opts.TLS {
		if opts.Certs == nil {
			certDir := filepath.Join(dir, "certs")
			if err := os.Mkdir(certDir, 0o700); err != nil {
				t.Fatalf("testserver: nginx certificates: %v", err)
			}
			if opts.Certs, err = GenerateCerts(certDir, CertOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		n.Certs, n.CAFile, n.CAPool = opts.Certs, opts.Certs.CAFile, opts.Certs.CAPool
	}
	nports := 1
	if opts.TLS {
		nports = 5
	}
	if opts.HTTP2 {
		if !info.http2 {
			t.Fatalf("testserver: %s (%s) was built without HTTP/2 (no --with-http_v2_module in nginx -V)", bin, info.version)
		}
		nports = 6
	}
	outFile := filepath.Join(dir, "nginx.out")
	startServer(t, nports, false, func(ports []int) (launch, error) {
		n.setPorts(ports)
		args := []string{"-p", dir + "/", "-c", n.ConfigFile}
		if info.hasErrorLogFlag {
			args = append(args, "-e", n.ErrorLog)
		}
		return launch{
			name:       "nginx",
			addr:       n.Addr,
			bin:        bin,
			args:       args,
			configFile: n.ConfigFile,
			config:     n.config(opts, info),
			out:        outFile,
			logs:       []string{outFile, n.ErrorLog},
			probe:      func() error { return dialAll(ports) },
		}, nil
	})
	return n
}

func (n *Nginx) setPorts(ports []int) {
	n.Addr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	n.URL = "http://" + n.Addr
	if len(ports) > 1 {
		n.TLSAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
		n.TLSURL = "https://" + n.TLSAddr
		n.ExpiredURL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
		n.WrongNameURL = fmt.Sprintf("https://127.0.0.1:%d", ports[3])
		n.UntrustedURL = fmt.Sprintf("https://127.0.0.1:%d", ports[4])
	}
	if len(ports) > 5 {
		n.H2CAddr = fmt.Sprintf("127.0.0.1:%d", ports[5])
		n.H2CURL = "http://" + n.H2CAddr
	}
}

func dialAll(ports []int) error {
	for _, port := range ports {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), probeTimeout)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

// config returns the nginx.conf for n and opts.
func (n *Nginx) config(opts NginxOptions, info *nginxBuildInfo) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# generated by greenfetch internal/testserver")
	w("daemon off;")
	if opts.Workers > 0 {
		w("master_process on;")
		w("worker_processes %d;", opts.Workers)
		if os.Geteuid() == 0 {
			w("user root;") // workers must read the docroot in a 0700 temp dir
		}
		w("worker_shutdown_timeout 1s;")
	} else {
		w("master_process off;")
	}
	w("pid %s;", filepath.Join(n.Dir, "nginx.pid"))
	w("error_log %s warn;", n.ErrorLog)
	wc := opts.WorkerConnections
	if wc <= 0 {
		wc = 1024
	}
	w("events { worker_connections %d; }", wc)
	w("http {")
	w("  types { text/html html htm; text/plain txt; text/css css; application/json json; application/javascript js; image/png png; application/octet-stream bin; }")
	w("  default_type application/octet-stream;")
	w("  server_tokens off;")
	w("  absolute_redirect off;")
	w("  sendfile on;")
	w(`  log_format greenfetch '$connection $connection_requests $remote_port $server_port $request_method $request_uri $status $bytes_sent';`)
	if n.AccessLogFile == "" {
		w("  access_log off;")
	} else {
		w("  access_log %s greenfetch;", n.AccessLogFile)
	}
	w("  client_body_temp_path %s;", filepath.Join(n.Dir, "tmp-body"))
	for _, m := range []string{"proxy", "fastcgi", "uwsgi", "scgi"} {
		if info.has("http_" + m) {
			w("  %s_temp_path %s;", m, filepath.Join(n.Dir, "tmp-"+m))
		}
	}
	if opts.KeepaliveRequests > 0 {
		w("  keepalive_requests %d;", opts.KeepaliveRequests)
	}
	switch {
	case opts.KeepaliveTimeout < 0:
		w("  keepalive_timeout 0;")
	case opts.KeepaliveTimeout > 0:
		w("  keepalive_timeout %dms;", max(opts.KeepaliveTimeout.Milliseconds(), 1))
	}
	if opts.Gzip {
		w("  gzip on;")
		w("  gzip_min_length 20;")
		w("  gzip_types text/plain text/css application/json application/javascript application/octet-stream;")
		w("  gzip_vary on;")
		w("  gzip_proxied any;")
	}
	if opts.TLS {
		w("  ssl_protocols TLSv1.2 TLSv1.3;")
		w("  ssl_session_cache shared:greenfetch:1m;")
		w("  ssl_session_timeout 10m;")
		w("  ssl_session_tickets on;")
	}
	n.server(w, n.Addr, "", opts)
	if opts.HTTP2 {
		n.server(w, n.H2CAddr, "", opts)
	}
	if opts.TLS {
		c := opts.Certs
		n.server(w, n.TLSAddr, tlsDirectives(c.Server), opts)
		for _, s := range []struct {
			url string
			kp  KeyPair
		}{{n.ExpiredURL, c.Expired}, {n.WrongNameURL, c.WrongName}, {n.UntrustedURL, c.Untrusted}} {
			w("  server {")
			w("    listen %s ssl;", strings.TrimPrefix(s.url, "https://"))
			w("    %s", tlsDirectives(s.kp))
			w("    root %s;", n.Root)
			w("  }")
		}
	}
	w("}")
	return b.String()
}

func tlsDirectives(kp KeyPair) string {
	return fmt.Sprintf("ssl_certificate %s; ssl_certificate_key %s;", kp.CertFile, kp.KeyFile)
}

// server writes one full server block listening on addr (with TLS when tls
// holds its directives).
func (n *Nginx) server(w func(string, ...any), addr, tls string, opts NginxOptions) {
	w("  server {")
	h2 := ""
	if opts.HTTP2 && (addr == n.TLSAddr || addr == n.H2CAddr) {
		h2 = " http2" // the nginx 1.9.5-1.25 form; later ones warn and accept it
	}
	if tls != "" {
		w("    listen %s ssl%s;", addr, h2)
		w("    %s", tls)
	} else {
		w("    listen %s%s;", addr, h2)
	}
	if opts.HTTP2MaxConcurrentStreams > 0 && h2 != "" {
		w("    http2_max_concurrent_streams %d;", opts.HTTP2MaxConcurrentStreams)
	}
	w("    server_name localhost;")
	w("    root %s;", n.Root)
	w("    index index.html;")
	w("    location / { }")
	w("    location %s { alias %s/; ssi on; ssi_types *; }", ChunkedPrefix, n.Root)
	for _, code := range StatusCodes {
		body := ""
		if code == 200 {
			body = ` "ok\n"`
		}
		w("    location = %s%d { return %d%s; }", StatusPrefix, code, code, body)
	}
	for _, code := range redirectCodes {
		w("    location ~ ^%s%d/(.*)$ { return %d /$1$is_args$args; }", RedirectPrefix, code, code)
	}
	w("    location = %s { return 302 %s; }", RedirectLoopPath, RedirectLoopPath)
	if opts.TLS {
		w("    location ~ ^%s(.*)$ { return 302 %s/$1$is_args$args; }", ToHTTPSPrefix, n.TLSURL)
		w("    location ~ ^%s(.*)$ { return 302 %s/$1$is_args$args; }", ToHTTPPrefix, n.URL)
	}
	if opts.ExtraServerConfig != "" {
		w("    %s", opts.ExtraServerConfig)
	}
	w("  }")
}

// nginxBuildInfo is what `nginx -V` says about a binary.
type nginxBuildInfo struct {
	version         string
	without         map[string]bool // modules named by --without-X_module
	ssl             bool
	http2           bool // --with-http_v2_module
	hasErrorLogFlag bool // -e, since nginx 1.19.5
}

func (i *nginxBuildInfo) has(module string) bool { return !i.without[module] }

var (
	nginxInfoMu    sync.Mutex
	nginxInfoCache = map[string]*nginxBuildInfo{}
	nginxVersionRE = regexp.MustCompile(`nginx/(\d+)\.(\d+)\.(\d+)`)
	nginxWithoutRE = regexp.MustCompile(`--without-([a-z0-9_]+)_module`)
)

func nginxBuildInfoFor(bin string) (*nginxBuildInfo, error) {
	nginxInfoMu.Lock()
	defer nginxInfoMu.Unlock()
	if i, ok := nginxInfoCache[bin]; ok {
		return i, nil
	}
	out, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("testserver: %s -V: %v: %s", bin, err, bytes.TrimSpace(out))
	}
	m := nginxVersionRE.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("testserver: %s -V: no version in %q", bin, out)
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	patch, _ := strconv.Atoi(string(m[3]))
	i := &nginxBuildInfo{
		version:         string(m[0]),
		without:         map[string]bool{},
		ssl:             bytes.Contains(out, []byte("--with-http_ssl_module")),
		http2:           bytes.Contains(out, []byte("--with-http_v2_module")),
		hasErrorLogFlag: major > 1 || minor > 19 || (minor == 19 && patch >= 5),
	}
	for _, w := range nginxWithoutRE.FindAllSubmatch(out, -1) {
		i.without[string(w[1])] = true
	}
	nginxInfoCache[bin] = i
	return i, nil
}

// AccessEntry is one line of the access log: one request nginx finished.
type AccessEntry struct {
	// Connection is nginx's serial number of the connection ($connection):
	// requests that share it came over one kept-alive connection.
	Connection uint64
	// ConnectionRequests is the number of this request on its connection
	// ($connection_requests): 1 for a connection's first.
	ConnectionRequests int
	RemotePort         int    // the client's port
	ServerPort         int    // the port the request arrived on: tells HTTP from HTTPS
	Method             string // "-" when nginx could not parse the request
	URI                string // as requested, query included
	Status             int
	BytesSent          int64 // bytes sent to the client, headers included
}

// AccessLog returns the requests nginx has finished so far, in order. nginx
// logs a request when it has sent the response, which may be just after the
// client has read it: use WaitAccessLog to wait for a count.
func (n *Nginx) AccessLog() ([]AccessEntry, error) {
	if n.AccessLogFile == "" {
		return nil, errors.New("testserver: nginx was started with NoAccessLog: it keeps no access log")
	}
	f, err := os.Open(n.AccessLogFile)
	if err != nil {
		return nil, fmt.Errorf("testserver: nginx access log: %w", err)
	}
	defer f.Close()
	var entries []AccessEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 8 {
			return nil, fmt.Errorf("testserver: nginx access log %s: malformed line %q", n.AccessLogFile, line)
		}
		var e AccessEntry
		var errs [6]error
		e.Connection, errs[0] = strconv.ParseUint(fs[0], 10, 64)
		e.ConnectionRequests, errs[1] = strconv.Atoi(fs[1])
		e.RemotePort, errs[2] = strconv.Atoi(fs[2])
		e.ServerPort, errs[3] = strconv.Atoi(fs[3])
		e.Method, e.URI = fs[4], fs[5]
		e.Status, errs[4] = strconv.Atoi(fs[6])
		e.BytesSent, errs[5] = strconv.ParseInt(fs[7], 10, 64)
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("testserver: nginx access log %s: line %q: %v", n.AccessLogFile, line, err)
			}
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("testserver: nginx access log %s: %w", n.AccessLogFile, err)
	}
	return entries, nil
}

// WaitAccessLog waits until the access log holds at least count entries
// and returns them; it fails the test after 5s.
func (n *Nginx) WaitAccessLog(t testing.TB, count int) []AccessEntry {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		entries, err := n.AccessLog()
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) >= count {
			return entries
		}
		if time.Now().After(deadline) {
			t.Fatalf("testserver: nginx access log has %d entries after %v; want at least %d", len(entries), readyTimeout, count)
		}
		time.Sleep(readyPoll)
	}
}
