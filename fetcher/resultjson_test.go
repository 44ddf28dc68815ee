package fetcher

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// resultFields is Result without its methods: encoding/json's reflection
// on it is the reference AppendJSON is held to.
type resultFields Result

// referenceJSON is the result object as encoding/json writes it with HTML
// escaping off (the output contract's encoder).
func referenceJSON(t testing.TB, r *Result) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Type string `json:"type"`
		OK   bool   `json:"ok"`
		*resultFields
	}{r.Type, r.OK(), (*resultFields)(r)})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func checkAppendJSON(t testing.TB, r *Result) {
	t.Helper()
	got, want := r.AppendJSON([]byte("prefix")), referenceJSON(t, r)
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("AppendJSON:\n got %s\nwant %s", got[len("prefix"):], want)
	}
	if !json.Valid(got[len("prefix"):]) {
		t.Fatalf("AppendJSON wrote invalid JSON: %s", got)
	}
}

func TestAppendJSONMatchesEncoder(t *testing.T) {
	msg := "connect: refused \"x\"\n"
	odd := "a&b<c>d\"e\\f\x00\x01\x1f\x7f\b\f\n\r\t\u2028\u2029\xff\xc3é日本\U0001F600"
	for i, r := range []*Result{
		{},
		{Type: "result", URL: "http://h/a?b=1&c=<2>", Mode: ModeAsync, Status: 200, Bytes: 4096, WireBytes: 4300,
			ContentType: "text/html; charset=utf-8", RemoteAddr: "127.0.0.1:80",
			Timings: Timings{Queue: 1500 * time.Nanosecond, DNS: time.Millisecond, Connect: 2*time.Millisecond + 7*time.Microsecond, TTFB: 3 * time.Second, Total: 1234567 * time.Microsecond}},
		{Type: "result", URL: odd, FinalURL: odd, Mode: ModeSync, Status: 503, ContentType: odd, Redirects: 2, Retries: 3,
			Proto: "HTTP/2.0", SHA256: "ab", SavedAs: odd, Label: odd, Proxy: "socks5://p:1080",
			Headers: http.Header{"B": {"1", odd}, "A": nil, odd: {}, "C": {""}}},
		{Type: "result", URL: "u", Error: &msg, ErrorKind: KindTimeout, Mode: ModeThreads},
		{Type: "result", URL: "u", Mode: Mode(9), ErrorKind: ErrorKind(200), Error: new(string)},
		{Type: "result", URL: "u", CrawlInfo: &CrawlInfo{Depth: 3, Parent: odd, Links: 10}},
		{Type: "result", URL: "u", CrawlInfo: &CrawlInfo{}, Headers: http.Header{}},
		{Type: "result", Timings: Timings{Total: -5 * time.Millisecond, TLS: 1<<63 - 1}},
	} {
		t.Run(string(rune('a'+i)), func(t *testing.T) { checkAppendJSON(t, r) })
	}
}

func TestMarshalJSONIsAppendJSON(t *testing.T) {
	r := Result{Type: "result", URL: "http://h/?a=1&b=2", Status: 200}
	b, err := r.MarshalJSON()
	if err != nil || !bytes.Equal(b, r.AppendJSON(nil)) {
		t.Fatalf("MarshalJSON = %s, %v; AppendJSON = %s", b, err, r.AppendJSON(nil))
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["url"] != r.URL || back["ok"] != true {
		t.Fatalf("round trip: %v %v", back, err)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("http://h/a?b=1&c=<2>", "text/html", "x", int64(200), int64(1500), uint8(0), true)
	f.Add("\x00\xff\u2028", "\"\\", "", int64(-1), int64(-1<<62), uint8(7), false)
	f.Fuzz(func(t *testing.T, s1, s2, s3 string, n, d int64, kind uint8, crawl bool) {
		r := &Result{Type: s3, URL: s1, FinalURL: s2, Mode: Mode(kind % 4), Status: int(n), Bytes: n, WireBytes: -n,
			ContentType: s2, Redirects: int(kind), RemoteAddr: s3, Proto: s3, SHA256: s1, SavedAs: s2, Label: s3, Proxy: s1,
			ErrorKind: ErrorKind(kind), Timings: Timings{DNS: time.Duration(d), Total: time.Duration(n)}}
		if kind%2 == 1 {
			r.Error = &s2
			r.Headers = http.Header{s1: {s2, s3}, s3: nil}
		}
		if crawl {
			r.CrawlInfo = &CrawlInfo{Depth: int(kind), Parent: s2, Links: int(n)}
		}
		checkAppendJSON(t, r)
	})
}
