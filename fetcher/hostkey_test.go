package fetcher

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// TestHostPortKeyAndHeader: the allocation-free shortcuts give exactly what
// net.JoinHostPort and the plain Host header construction give, for every
// spelling of a host.
func TestHostPortKeyAndHeader(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8080/x",
		"http://127.0.0.1/x",
		"https://example.org/",
		"https://example.org:443/",
		"http://EXAMPLE.org:80/",
		"http://example.org:/",
		"http://[::1]:8080/",
		"http://[::1]/",
		"http://[fe80::1%25en0]:8080/",
		"http://bücher.example:8080/",
		"http://xn--bcher-kva.example/",
		"http://user:pw@example.org:81/",
	} {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			host, port := hostPort(u)
			if got, want := hostPortKey(u, host, port), net.JoinHostPort(host, port); got != want {
				t.Errorf("hostPortKey = %q; want %q", got, want)
			}
			h, _ := asciiHost(u.Hostname())
			if strings.IndexByte(h, ':') >= 0 {
				h = "[" + h + "]"
			}
			if p := u.Port(); p != "" {
				h += ":" + p
			}
			if got := hostHeader(u); got != h {
				t.Errorf("hostHeader = %q; want %q", got, h)
			}
		})
	}
}
