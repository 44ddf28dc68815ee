package serve

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		name string
		path string
		want Spec
	}{
		{name: "empty", path: "", want: Spec{Size: DefaultSize}},
		{name: "slashes only", path: "//", want: Spec{Size: DefaultSize}},
		{name: "all options", path: "/delay/500ms/size/16KiB/status/404/chunked/gzip/close/drip/2s/pieces/4/redirect/3/redirect-code/307/type/text%2Fhtml/header/A:1/header/B:2",
			want: Spec{Delay: 500 * time.Millisecond, Size: 16 << 10, Status: 404, Chunked: true, Gzip: true, Close: true,
				Drip: 2 * time.Second, Pieces: 4, Redirect: 3, RedirectCode: 307, Type: "text/html", Headers: []string{"A:1", "B:2"}}},
		{name: "eof", path: "/eof", want: Spec{Size: DefaultSize, EOF: true}},
		{name: "plain milliseconds", path: "/delay/250", want: Spec{Size: DefaultSize, Delay: 250 * time.Millisecond}},
		{name: "zero delay", path: "/delay/0", want: Spec{Size: DefaultSize}},
		{name: "redirect-to", path: "/redirect-to/http%3A%2F%2Fa%2Fb%3Fc%3Dd", want: Spec{Size: DefaultSize, RedirectTo: "http://a/b?c=d"}},
		{name: "size units", path: "/size/10MB", want: Spec{Size: 10e6}},
		{name: "pieces without drip", path: "/pieces/3", want: Spec{Size: DefaultSize, Pieces: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePath(tt.path)
			if err != nil {
				t.Fatalf("got ParsePath(%q) error %v; want nil", tt.path, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got ParsePath(%q) = %+v; want %+v", tt.path, got, tt.want)
			}
			back, err := ParsePath(got.Path())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("got ParsePath(%q) = %+v, %v; want %+v", got.Path(), back, err, got)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, path := range []string{"/x", "/size", "/size/1/size/2", "/size/%zz", "/chunked/eof", "/redirect/1/redirect-to/x", "/" + strings.Repeat("a", 3*maxSegment+1)} {
		_, err := ParsePath(path)
		if !errors.Is(err, errPath) {
			t.Errorf("got ParsePath(%.40q) error %v; want a bad path error", path, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "512", want: 512},
		{in: "512B", want: 512},
		{in: "512b", want: 512},
		{in: "1KB", want: 1000},
		{in: "16KiB", want: 16 << 10},
		{in: "10MB", want: 10e6},
		{in: "3MiB", want: 3 << 20},
		{in: "1GB", want: 1e9},
		{in: "1GiB", want: 1 << 30},
		{in: "2TB", want: 2e12},
		{in: "1024TiB", want: 1 << 50}, // the limit: 1 PiB
		{in: "1125899906842624", want: 1 << 50},
		{in: "1125899906842625", wantErr: true},
		{in: "1025TiB", wantErr: true},
		{in: "9223372036854775807", wantErr: true}, // MaxInt64
		{in: "99999999999999999999999", wantErr: true},
		{in: "", wantErr: true},
		{in: "KiB", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "1.5KiB", wantErr: true},
		{in: "1 KiB", wantErr: true},
		{in: "1K", wantErr: true},
		{in: "0x10", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("got ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {5, "5"}, {1000, "1000"}, {1024, "1KiB"}, {16 << 10, "16KiB"}, {1536, "1536"},
		{3 << 20, "3MiB"}, {1 << 30, "1GiB"}, {5 << 40, "5TiB"}, {1<<30 + 1024, "1048577KiB"},
	}
	for _, tt := range tests {
		got := FormatSize(tt.in)
		if got != tt.want {
			t.Errorf("got FormatSize(%d) = %q; want %q", tt.in, got, tt.want)
		}
		if back, err := ParseSize(got); err != nil || back != tt.in {
			t.Errorf("got ParseSize(FormatSize(%d)) = %d, %v; want %d", tt.in, back, err, tt.in)
		}
	}
}

func TestURLFor(t *testing.T) {
	tests := []struct {
		base  string
		delay time.Duration
		size  int64
		want  string
	}{
		{"http://127.0.0.1:8080", 500 * time.Millisecond, 16 << 10, "http://127.0.0.1:8080/delay/500ms/size/16KiB"},
		{"http://127.0.0.1:8080/", 1500 * time.Millisecond, 5, "http://127.0.0.1:8080/delay/1.5s/size/5"},
		{"http://h", 0, 0, "http://h/size/0"},
		{"http://h", 3 * time.Second, 1 << 10, "http://h/delay/3s/size/1KiB"},
		{"http://h", 1500 * time.Microsecond, 1, "http://h/delay/1.5ms/size/1"},
		{"http://h", time.Microsecond, 1, "http://h/delay/1%C2%B5s/size/1"},
	}
	for _, tt := range tests {
		got := URLFor(tt.base, tt.delay, tt.size)
		if got != tt.want {
			t.Errorf("got URLFor(%q, %v, %d) = %q; want %q", tt.base, tt.delay, tt.size, got, tt.want)
		}
		path := strings.TrimPrefix(got, strings.TrimSuffix(tt.base, "/"))
		sp, err := ParsePath(path)
		if err != nil || sp.Delay != tt.delay || sp.Size != tt.size {
			t.Errorf("got ParsePath(%q) = %+v, %v; want delay %v, size %d", path, sp, err, tt.delay, tt.size)
		}
	}
}

func TestBody(t *testing.T) {
	if len(Pattern) != 63 {
		t.Fatalf("got len(Pattern) = %d; want 63", len(Pattern))
	}
	if len(patternBuf)%len(Pattern) != 0 {
		t.Fatalf("got len(patternBuf) = %d; want a multiple of %d", len(patternBuf), len(Pattern))
	}
	b := Body(200)
	if string(b[:5]) != "01234" || b[62] != '\n' || b[63] != '0' || b[199] != Pattern[199%63] {
		t.Errorf("got Body(200) = %q; want Pattern repeated", b)
	}
	// writePattern from any offset continues the same stream.
	var sb strings.Builder
	for _, n := range []int64{1, 62, 1, 70000, 5, 131072} {
		off := int64(sb.Len())
		if err := writePattern(&sb, off, n); err != nil {
			t.Fatal(err)
		}
	}
	if want := Body(int64(sb.Len())); sb.String() != string(want) {
		t.Errorf("got pieces that do not join into Body(%d)", sb.Len())
	}
}

// FuzzParsePath checks that no path panics the parser, that an error is
// always a bad path error, and that a parsed Spec round-trips through Path.
func FuzzParsePath(f *testing.F) {
	seeds := []string{
		"",
		"/",
		"/delay/500ms/size/16KiB/status/404/chunked/gzip/redirect/3/type/text%2Fhtml",
		"/size/1024TiB",                   // the largest size: 1 PiB
		"/size/1025TiB",                   // just over
		"/size/1125899906842624",          // 1 PiB in bytes
		"/size/9223372036854775807",       // MaxInt64
		"/size/18446744073709551616",      // past uint64
		"/delay/2562047h47m16.854775807s", // MaxInt64 ns
		"/delay/2562047h47m16.854775808s", // one past
		"/delay/999999999999",             // 12 digits of ms
		"/delay/9999999999999",            // 13
		"/status/200", "/status/599", "/status/199", "/status/600",
		"/redirect/1000", "/redirect/1001", "/redirect/0",
		"/pieces/100000", "/pieces/100001", "/drip/1ns/pieces/1",
		"/redirect-code/308", "/redirect-code/304",
		"/redirect-to/%2F", "/redirect-to/%00", "/redirect-to/%zz",
		"/header/A:1/header/B:2/header/C:3/header/D:4/header/E:5/header/F:6/header/G:7/header/H:8" +
			"/header/I:9/header/J:10/header/K:11/header/L:12/header/M:13/header/N:14/header/O:15/header/P:16", // 16, the limit
		"/header/:x", "/header/A%0D%0AB:1", "/header/Transfer-Encoding:chunked",
		"/type/%E2%82%AC", "/delay/1%C2%B5s",
		"/chunked/eof", "/redirect/1/redirect-to/x",
		"/" + strings.Repeat("a", 4096),
		"/type/" + strings.Repeat("%41", 4096), // 4096 bytes unescaped: the limit
		"/type/" + strings.Repeat("%41", 4097),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		sp, err := ParsePath(path)
		if err != nil {
			if !errors.Is(err, errPath) {
				t.Fatalf("got ParsePath(%q) error %v; want a bad path error", path, err)
			}
			return
		}
		if sp.Size < 0 || sp.Size > maxSizeValue || sp.Delay < 0 || sp.Drip < 0 ||
			sp.Redirect < 0 || sp.Redirect > maxRedirects || sp.Pieces < 0 || sp.Pieces > maxPieces ||
			len(sp.Headers) > maxHeaders || (sp.Chunked && sp.EOF) {
			t.Fatalf("got ParsePath(%q) = %+v; out of bounds", path, sp)
		}
		if sp.Status != 0 && (sp.Status < 200 || sp.Status > 599) {
			t.Fatalf("got ParsePath(%q) status %d; want 200 to 599", path, sp.Status)
		}
		back, err := ParsePath(sp.Path())
		if err != nil {
			t.Fatalf("got ParsePath(%q) error %v; want %+v (from %q)", sp.Path(), err, sp, path)
		}
		if !reflect.DeepEqual(back, sp) {
			t.Fatalf("got ParsePath(%q) = %+v; want %+v (from %q)", sp.Path(), back, sp, path)
		}
	})
}
