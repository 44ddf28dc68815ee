package fetcher

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// TestH2Response checks the response head rules of RFC 9113 8.3.2 and
// 8.2: what is accepted, and what is malformed.
func TestH2Response(t *testing.T) {
	f := func(kv ...string) []hpack.HeaderField {
		var out []hpack.HeaderField
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		fields []hpack.HeaderField
		err    string
	}{
		{"ok", f(":status", "200", "content-type", "text/plain", "content-length", "5", "set-cookie", "a=1", "set-cookie", "b=2"), ""},
		{"no status", f("content-type", "text/plain"), "bad :status"},
		{"status twice", f(":status", "200", ":status", "204"), "unexpected pseudo-header"},
		{"status not a number", f(":status", "2x0"), "bad :status"},
		{"status too long", f(":status", "2000"), "bad :status"},
		{"request pseudo-header", f(":status", "200", ":path", "/"), "unexpected pseudo-header"},
		{"pseudo after regular", f("server", "x", ":status", "200"), "after a regular field"},
		{"uppercase name", f(":status", "200", "Content-Type", "x"), "invalid field name"},
		{"bad value", f(":status", "200", "x", "a\nb"), "invalid value"},
		{"connection-specific", f(":status", "200", "connection", "close"), "connection-specific"},
		{"transfer-encoding", f(":status", "200", "transfer-encoding", "chunked"), "connection-specific"},
		{"bad content-length", f(":status", "200", "content-length", "-1"), "bad Content-Length"},
		{"conflicting content-length", f(":status", "200", "content-length", "5", "content-length", "6"), "conflicting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp http.Response
			err := h2Response(tc.fields, &resp)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got error %v; want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.ContentLength != 5 || resp.Proto != "HTTP/2.0" ||
				!reflect.DeepEqual(resp.Header["Set-Cookie"], []string{"a=1", "b=2"}) || resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("got %+v", resp)
			}
		})
	}
}

// TestH2Fields checks the request fields made from the rendered header
// lines: lowercase names, connection-specific ones and Host dropped (the
// Host override is the :authority).
func TestH2Fields(t *testing.T) {
	fields := h2Fields([]byte("User-Agent: ua/1\r\nAccept: */*\r\nConnection: close\r\nTE: gzip\r\nTe: trailers\r\nHost: example.test:8443\r\nX-Thing: a: b\r\n"))
	want := []hpack.HeaderField{{Name: "user-agent", Value: "ua/1"}, {Name: "accept", Value: "*/*"}, {Name: "te", Value: "trailers"}, {Name: "x-thing", Value: "a: b"}}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("got %v; want %v", fields, want)
	}
}
