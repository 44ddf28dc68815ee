package fetcher

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveName(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"http://example.com/", "example.com_80_index.html"},
		{"http://example.com", "example.com_80_index.html"},
		{"https://Example.COM/a/b.txt", "example.com_443_a_b.txt"},
		{"http://h:8080/dir/", "h_8080_dir_index.html"},
		{"http://h/../../etc/passwd", "h_80_.._.._etc_passwd"},
		{"http://h/%2e%2e/%2e%2e/x", "h_80__2e_2e__2e_2e_x"},
		{"http://h//etc/passwd", "h_80__etc_passwd"},
		{"http://h/a%00b", "h_80_a_00b"},
		{"http://[::1]:81/x", "__1_81_x"},
		{"http://h/a?q=1", "h_80_a_q" + shortHash("q=1")},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := saveName(u); got != tt.want {
			t.Errorf("saveName(%q) = %q; want %q", tt.url, got, tt.want)
		}
	}
	long, _ := url.Parse("http://h/" + strings.Repeat("a/", 500))
	if got := saveName(long); len(got) > maxSaveName || strings.ContainsAny(got, "/\x00") {
		t.Errorf("saveName(long) = %q (%d bytes); want at most %d bytes, no separator", got, len(got), maxSaveName)
	}
}

// TestSaveDir saves bodies of URLs that try to leave the directory: every
// file lands inside it, holds its body, and same names do not collide.
func TestSaveDir(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "body of "+r.URL.RequestURI())
	}))
	defer srv.Close()
	parent := t.TempDir()
	dir := filepath.Join(parent, "save")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"/../../escape", "/%2e%2e/%2e%2e/escape2", "/%2F..%2F..%2Fescape3", "//etc/passwd",
		"/a%00b", "/" + strings.Repeat("long", 200), "/same", "/same", "/", "/dir/",
	}
	var urls []string
	for _, p := range paths {
		urls = append(urls, srv.URL+p)
	}
	res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout}, SaveDir: dir, SHA256: true}, urls)
	seen := map[string]bool{}
	for _, r := range res {
		if !r.OK() {
			t.Errorf("%s: got status %d, error %s; want 200", r.URL, r.Status, errString(r))
			continue
		}
		if filepath.Dir(r.SavedAs) != dir || seen[r.SavedAs] {
			t.Errorf("%s: saved as %q; want a new file directly in %s", r.URL, r.SavedAs, dir)
			continue
		}
		seen[r.SavedAs] = true
		data, err := os.ReadFile(r.SavedAs)
		if err != nil || int64(len(data)) != r.Bytes || sha256Hex(data) != r.SHA256 {
			t.Errorf("%s: file %s has %d bytes (%v); want the %d bytes of the body", r.URL, r.SavedAs, len(data), err, r.Bytes)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("got %d entries beside the save dir; want only it", len(entries))
	}
	files, _ := os.ReadDir(dir)
	if len(files) != len(paths) {
		t.Errorf("got %d files in the save dir; want %d", len(files), len(paths))
	}
	// A missing directory fails each fetch as io, saying why.
	res, _ = runList(t, context.Background(), ModeThreads, RunConfig{Config: Config{Timeout: testTimeout}, SaveDir: filepath.Join(parent, "missing")}, urls[:1])
	if res[0].ErrorKind != KindIO || !strings.Contains(errString(res[0]), "saving") {
		t.Errorf("got %v %q; want io saying the body could not be saved", res[0].ErrorKind, errString(res[0]))
	}
}

// TestMaxBodyRemovesFile checks that a body over the cap leaves no file.
func TestMaxBodyRemovesFile(t *testing.T) {
	s := startServe(t)
	dir := t.TempDir()
	res, _ := runList(t, context.Background(), ModeAsync, RunConfig{Config: Config{Timeout: testTimeout, MaxBody: 1000}, SaveDir: dir}, []string{s.URL() + "/size/5000", s.URL() + "/size/1000"})
	if res[0].ErrorKind != KindTooLarge || res[0].SavedAs != "" || res[1].ErrorKind != KindNone || res[1].Bytes != 1000 {
		t.Errorf("got %v (saved %q), %v %d bytes; want too_large with no file, then 1000 bytes", res[0].ErrorKind, res[0].SavedAs, res[1].ErrorKind, res[1].Bytes)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Errorf("got %d files; want 1", len(files))
	}
}
