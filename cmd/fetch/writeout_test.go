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
