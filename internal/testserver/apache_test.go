package testserver

import (
	"net/http"
	"strings"
	"testing"
)

// TestApache starts Apache and checks what it serves: the docroot, a
// Digest challenge, Basic with right and wrong passwords, and brotli or
// gzip as the client asks.
func TestApache(t *testing.T) {
	a := StartApache(t, ApacheOptions{
		Users:    map[string]string{"alice": "s3cret"},
		Compress: true,
		Files:    map[string][]byte{"page.html": SizedBody(10000)},
	})
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	tests := []struct {
		name       string
		path       string
		user, pass string
		accept     string
		wantStatus int
		wantHeader string // "Name: value-prefix"
	}{
		{name: "index", path: "/", wantStatus: 200},
		{name: "digest challenge", path: DigestPrefix, wantStatus: 401, wantHeader: `Www-Authenticate: Digest realm="greenfetch", nonce="`},
		{name: "basic challenge", path: BasicPrefix, wantStatus: 401, wantHeader: `Www-Authenticate: Basic realm="greenfetch"`},
		{name: "basic right", path: BasicPrefix, user: "alice", pass: "s3cret", wantStatus: 200},
		{name: "basic wrong", path: BasicPrefix, user: "alice", pass: "S3cret", wantStatus: 401},
		{name: "brotli", path: "/page.html", accept: "br, gzip", wantStatus: 200, wantHeader: "Content-Encoding: br"},
		{name: "gzip", path: "/page.html", accept: "gzip", wantStatus: 200, wantHeader: "Content-Encoding: gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", a.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: got status %d; want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantHeader != "" {
				name, prefix, _ := strings.Cut(tt.wantHeader, ": ")
				if got := resp.Header.Get(name); !strings.HasPrefix(got, prefix) {
					t.Fatalf("GET %s: got %s: %q; want it to start with %q", tt.path, name, got, prefix)
				}
			}
		})
	}
}
