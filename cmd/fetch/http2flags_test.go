package main

import (
	"context"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// TestHTTPVersionFlags parses --http1.1, --http2 and
// --http2-prior-knowledge, and refuses two different ones.
func TestHTTPVersionFlags(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		want    fetcher.HTTPVersion
		wantErr string
	}{
		{[]string{"x"}, fetcher.HTTPVersionAuto, ""},
		{[]string{"--http1.1", "x"}, fetcher.HTTPVersion1, ""},
		{[]string{"--http2", "x"}, fetcher.HTTPVersion2, ""},
		{[]string{"--http2-prior-knowledge", "x"}, fetcher.HTTPVersion2PriorKnowledge, ""},
		{[]string{"--http2", "--http2", "x"}, fetcher.HTTPVersion2, ""},
		{[]string{"--http2", "--http2=false", "x"}, fetcher.HTTPVersionAuto, ""},
		{[]string{"--http1.1", "--http2", "x"}, 0, "fetch: --http1.1 and --http2 exclude each other: choose one HTTP version\n"},
		{[]string{"--http2", "--http1.1", "x"}, 0, "fetch: --http2 and --http1.1 exclude each other: choose one HTTP version\n"},
		{[]string{"--http2-prior-knowledge", "--http2", "x"}, 0, "fetch: --http2-prior-knowledge and --http2 exclude each other"},
		{[]string{"--http1.1", "--http2", "--http2=false", "x"}, fetcher.HTTPVersion1, ""},
		{[]string{"--http2=maybe", "x"}, 0, "want true or false"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, _, errOut := Test()
			var got *Options
			code := newCmdFetch(context.Background(), ios, tt.args, func(_ context.Context, o *Options) exitCode {
				got = o
				return exitOK
			})
			if tt.wantErr != "" {
				if code != exitUsage || got != nil || !strings.Contains(errOut.String(), tt.wantErr) {
					t.Errorf("got exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, tt.wantErr)
				}
				return
			}
			if code != exitOK || got == nil {
				t.Fatalf("got exit %d, stderr %q", code, errOut)
			}
			eq(t, "HTTPVersion", got.HTTPVersion, tt.want)
			cfg, err := engineConfig(got)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "Config.HTTPVersion", cfg.HTTPVersion, tt.want)
		})
	}
}

// TestE2EHTTP2 runs the binary against nginx with HTTP/2: results say
// which protocol answered, and the summary counts the HTTP/2 connections
// and streams.
func TestE2EHTTP2(t *testing.T) {
	ng := testserver.StartNginx(t, testserver.NginxOptions{TLS: true, HTTP2: true, Files: testserver.SizedFiles(1000)})
	small := "/" + testserver.SizedPath(1000)
	for _, tt := range []struct {
		name  string
		args  []string
		proto string
		h2    float64 // h2_streams in the summary
	}{
		{"default", []string{ng.TLSURL + small, ng.TLSURL + small}, "HTTP/2.0", 2},
		{"http1.1", []string{"--http1.1", ng.TLSURL + small, ng.TLSURL + small}, "HTTP/1.1", 0},
		{"http2", []string{"--http2", ng.TLSURL + small}, "HTTP/2.0", 1},
		{"prior knowledge", []string{"--http2-prior-knowledge", ng.H2CURL + small}, "HTTP/2.0", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, "", append([]string{"--json", "--hubs", "1", "--cacert", ng.CAFile}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("got exit %d; want 0; stderr %q", r.code, r.stderr)
			}
			objs := parseNDJSON(t, r.stdout)
			for _, o := range objs["result"] {
				if o["proto"] != tt.proto || o["status"] != float64(200) {
					t.Errorf("%v: got proto %v, status %v; want %s, 200", o["url"], o["proto"], o["status"], tt.proto)
				}
			}
			sum := objs["summary"][0]
			if got, _ := sum["h2_streams"].(float64); got != tt.h2 {
				t.Errorf("got summary h2_streams %v; want %v", sum["h2_streams"], tt.h2)
			}
			if tt.h2 > 0 && sum["h2_conns"] != float64(1) {
				t.Errorf("got summary h2_conns %v; want 1", sum["h2_conns"])
			}
		})
	}
}

// TestE2EHTTP2Text checks the text summary's HTTP/2 counts.
func TestE2EHTTP2Text(t *testing.T) {
	ng := testserver.StartNginx(t, testserver.NginxOptions{TLS: true, HTTP2: true, Files: testserver.SizedFiles(1000)})
	u := ng.TLSURL + "/" + testserver.SizedPath(1000)
	r := fetch(t, "", "--hubs", "1", "--cacert", ng.CAFile, u, u, u)
	if r.code != 0 || !strings.Contains(r.stdout, ", HTTP/2 3 streams on 1 conns\n") {
		t.Errorf("got exit %d, stdout %q; want the summary to count 3 HTTP/2 streams on 1 conn", r.code, r.stdout)
	}
}
