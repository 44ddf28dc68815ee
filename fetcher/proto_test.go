package fetcher

import (
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// testProto is a protocol a shared test runs over. One test body runs
// over each protocol as a subtest named after it (run), as net/http's
// clientserver_test.go runs its tests over HTTP/1 and HTTP/2 with
// run(t, f, modes): what works over one protocol is checked over the
// others by the same lines.
type testProto string

const (
	http1Proto  testProto = "http1"  // HTTP/1.1 over TCP
	https1Proto testProto = "https1" // HTTP/1.1 over TLS (HTTPVersion1: ALPN offers http/1.1 alone)
	http2Proto  testProto = "http2"  // HTTP/2 over TLS, chosen by ALPN
	h2cProto    testProto = "h2c"    // HTTP/2 over TCP with prior knowledge
)

// Sets of protocols for run: HTTP/1.1 and HTTP/2 in the clear and over
// TLS, or one of each.
var (
	allProtos  = []testProto{http1Proto, https1Proto, http2Proto, h2cProto}
	bothProtos = []testProto{http1Proto, http2Proto}
)

// run runs f over each protocol of protos, each in a subtest of its own.
func run(t *testing.T, f func(t *testing.T, p testProto), protos []testProto) {
	t.Helper()
	for _, p := range protos {
		t.Run(string(p), func(t *testing.T) { f(t, p) })
	}
}

// nginxAll starts nginx speaking every protocol: HTTP/1.1 on its
// cleartext port, TLS offering h2 and http/1.1, and h2c on a port of its
// own. Files defaults to testserver.DefaultSizes.
func nginxAll(t *testing.T, opts testserver.NginxOptions) *testserver.Nginx {
	t.Helper()
	opts.TLS, opts.HTTP2 = true, true
	if opts.Files == nil {
		opts.Files = testserver.SizedFiles(testserver.DefaultSizes...)
	}
	return testserver.StartNginx(t, opts)
}

// url is the base URL of ng that speaks p.
func (p testProto) url(ng *testserver.Nginx) string {
	switch p {
	case http1Proto:
		return ng.URL
	case h2cProto:
		return ng.H2CURL
	}
	return ng.TLSURL
}

// config makes cfg speak p to nginxAll's ng: its HTTP version and CA.
func (p testProto) config(cfg *Config, ng *testserver.Nginx) {
	cfg.RootCAs = ng.CAPool
	switch p {
	case https1Proto:
		cfg.HTTPVersion = HTTPVersion1
	case h2cProto:
		cfg.HTTPVersion = HTTPVersion2PriorKnowledge
	}
}

// h2 reports whether p is HTTP/2.
func (p testProto) h2() bool { return p == http2Proto || p == h2cProto }

// resultProto is Result.Proto of an answer over p.
func (p testProto) resultProto() string {
	if p.h2() {
		return protoHTTP2
	}
	return protoHTTP11
}

// requestLine is the end of a request line of p as RunConfig.Verbose shows
// it.
func (p testProto) requestLine() string {
	if p.h2() {
		return " HTTP/2\n"
	}
	return " HTTP/1.1\n"
}
