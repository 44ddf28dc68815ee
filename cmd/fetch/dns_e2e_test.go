package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestE2EDNSServer fetches by name through the async resolver pointed at a
// real dnsmasq with --dns-server: a name that resolves to the embedded
// server, and one that does not exist, in every engine.
func TestE2EDNSServer(t *testing.T) {
	srv := startServe(t)
	d := testserver.StartDnsmasq(t, testserver.DnsmasqOptions{
		Records: []testserver.Record{{Name: "app.test", Type: "A", Value: "127.0.0.1"}},
	})
	u, _ := url.Parse(srv.URL())
	good := fmt.Sprintf("http://app.test:%s/size/100", u.Port())
	bad := fmt.Sprintf("http://missing.test:%s/", u.Port())
	for _, mode := range []string{"sync", "threads", "async"} {
		t.Run(mode, func(t *testing.T) {
			r := fetch(t, "", "--mode", mode, "--dns-server", d.Addr, "--json", good, bad)
			if r.code != 1 {
				t.Fatalf("got exit %d; want 1 (one URL fails)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			byURL := resultsByURL(parseNDJSON(t, r.stdout)["result"])
			if g := byURL[good]; g == nil || g["status"] != float64(200) || g["bytes"] != float64(100) ||
				!strings.HasPrefix(g["remote_addr"].(string), "127.0.0.1:") {
				t.Errorf("got %v for %s; want 200, 100 bytes from 127.0.0.1", g, good)
			}
			if b := byURL[bad]; b == nil || b["error_kind"] != "dns" || !strings.Contains(fmt.Sprint(b["error"]), "missing.test") {
				t.Errorf("got %v for %s; want a dns error naming the host", b, bad)
			}
			sum := parseNDJSON(t, r.stdout)["summary"][0]
			if q := sum["dns"].(map[string]any)["queries"].(float64); q < 2 {
				t.Errorf("got %v DNS queries in the summary; want the async resolver's count (at least 2)", q)
			}
		})
	}
}
