package fetcher

import (
	"net/http"
	"net/url"
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

// TestReqHeaders checks the one header list and what each protocol makes
// of it: HTTP/1.1 writes every field; HTTP/2 lowercases the names and
// leaves out the connection-specific ones (TE but "trailers"), and the
// Host override is HTTP/1.1's Host and HTTP/2's :authority alike.
func TestReqHeaders(t *testing.T) {
	cfg := Config{UserAgent: "ua/1", HeaderLines: []string{"Keep-Alive: 5", "TE: gzip", "Te: trailers", "Host: example.test:8443", "X-Thing: a: b", "Cookie: c=1"}}
	h, err := newReqHeaders(&cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	wantH1 := "User-Agent: ua/1\r\nAccept: */*\r\nKeep-Alive: 5\r\nTe: gzip\r\nTe: trailers\r\nX-Thing: a: b\r\nCookie: c=1\r\n"
	if string(h.h1) != wantH1 {
		t.Errorf("got HTTP/1.1 fields %q; want %q", h.h1, wantH1)
	}
	if want := strings.Replace(wantH1, "Cookie: c=1\r\n", "", 1); string(h.h1NoCreds) != want {
		t.Errorf("got HTTP/1.1 fields without credentials %q; want %q", h.h1NoCreds, want)
	}
	want := []hpack.HeaderField{{Name: "user-agent", Value: "ua/1"}, {Name: "accept", Value: "*/*"}, {Name: "te", Value: "trailers"}, {Name: "x-thing", Value: "a: b"}, {Name: "cookie", Value: "c=1"}}
	if !reflect.DeepEqual(h.h2, want) {
		t.Errorf("got HTTP/2 fields %v; want %v", h.h2, want)
	}
	wantBody := []hpack.HeaderField{{Name: "content-type", Value: "application/x-www-form-urlencoded"}}
	if string(h.h1Body) != "Content-Type: application/x-www-form-urlencoded\r\n" || !reflect.DeepEqual(h.h2Body, wantBody) {
		t.Errorf("got body fields %q and %v; want Content-Type in both", h.h1Body, h.h2Body)
	}
	u, _ := url.Parse("http://origin.test/")
	if got := h.authority(u, true); got != "example.test:8443" {
		t.Errorf("got authority(own host) = %q; want the override", got)
	}
	if got := h.authority(u, false); got != "origin.test" {
		t.Errorf("got authority(another host) = %q; want origin.test", got)
	}
}
