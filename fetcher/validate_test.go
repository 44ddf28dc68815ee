package fetcher

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidate: every field is checked, and each error is a *FieldError
// naming the field (and the value at fault, where it helps) in the
// library's own words: no command-line flag, and no "0 turns it off"
// where zero means a default.
func TestValidate(t *testing.T) {
	badPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(badPEM, []byte("not a certificate"), 0o644)
	tests := []struct {
		name  string
		cfg   RunConfig
		field string // "" for valid
		want  string // in the message
	}{
		{"zero value", RunConfig{}, "", ""},
		{"a full config", RunConfig{Config: Config{Timeout: time.Second, Retries: 3, RetryAllErrors: true, RetryMaxTime: time.Second, MaxRedirects: 3, Method: "PATCH", Data: "x", HeaderLines: []string{"Host: v", "X-A: 1", "User-Agent:", "X-B;"}, Headers: http.Header{"Cookie": {"a=b"}}, Compressed: true, Family: Family6}, Concurrency: 5}, "", ""},
		{"negative timeout", RunConfig{Config: Config{Timeout: -time.Second}}, "Timeout", "fetcher: Config.Timeout: want a duration of 0 (the default) or more, got -1s"},
		{"negative connect timeout", RunConfig{Config: Config{ConnectTimeout: -1}}, "ConnectTimeout", "Config.ConnectTimeout: want a duration"},
		{"negative TLS timeout", RunConfig{Config: Config{TLSTimeout: -1}}, "TLSTimeout", "want a duration"},
		{"negative header timeout", RunConfig{Config: Config{HeaderTimeout: -1}}, "HeaderTimeout", "want a duration"},
		{"negative idle read timeout", RunConfig{Config: Config{IdleReadTimeout: -1}}, "IdleReadTimeout", "want a duration"},
		{"negative retry max time", RunConfig{Config: Config{RetryMaxTime: -1}}, "RetryMaxTime", "want a duration"},
		{"negative attempt delay", RunConfig{Config: Config{ConnectAttemptDelay: -1}}, "ConnectAttemptDelay", "want a duration"},
		{"negative retries", RunConfig{Config: Config{Retries: -1}}, "Retries", "want 0 (the default) or more, got -1"},
		{"negative redirects", RunConfig{Config: Config{MaxRedirects: -1}}, "MaxRedirects", "Config.MaxRedirects: want 0 (the default) or more, got -1; Config.NoRedirects follows none"},
		{"negative connects per host", RunConfig{Config: Config{MaxConnectsPerHost: -1}}, "MaxConnectsPerHost", "; Config.NoConnectLimit turns the bound off"},
		{"redirects with NoRedirects", RunConfig{Config: Config{MaxRedirects: 3, NoRedirects: true}}, "MaxRedirects", "3 redirects asked for with Config.NoRedirects"},
		{"negative idle per host", RunConfig{Config: Config{MaxIdlePerHost: -1}}, "MaxIdlePerHost", "Config.NoKeepAlive"},
		{"negative concurrency", RunConfig{Concurrency: -2}, "Concurrency", "fetcher: RunConfig.Concurrency: want 0 (the default) or more, got -2"},
		{"negative per host", RunConfig{PerHost: -1}, "PerHost", "RunConfig.PerHost"},
		{"negative hubs", RunConfig{Hubs: -1}, "Hubs", "RunConfig.Hubs"},
		{"negative max body", RunConfig{Config: Config{MaxBody: -1}}, "MaxBody", "want 0 (the default) or more"},
		{"negative rate", RunConfig{Rate: -1}, "Rate", "RunConfig.Rate: want 0 (the default: no cap)"},
		{"bad version", RunConfig{Config: Config{HTTPVersion: 9}}, "HTTPVersion", "unknown version 9"},
		{"bad family", RunConfig{Config: Config{Family: 9}}, "Family", "unknown family 9"},
		{"bad method", RunConfig{Config: Config{Method: "GE T"}}, "Method", `Config.Method "GE T": not a valid method`},
		{"HEAD with data", RunConfig{Config: Config{Method: "HEAD", Data: "x"}}, "Data", "a HEAD request (Config.Method) cannot carry a body"},
		{"data file name missing", RunConfig{Config: Config{Data: "@"}}, "Data", `Config.Data "@": no file name after @`},
		{"missing data file", RunConfig{Config: Config{Data: "@/no/such/file"}}, "Data", "Config.Data @/no/such/file: no such file"},
		{"bad user agent", RunConfig{Config: Config{UserAgent: "a\nb"}}, "UserAgent", `Config.UserAgent "a\nb": not a valid header value`},
		{"header line without colon", RunConfig{Config: Config{HeaderLines: []string{"X-A"}}}, "HeaderLines", `Config.HeaderLines "X-A": want "Name: value"`},
		{"header name", RunConfig{Config: Config{HeaderLines: []string{"Bad Name: x"}}}, "HeaderLines", "header name"},
		{"header value", RunConfig{Config: Config{Headers: http.Header{"X-A": {"a\r\nInjected: 1"}}}}, "Headers", "line break"},
		{"content-length", RunConfig{Config: Config{HeaderLines: []string{"Content-Length: 3"}}}, "HeaderLines", `"Content-Length: 3": Content-Length is set by the client; use Config.Data to send a body`},
		{"transfer-encoding", RunConfig{Config: Config{HeaderLines: []string{"transfer-encoding: chunked"}}}, "HeaderLines", "use Config.Data to send a body, Config.Compressed"},
		{"connection", RunConfig{Config: Config{HeaderLines: []string{"Connection: close"}}}, "HeaderLines", `"Connection: close": Connection is managed by the client (it keeps connections alive and closes them itself)`},
		{"accept-encoding without compressed", RunConfig{Config: Config{Headers: http.Header{"Accept-Encoding": {"br"}}}}, "Headers", "use Config.Compressed"},
		{"empty host", RunConfig{Config: Config{HeaderLines: []string{"Host;"}}}, "HeaderLines", "empty Host"},
		{"ca file missing", RunConfig{Config: Config{CAFile: "/no/such/ca.pem"}}, "CAFile", "Config.CAFile /no/such/ca.pem: no such file"},
		{"ca file not PEM", RunConfig{Config: Config{CAFile: badPEM}}, "CAFile", "no PEM certificate"},
		{"bad proxy", RunConfig{Config: Config{Proxy: "ftp://u:secret@q"}}, "Proxy", `Config.Proxy: proxy scheme "ftp" not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.field == "" {
				if err != nil {
					t.Errorf("Validate: got %v; want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate: got %#v; want a *FieldError of %s", err, tt.field)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "--") || strings.Contains(msg, "secret") {
				t.Errorf("Validate: got %q; want a message saying %q, with no flag and no password", msg, tt.want)
			}
			if _, nerr := newClient(tt.cfg); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("newClient: got %v; want Validate's error", nerr)
			}
		})
	}
}

// TestValidateBuildsNothing: Validate of a config without a resolver
// reads no resolv.conf and starts nothing; it is cheap enough to call per
// flag change (no allocation beyond what the checks need).
func TestValidateBuildsNothing(t *testing.T) {
	cfg := Config{Timeout: time.Second, HeaderLines: []string{"X-A: 1"}}
	allocs := testing.AllocsPerRun(100, func() {
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 20 {
		t.Errorf("Validate made %.0f allocations; want a handful (it builds nothing)", allocs)
	}
}
