package fetcher

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidate: every field is checked, and each error names the flag (or
// field) to change, for the user to read as it is.
func TestValidate(t *testing.T) {
	badPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(badPEM, []byte("not a certificate"), 0o644)
	tests := []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"zero value", Config{}, ""},
		{"a full config", Config{Timeout: time.Second, Retries: 3, RetryAllErrors: true, RetryMaxTime: time.Second, MaxRedirects: 3, Method: "PATCH", Data: "x",
			HeaderLines: []string{"Host: v", "X-A: 1", "User-Agent:", "X-B;"}, Headers: http.Header{"Cookie": {"a=b"}}, Compressed: true, Concurrency: 5, Family: Family6}, ""},
		{"negative timeout", Config{Timeout: -time.Second}, "-m/--max-time"},
		{"negative connect timeout", Config{ConnectTimeout: -1}, "--connect-timeout"},
		{"negative TLS timeout", Config{TLSTimeout: -1}, "--tls-timeout"},
		{"negative header timeout", Config{HeaderTimeout: -1}, "HeaderTimeout"},
		{"negative idle read timeout", Config{IdleReadTimeout: -1}, "IdleReadTimeout"},
		{"negative retry max time", Config{RetryMaxTime: -1}, "--retry-max-time"},
		{"negative retries", Config{Retries: -1}, "--retry"},
		{"negative redirects", Config{MaxRedirects: -1}, "--max-redirs: want 0 (the default) or more, got -1; 0 follows none"},
		{"negative connects per host", Config{MaxConnectsPerHost: -1}, "--connects-per-host"},
		{"redirects with NoRedirects", Config{MaxRedirects: 3, NoRedirects: true}, "--max-redirs"},
		{"negative idle per host", Config{MaxIdlePerHost: -1}, "NoKeepAlive"},
		{"negative concurrency", Config{Concurrency: -2}, "-c/--concurrency"},
		{"negative max body", Config{MaxBody: -1}, "--max-body"},
		{"negative rate", Config{Rate: -1}, "--rate"},
		{"bad family", Config{Family: 9}, "Family"},
		{"bad method", Config{Method: "GE T"}, "-X/--request"},
		{"HEAD with data", Config{Method: "HEAD", Data: "x"}, "-d/--data"},
		{"missing data file", Config{Data: "@/no/such/file"}, "-d/--data @/no/such/file: no such file"},
		{"bad user agent", Config{UserAgent: "a\nb"}, "-A/--user-agent"},
		{"header line without colon", Config{HeaderLines: []string{"X-A"}}, `-H "X-A": want "Name: value"`},
		{"header name", Config{HeaderLines: []string{"Bad Name: x"}}, "header name"},
		{"header value", Config{Headers: http.Header{"X-A": {"a\r\nInjected: 1"}}}, "line break"},
		{"content-length", Config{HeaderLines: []string{"Content-Length: 3"}}, `-H "Content-Length: 3": Content-Length is set by the client; use -d/--data`},
		{"transfer-encoding", Config{HeaderLines: []string{"transfer-encoding: chunked"}}, "use -d/--data"},
		{"connection", Config{HeaderLines: []string{"Connection: close"}}, `-H "Connection: close": Connection is managed by the client (it keeps connections alive and closes them itself)`},
		{"accept-encoding without compressed", Config{Headers: http.Header{"Accept-Encoding": {"br"}}}, "--compressed"},
		{"empty host", Config{HeaderLines: []string{"Host;"}}, "empty Host"},
		{"ca file missing", Config{CAFile: "/no/such/ca.pem"}, "--cacert /no/such/ca.pem: no such file"},
		{"ca file not PEM", Config{CAFile: badPEM}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate: got %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: got %v; want an error saying %q", err, tt.want)
			}
			if _, nerr := NewClient(tt.cfg); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("NewClient: got %v; want Validate's error", nerr)
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
