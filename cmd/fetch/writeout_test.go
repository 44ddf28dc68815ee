package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

func TestWriteOut(t *testing.T) {
	r := &fetcher.Result{Type: "result", URL: "http://a.test/", Status: 200, Bytes: 5, Label: "id\t1",
		Timings: fetcher.Timings{Total: 1500 * time.Microsecond},
		Headers: http.Header{"Content-Type": {"text/plain"}, "Vary": {"a", "b"}}}
	tests := []struct{ tmpl, want string }{
		{`{status}\t{url}\n`, "200\thttp://a.test/\n"},
		{`{timings_ms.total} {ok} {error_kind}|`, "1.5 true |"},
		{`{label}`, `id\t1`},
		{`{headers.Content-Type};{headers.content-type};{headers.Vary};{headers.Nope}`, "text/plain;text/plain;a, b;"},
		{`\{literal\} \\ \x`, `{literal} \ \x`},
		{`{timings_ms}`, `{"connect":0,"dns":0,"queue":0,"tls":0,"total":1.5,"ttfb":0}`}, // an object: compact JSON, keys sorted
	}
	for _, tt := range tests {
		w, err := parseWriteOut(tt.tmpl)
		if err != nil {
			t.Errorf("parseWriteOut(%q): %v", tt.tmpl, err)
			continue
		}
		if got := string(w.append(nil, r)); got != tt.want {
			t.Errorf("template %q: got %q; want %q", tt.tmpl, got, tt.want)
		}
	}
	for _, bad := range []string{"{stauts}", "{timings_ms.nope}", "{url.x}", "{}", "{url", "{status.0}"} {
		if _, err := parseWriteOut(bad); err == nil {
			t.Errorf("parseWriteOut(%q) = nil error; want a usage error", bad)
		} else if !strings.Contains(err.Error(), "{") && !strings.Contains(err.Error(), "not closed") {
			t.Errorf("parseWriteOut(%q): %v; want it to name the field", bad, err)
		}
	}
}

// TestWriteOutFieldList: the fields an unknown-field error lists are the
// fields a template may name, "ok" (no struct field of Result) included.
func TestWriteOutFieldList(t *testing.T) {
	names := resultFieldNames()
	if !slices.Contains(names, "ok") || !slices.Contains(names, "links") {
		t.Errorf("got %v; want ok and links among them", names)
	}
	for _, name := range names {
		if _, err := parseWriteOut("{" + name + "}"); err != nil {
			t.Errorf("{%s} is listed but refused: %v", name, err)
		}
	}
}

// TestWriteOutCurlVariables: curl's %{name} prints what curl prints for
// the variables a result has; one it has not is a usage error that lists
// those it has, and {http_code} hints at curl's spelling.
func TestWriteOutCurlVariables(t *testing.T) {
	ok := &fetcher.Result{Type: "result", URL: "http://a.test/", FinalURL: "http://b.test/x", Status: 200, Bytes: 5, Redirects: 1,
		ContentType: "text/plain", RemoteAddr: "[::1]:8080", Proto: "HTTP/2.0",
		Timings: fetcher.Timings{DNS: 1 * time.Millisecond, Connect: 2 * time.Millisecond, TLS: 3 * time.Millisecond, TTFB: 10 * time.Millisecond, Total: 1500 * time.Microsecond}}
	failed := &fetcher.Result{Type: "result", URL: "http://c.test/", ErrorKind: fetcher.KindConnect, Timings: fetcher.Timings{Connect: 4 * time.Millisecond, Total: 5 * time.Millisecond}}
	msg := "http://c.test/: connect: refused"
	failed.Error = &msg
	for _, tt := range []struct {
		tmpl     string
		r        *fetcher.Result
		want     string
		wantFail string
	}{
		{`%{http_code} %{response_code}\n`, ok, "200 200\n", ""},
		{`%{http_code}`, failed, "000", ""},
		{`%{url} %{url_effective} %{size_download} %{num_redirects} %{content_type}`, ok, "http://a.test/ http://b.test/x 5 1 text/plain", ""},
		{`%{url_effective}|%{errormsg}`, failed, "http://c.test/|" + msg, ""},
		{`%{remote_ip} %{remote_port} %{http_version}`, ok, "::1 8080 2", ""},
		{`%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}`, ok, "0.001000 0.003000 0.006000 0.010000 0.001500", ""},
		{`%{time_appconnect} %{time_connect}`, failed, "0.000000 0.004000", ""},
		{`{status} %{http_code} 100%`, ok, "200 200 100%", ""},
		{`%{time_redirect}`, nil, "", "%{time_redirect} is not one of curl's variables fetch has (content_type, errormsg, http_code,"},
		{`%{http_code`, nil, "", "'%{' at byte 1 is not closed"},
		{`{http_code}`, nil, "", "unknown field {http_code} (curl's variable is %{http_code})"},
	} {
		w, err := parseWriteOut(tt.tmpl)
		if tt.wantFail != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("parseWriteOut(%q): %v; want %q", tt.tmpl, err, tt.wantFail)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseWriteOut(%q): %v", tt.tmpl, err)
			continue
		}
		if got := string(w.append(nil, tt.r)); got != tt.want {
			t.Errorf("template %q: got %q; want %q", tt.tmpl, got, tt.want)
		}
	}
}
