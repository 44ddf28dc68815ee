package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// isProxyVar reports whether the environment entry kv is one of the proxy
// variables fetch reads (as curl, it proxies loopback too): the tests'
// runs of the binary never inherit the developer's proxies.
func isProxyVar(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	switch strings.ToLower(name) {
	case "http_proxy", "https_proxy", "all_proxy", "no_proxy":
		return true
	}
	return false
}

// The in-process runs of this package's tests never inherit the
// developer's proxies either.
func init() {
	for _, k := range []string{"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"} {
		os.Unsetenv(k)
	}
}

// fetchEnv runs the binary as fetch does, with extra environment.
func fetchEnv(t *testing.T, env []string, args ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, fetchBin, args...)
	cmd.Env = testEnv(env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fetch %v: %v", args, err)
	}
	return ran{out.String(), errOut.String(), code}
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestE2EProxy fetches through tinyproxy with -x and credentials (the JSON
// names the proxy, never the password), turns the environment's proxy off
// with --proxy "" and --noproxy, and fails as connect naming a dead proxy.
func TestE2EProxy(t *testing.T) {
	srv := startServe(t)
	px := testserver.StartTinyproxy(t, testserver.ProxyOptions{User: "carol", Password: "pr0xy-pw"})
	u := srv.URL() + "/size/9"
	dead := deadAddr(t)

	r := fetchEnv(t, nil, "--json", "-x", "http://carol:pr0xy-pw@"+px.Addr, "--attempt-delay", "100ms", "--connects-per-host", "4", u)
	if r.code != 0 || !strings.Contains(r.stdout, `"proxy":"http://`+px.Addr+`"`) || !strings.Contains(r.stdout, `"bytes":9`) {
		t.Errorf("via tinyproxy: exit %d, stdout %s, stderr %s; want 9 bytes via the proxy", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "pr0xy-pw") {
		t.Errorf("the proxy password shows in the output: %s %s", r.stdout, r.stderr)
	}

	for _, tt := range []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"env proxy dead", []string{"http_proxy=http://" + dead}, nil, 1, "connect: proxy http://" + dead},
		{"--proxy empty", []string{"http_proxy=http://" + dead}, []string{"--proxy", ""}, 0, `"bytes":9`},
		{"--noproxy", []string{"http_proxy=http://" + dead}, []string{"--noproxy", "127.0.0.1"}, 0, `"bytes":9`},
		{"no_proxy", []string{"http_proxy=http://" + dead, "no_proxy=127.0.0.0/8"}, nil, 0, `"bytes":9`},
		{"--noproxy star", nil, []string{"-x", "http://" + dead, "--noproxy", "*"}, 0, `"bytes":9`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fetchEnv(t, tt.env, append(append([]string{"--json"}, tt.args...), u)...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, stdout %s, stderr %s; want exit %d and %q", r.code, r.stdout, r.stderr, tt.code, tt.want)
			}
		})
	}

	for _, tt := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"-x", "ftp://u:flag-pw@host"}, "--proxy: proxy scheme \"ftp\" not supported"},
		{nil, []string{"--proxy", "http://u:flag-pw@host:99999"}, "--proxy: proxy port"},
		{[]string{"https_proxy=socks4://u:flag-pw@host"}, nil, "https_proxy: proxy scheme"},
		{nil, []string{"--connects-per-host", "-1"}, "--connects-per-host"},
		{nil, []string{"--attempt-delay", "soon"}, "--attempt-delay"},
	} {
		r := fetchEnv(t, tt.env, append(tt.args, u)...)
		if r.code != 2 || r.stdout != "" || strings.Contains(r.stderr, "flag-pw") || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("fetch %v: exit %d, stdout %q, stderr %q; want exit 2 saying %q, without the password", tt.args, r.code, r.stdout, r.stderr, tt.want)
		}
	}
}

// TestConnectsPerHostValue: --connects-per-host N bounds connects, 0 turns
// the bound off (its own spelling in the fetcher: NoConnectLimit), and
// unset leaves the fetcher's default.
func TestConnectsPerHostValue(t *testing.T) {
	for _, tt := range []struct {
		arg     string
		wantN   int
		wantOff bool
	}{
		{"", 0, false},
		{"4", 4, false},
		{"0", 0, true},
	} {
		var n netOptions
		if tt.arg != "" {
			if err := n.maxConnects.Set(tt.arg); err != nil {
				t.Fatalf("Set(%q): %v", tt.arg, err)
			}
		}
		var cfg fetcher.Config
		if err := n.configure(&cfg); err != nil {
			t.Fatalf("configure after %q: %v", tt.arg, err)
		}
		if cfg.MaxConnectsPerHost != tt.wantN || cfg.NoConnectLimit != tt.wantOff {
			t.Errorf("--connects-per-host %q: got MaxConnectsPerHost %d, NoConnectLimit %v; want %d, %v",
				tt.arg, cfg.MaxConnectsPerHost, cfg.NoConnectLimit, tt.wantN, tt.wantOff)
		}
	}
}
