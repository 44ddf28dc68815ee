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
		cfg  RunConfig
		want string // "" for valid
	}{
		{"zero value", RunConfig{Config: Config{}}, ""},
		{"a full config", RunConfig{Config: Config{Timeout: time.Second, Retries: 3, RetryAllErrors: true, RetryMaxTime: time.Second, MaxRedirects: 3, Method: "PATCH", Data: "x", HeaderLines: []string{"Host: v", "X-A: 1", "User-Agent:", "X-B;"}, Headers: http.Header{"Cookie": {"a=b"}}, Compressed: true, Family: Family6}, Concurrency: 5}, ""},
		{"negative timeout", RunConfig{Config: Config{Timeout: -time.Second}}, "-m/--max-time"},
		{"negative connect timeout", RunConfig{Config: Config{ConnectTimeout: -1}}, "--connect-timeout"},
		{"negative TLS timeout", RunConfig{Config: Config{TLSTimeout: -1}}, "--tls-timeout"},
		{"negative header timeout", RunConfig{Config: Config{HeaderTimeout: -1}}, "HeaderTimeout"},
		{"negative idle read timeout", RunConfig{Config: Config{IdleReadTimeout: -1}}, "IdleReadTimeout"},
		{"negative retry max time", RunConfig{Config: Config{RetryMaxTime: -1}}, "--retry-max-time"},
		{"negative retries", RunConfig{Config: Config{Retries: -1}}, "--retry"},
		{"negative redirects", RunConfig{Config: Config{MaxRedirects: -1}}, "--max-redirs: want 0 (the default) or more, got -1; 0 follows none"},
		{"negative connects per host", RunConfig{Config: Config{MaxConnectsPerHost: -1}}, "--connects-per-host"},
		{"redirects with NoRedirects", RunConfig{Config: Config{MaxRedirects: 3, NoRedirects: true}}, "--max-redirs"},
		{"negative idle per host", RunConfig{Config: Config{MaxIdlePerHost: -1}}, "NoKeepAlive"},
		{"negative concurrency", RunConfig{Concurrency: -2}, "-c/--concurrency"},
		{"negative max body", RunConfig{Config: Config{MaxBody: -1}}, "--max-body"},
		{"negative rate", RunConfig{Rate: -1}, "--rate"},
		{"bad family", RunConfig{Config: Config{Family: 9}}, "Family"},
		{"bad method", RunConfig{Config: Config{Method: "GE T"}}, "-X/--request"},
		{"HEAD with data", RunConfig{Config: Config{Method: "HEAD", Data: "x"}}, "-d/--data"},
		{"missing data file", RunConfig{Config: Config{Data: "@/no/such/file"}}, "-d/--data @/no/such/file: no such file"},
		{"bad user agent", RunConfig{Config: Config{UserAgent: "a\nb"}}, "-A/--user-agent"},
		{"header line without colon", RunConfig{Config: Config{HeaderLines: []string{"X-A"}}}, `-H "X-A": want "Name: value"`},
		{"header name", RunConfig{Config: Config{HeaderLines: []string{"Bad Name: x"}}}, "header name"},
		{"header value", RunConfig{Config: Config{Headers: http.Header{"X-A": {"a\r\nInjected: 1"}}}}, "line break"},
		{"content-length", RunConfig{Config: Config{HeaderLines: []string{"Content-Length: 3"}}}, `-H "Content-Length: 3": Content-Length is set by the client; use -d/--data`},
		{"transfer-encoding", RunConfig{Config: Config{HeaderLines: []string{"transfer-encoding: chunked"}}}, "use -d/--data"},
		{"connection", RunConfig{Config: Config{HeaderLines: []string{"Connection: close"}}}, `-H "Connection: close": Connection is managed by the client (it keeps connections alive and closes them itself)`},
		{"accept-encoding without compressed", RunConfig{Config: Config{Headers: http.Header{"Accept-Encoding": {"br"}}}}, "--compressed"},
		{"empty host", RunConfig{Config: Config{HeaderLines: []string{"Host;"}}}, "empty Host"},
		{"ca file missing", RunConfig{Config: Config{CAFile: "/no/such/ca.pem"}}, "--cacert /no/such/ca.pem: no such file"},
		{"ca file not PEM", RunConfig{Config: Config{CAFile: badPEM}}, "no PEM certificate"},
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
			if _, nerr := newClient(tt.cfg); nerr == nil || nerr.Error() != err.Error() {
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
