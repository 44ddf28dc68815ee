package testserver

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"
)

// TestH2O starts h2o and fetches a file over HTTPS with ALPN h2 (Go's
// client) and over cleartext HTTP/1.1.
func TestH2O(t *testing.T) {
	h := StartH2O(t, H2OOptions{Files: SizedFiles(1000)})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.Certs.CAPool}, ForceAttemptHTTP2: true}}
	defer c.CloseIdleConnections()
	for _, u := range []string{h.TLSURL + "/" + SizedPath(1000), h.URL + "/" + SizedPath(1000)} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) != 1000 {
			t.Errorf("%s: got %d, %d bytes; want 200, 1000", u, resp.StatusCode, len(body))
		}
		if want := map[bool]int{true: 2, false: 1}[u == h.TLSURL+"/"+SizedPath(1000)]; resp.ProtoMajor != want {
			t.Errorf("%s: got %s; want HTTP/%d", u, resp.Proto, want)
		}
	}
}
