package testserver

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ProxyOptions configure a proxy started by StartTinyproxy or
// StartMicrosocks.
type ProxyOptions struct {
	// User and Password, if User is set, are the credentials the proxy
	// demands (Basic for tinyproxy, RFC 1929 for microsocks).
	User, Password string
	// ConnectPorts are the ports tinyproxy lets CONNECT reach (it allows
	// only 443 and 563 by default). Ignored by microsocks.
	ConnectPorts []int
}

// Proxy is a proxy server running on 127.0.0.1 for a test.
type Proxy struct {
	// Addr is 127.0.0.1:port.
	Addr string
	// URL is the proxy's URL without credentials: http://127.0.0.1:port or
	// socks5://127.0.0.1:port.
	URL string
	// Log is the server's log file.
	Log string
}

// StartTinyproxy starts Debian's tinyproxy on a free port of 127.0.0.1,
// in the foreground, with a configuration generated into a temporary
// directory: it accepts only 127.0.0.1, lets CONNECT reach
// opts.ConnectPorts, and demands opts.User's Basic credentials when set.
// It is stopped when the test ends; a missing binary skips the test
// (fails it in CI).
func StartTinyproxy(t testing.TB, opts ProxyOptions) *Proxy {
	t.Helper()
	bin := findBinary(t, "tinyproxy")
	dir := t.TempDir()
	logPath := filepath.Join(dir, "tinyproxy.log")
	var addr string
	startServer(t, 1, false, func(ports []int) (launch, error) {
		port := ports[0]
		addr = "127.0.0.1:" + strconv.Itoa(port)
		var conf strings.Builder
		fmt.Fprintf(&conf, "Port %d\nListen 127.0.0.1\nBind 127.0.0.1\nTimeout 30\nMaxClients 200\n", port)
		fmt.Fprintf(&conf, "Allow 127.0.0.1\nLogLevel Info\nLogFile %q\nPidFile %q\nDisableViaHeader Yes\n", logPath, filepath.Join(dir, "tinyproxy.pid"))
		for _, p := range opts.ConnectPorts {
			fmt.Fprintf(&conf, "ConnectPort %d\n", p)
		}
		if opts.User != "" {
			fmt.Fprintf(&conf, "BasicAuth %s %s\n", opts.User, opts.Password)
		}
		confPath := filepath.Join(dir, "tinyproxy.conf")
		out := filepath.Join(dir, "tinyproxy.out")
		return launch{
			name:       "tinyproxy",
			addr:       addr,
			bin:        bin,
			args:       []string{"-d", "-c", confPath},
			configFile: confPath,
			config:     conf.String(),
			out:        out,
			logs:       []string{out, logPath},
			probe:      func() error { return dialOnce(addr) },
			portTaken:  retryAnyFailure,
		}, nil
	})
	return &Proxy{Addr: addr, URL: "http://" + addr, Log: logPath}
}

// StartMicrosocks starts microsocks (a SOCKS5 server) on a free port of
// 127.0.0.1, demanding opts.User's credentials when set. It is stopped
// when the test ends; a missing binary skips the test (fails it in CI).
func StartMicrosocks(t testing.TB, opts ProxyOptions) *Proxy {
	t.Helper()
	bin := findBinary(t, "microsocks")
	dir := t.TempDir()
	out := filepath.Join(dir, "microsocks.out")
	var addr string
	startServer(t, 1, false, func(ports []int) (launch, error) {
		port := ports[0]
		addr = "127.0.0.1:" + strconv.Itoa(port)
		args := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(port)}
		if opts.User != "" {
			args = append(args, "-u", opts.User, "-P", opts.Password)
		}
		return launch{
			name:      "microsocks",
			addr:      addr,
			bin:       bin,
			args:      args,
			out:       out,
			logs:      []string{out},
			probe:     func() error { return dialOnce(addr) },
			portTaken: retryAnyFailure,
		}, nil
	})
	return &Proxy{Addr: addr, URL: "socks5://" + addr, Log: out}
}

// retryAnyFailure makes startServer try new ports after any failed start of
// a proxy, as the proxies always did: their logs need not say that a port
// was taken.
func retryAnyFailure(string) bool { return true }

// dialOnce checks that something accepts TCP connections on addr.
func dialOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, probeTimeout)
	if err != nil {
		return err
	}
	return c.Close()
}
