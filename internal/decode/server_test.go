package decode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// lookTool finds a program of the machine image (curl, zstd): a skip
// where it is missing, a failure in CI.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "0" && ci != "false" {
			t.Fatalf("%s not found on PATH; CI is set, so this is a failure, not a skip", name)
		}
		t.Skipf("%s not found on PATH", name)
	}
	return p
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// getRaw fetches url asking for accept, undecoded, and returns the
// response and its wire body.
func getRaw(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", accept)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// curlDecoded is what curl --compressed makes of url asking for accept.
func curlDecoded(t *testing.T, curl, url, accept string) []byte {
	t.Helper()
	out, err := exec.Command(curl, "-sS", "--max-time", "10", "--compressed", "-H", "Accept-Encoding: "+accept, url).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", url, err)
	}
	return out
}

// TestApacheEncodings decodes what real Apache sends with mod_brotli and
// mod_deflate (the reference brotli and zlib encoders), and checks the
// sha256 of the result against the file and against curl --compressed.
func TestApacheEncodings(t *testing.T) {
	curl := lookTool(t, "curl")
	page := testserver.SizedBody(300 << 10)
	a := testserver.StartApache(t, testserver.ApacheOptions{Compress: true, Files: map[string][]byte{"page.html": page}})
	for _, tt := range []struct{ accept, want string }{
		{AcceptEncoding, "br"},
		{"gzip, deflate", "gzip"},
		{"identity", ""},
	} {
		t.Run(tt.accept, func(t *testing.T) {
			resp, wire := getRaw(t, a.URL+"/page.html", tt.accept)
			if got := resp.Header.Get("Content-Encoding"); got != tt.want {
				t.Fatalf("Apache sent Content-Encoding %q; want %q", got, tt.want)
			}
			r, err := NewReader(bytes.NewReader(wire), resp.Header.Values("Content-Encoding")...)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("decoding %d bytes of %s: %v", len(wire), tt.want, err)
			}
			if sum(got) != sum(page) {
				t.Fatalf("decoded %d bytes, sha256 %s; want the file's %d bytes, %s", len(got), sum(got), len(page), sum(page))
			}
			if c := curlDecoded(t, curl, a.URL+"/page.html", tt.accept); sum(c) != sum(got) {
				t.Fatalf("curl --compressed decoded sha256 %s; we %s", sum(c), sum(got))
			}
		})
	}
}

// TestNginxZstd serves, through nginx, bodies the reference zstd CLI
// compressed, labelled Content-Encoding: zstd: one decodes to the file
// (as curl --compressed decodes it), and one whose frame asks for a
// 16 MiB window (zstd --long=24 on a stream) is refused, naming zstd.
func TestNginxZstd(t *testing.T) {
	curl := lookTool(t, "curl")
	zstdCLI := lookTool(t, "zstd")
	page := testserver.SizedBody(500 << 10)
	compress := func(args ...string) []byte {
		cmd := exec.Command(zstdCLI, append([]string{"-q", "-c"}, args...)...)
		cmd.Stdin = bytes.NewReader(page)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zstd %v: %v", args, err)
		}
		return out
	}
	n := testserver.StartNginx(t, testserver.NginxOptions{
		Files:             map[string][]byte{"page.zst": compress("-19"), "long.zst": compress("--long=24")},
		ExtraServerConfig: `location ~ \.zst$ { add_header Content-Encoding zstd; default_type text/html; }`,
	})

	resp, wire := getRaw(t, n.URL+"/page.zst", AcceptEncoding)
	r, err := NewReader(bytes.NewReader(wire), resp.Header.Values("Content-Encoding")...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || sum(got) != sum(page) {
		t.Fatalf("decoded %d bytes (%v), sha256 %s; want %s", len(got), err, sum(got), sum(page))
	}
	if c := curlDecoded(t, curl, n.URL+"/page.zst", "zstd"); sum(c) != sum(page) {
		t.Fatalf("curl --compressed decoded sha256 %s; want %s", sum(c), sum(page))
	}

	resp, wire = getRaw(t, n.URL+"/long.zst", AcceptEncoding)
	r, err = NewReader(bytes.NewReader(wire), resp.Header.Values("Content-Encoding")...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	r.Close()
	var de *Error
	if !errors.As(err, &de) || de.Coding != "zstd" || !strings.Contains(err.Error(), "window") {
		t.Fatalf("a 16 MiB window: got %v; want an *Error naming zstd and the window", err)
	}
}
