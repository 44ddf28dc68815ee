package main

import (
	"strconv"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestE2ENginx runs the binary against a real nginx: plain and TLS
// (--cacert, -k, a certificate that fails), gzip with --compressed,
// chunked bodies, statuses and redirects.
func TestE2ENginx(t *testing.T) {
	ng := testserver.StartNginx(t, testserver.NginxOptions{
		TLS:   true,
		Gzip:  true,
		Files: testserver.SizedFiles(1000, 100000),
	})
	small, big := "/"+testserver.SizedPath(1000), "/"+testserver.SizedPath(100000)
	type want struct {
		status float64
		bytes  float64 // -1: not checked
		kind   any     // nil or the error_kind
	}
	tests := []struct {
		name     string
		args     []string
		want     map[string]want // by URL
		wantExit int
	}{
		{
			name: "plain, gzip, chunked, status, redirect",
			args: []string{"--compressed", ng.URL + small, ng.URL + big, ng.URL + testserver.ChunkedPrefix + testserver.SizedPath(100000),
				ng.URL + testserver.NotFoundPath, ng.URL + testserver.RedirectPrefix + "301" + big, ng.URL + testserver.RedirectLoopPath},
			want: map[string]want{
				ng.URL + small: {200, 1000, nil},
				ng.URL + big:   {200, 100000, nil},
				ng.URL + testserver.ChunkedPrefix + testserver.SizedPath(100000): {200, 100000, nil},
				ng.URL + testserver.NotFoundPath:                                 {404, -1, nil},
				ng.URL + testserver.RedirectPrefix + "301" + big:                 {200, 100000, nil},
				ng.URL + testserver.RedirectLoopPath:                             {302, -1, "too_many_redirects"},
			},
			wantExit: 1,
		},
		{
			name: "TLS with --cacert",
			args: []string{"--cacert", ng.CAFile, ng.TLSURL + small, ng.UntrustedURL + small, ng.ExpiredURL + small, ng.WrongNameURL + small},
			want: map[string]want{
				ng.TLSURL + small:       {200, 1000, nil},
				ng.UntrustedURL + small: {0, -1, "tls"},
				ng.ExpiredURL + small:   {0, -1, "tls"},
				ng.WrongNameURL + small: {0, -1, "tls"},
			},
			wantExit: 1,
		},
		{
			name:     "TLS with -k",
			args:     []string{"-k", ng.UntrustedURL + small},
			want:     map[string]want{ng.UntrustedURL + small: {200, 1000, nil}},
			wantExit: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, "", append([]string{"--json"}, tt.args...)...)
			if r.code != tt.wantExit {
				t.Errorf("got exit %d; want %d; stderr %q", r.code, tt.wantExit, r.stderr)
			}
			objs := parseNDJSON(t, r.stdout)
			res := resultsByURL(objs["result"])
			for url, w := range tt.want {
				o, ok := res[url]
				if !ok {
					t.Errorf("no result for %s", url)
					continue
				}
				if o["error_kind"] != w.kind {
					t.Errorf("%s: got error_kind %v (%v); want %v", url, o["error_kind"], o["error"], w.kind)
				}
				if w.kind == nil && o["status"] != w.status {
					t.Errorf("%s: got status %v; want %v", url, o["status"], w.status)
				}
				if w.bytes >= 0 && o["bytes"] != w.bytes {
					t.Errorf("%s: got bytes %v; want %s", url, o["bytes"], strconv.FormatFloat(w.bytes, 'f', -1, 64))
				}
			}
			if len(res) != len(tt.want) {
				t.Errorf("got %d results; want %d", len(res), len(tt.want))
			}
		})
	}
}
