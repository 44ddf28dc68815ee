package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/fetcher"
)

// netOptions are the flags of real networks: proxies, Happy Eyeballs and
// the bound on connects per host. Their zero value leaves the fetcher's
// defaults (proxies from the environment, 250ms, 32).
type netOptions struct {
	proxy        proxyValue
	noProxy      string
	attemptDelay durationValue
	maxConnects  connectsValue
}

// netFlagNames are the flags addNetFlags defines, in --help order.
var netFlagNames = []string{"proxy", "noproxy", "attempt-delay", "connects-per-host"}

// addNetFlags defines the network flags on fs.
func addNetFlags(fs *pflag.FlagSet, n *netOptions) {
	fs.VarP(&n.proxy, "proxy", "x", "send every request through the proxy at `URL`: http://, https://, socks5://\n(names resolved here) or socks5h:// (by the proxy), with user:password@ if\nit wants them; \"\" turns off the proxies of the environment (http_proxy,\nhttps_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY, read as curl reads them)")
	fs.StringVar(&n.noProxy, "noproxy", "", "reach the hosts of `LIST` directly: comma-separated names (with their\nsubdomains), IP addresses, CIDR ranges, optional :port; '*' for all\n(overrides no_proxy/NO_PROXY)")
	fs.Var(&n.attemptDelay, "attempt-delay", "with several addresses for a host, start the next connect attempt after `D`\nwhile earlier ones are pending (Happy Eyeballs, RFC 8305; default 250ms)")
	fs.Var(&n.maxConnects, "connects-per-host", "at most `N` connects in progress to one host (default "+strconv.Itoa(fetcher.DefaultMaxConnectsPerHost)+"; 0: no bound; a burst\nqueues in fetch instead of overflowing the server's listen queue)")
}

// configure puts the network options into cfg and checks the proxies
// they and the environment name (the error, a usage error, never shows a
// password: pflag would echo a bad --proxy value, so it is checked here).
func (n *netOptions) configure(cfg *fetcher.Config) error {
	cfg.Proxy = n.proxy.url
	cfg.NoEnvProxy = n.proxy.set && n.proxy.url == ""
	cfg.NoProxy = n.noProxy
	cfg.ConnectAttemptDelay = n.attemptDelay.d
	cfg.MaxConnectsPerHost = n.maxConnects.n
	cfg.NoConnectLimit = n.maxConnects.off
	if err := fetcher.CheckProxies(*cfg); err != nil {
		return inFlagWords(err) // options.go
	}
	return nil
}

// proxyValue is the value of --proxy: a URL, or "" (set) for no proxy at
// all. It is checked by configure.
type proxyValue struct {
	url string
	set bool
}

func (v *proxyValue) String() string { return fetcher.MaskURL(v.url) }
func (v *proxyValue) Type() string   { return "url" }
func (v *proxyValue) Set(s string) error {
	v.url, v.set = strings.TrimSpace(s), true
	return nil
}

// connectsValue is the value of --connects-per-host: 1 or more, or 0
// for no bound.
type connectsValue struct {
	n   int
	off bool
}

func (v *connectsValue) String() string {
	switch {
	case v.off:
		return "0"
	case v.n == 0:
		return ""
	}
	return strconv.Itoa(v.n)
}
func (v *connectsValue) Type() string { return "int" }
func (v *connectsValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a number of 1 or more (0: no bound), got %q", s)
	}
	v.n, v.off = n, n == 0
	return nil
}
