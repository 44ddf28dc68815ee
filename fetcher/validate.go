package fetcher

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Validate checks every field of cfg and returns the first problem as an
// error meant for the user as it is: it names the command-line flag of the
// field where fetch has one (-m/--max-time, -H, -d/--data, ...), else the
// field. It builds nothing (no resolver, no connection) and reads no file
// but CAFile (to parse it) and Data's @FILE (that it can be opened); a
// SaveDir that is missing fails each fetch (KindIO), as it may be made
// after the Config.
// NewClient and Run call it.
func (cfg Config) Validate() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"-m/--max-time", cfg.Timeout},
		{"--connect-timeout", cfg.ConnectTimeout},
		{"--tls-timeout", cfg.TLSTimeout},
		{"Config.HeaderTimeout", cfg.HeaderTimeout},
		{"Config.IdleReadTimeout", cfg.IdleReadTimeout},
		{"--retry-max-time", cfg.RetryMaxTime},
		{"Config.MaxRetryAfter", cfg.MaxRetryAfter},
		{"Config.IdleConnTimeout", cfg.IdleConnTimeout},
		{"--attempt-delay", cfg.ConnectAttemptDelay},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s: want a duration of 0 (the default) or more, got %v", d.flag, d.v)
		}
	}
	for _, n := range []struct {
		flag string
		v    int64
		off  string // the spelling of "off", when a negative number meant it once
	}{
		{"--retry", int64(cfg.Retries), ""},
		{"--max-redirs", int64(cfg.MaxRedirects), "; 0 follows none"},
		{"--max-body", cfg.MaxBody, ""},
		{"Config.MaxIdlePerHost", int64(cfg.MaxIdlePerHost), "; NoKeepAlive turns keep-alive off"},
		{"--connects-per-host", int64(cfg.MaxConnectsPerHost), "; 0 turns the bound off"},
	} {
		if n.v < 0 {
			return fmt.Errorf("%s: want 0 (the default) or more, got %d%s", n.flag, n.v, n.off)
		}
	}
	if cfg.NoRedirects && cfg.MaxRedirects > 0 {
		return fmt.Errorf("--max-redirs: %d redirects asked for with NoRedirects (which is --max-redirs 0)", cfg.MaxRedirects)
	}
	if err := cfg.HTTPVersion.check(); err != nil {
		return err
	}
	if cfg.Family > Family6 {
		return fmt.Errorf("Config.Family: unknown family %d", uint8(cfg.Family))
	}
	if cfg.UserAgent != "" && !httpguts.ValidHeaderFieldValue(cfg.UserAgent) {
		return fmt.Errorf("-A/--user-agent %q: not a valid header value (control bytes?)", cfg.UserAgent)
	}
	if cfg.Method != "" && !validToken(cfg.Method) {
		return fmt.Errorf("-X/--request %q: not a valid method (a token: letters, digits and !#$%%&'*+-.^_`|~)", cfg.Method)
	}
	if cfg.Data != "" && strings.EqualFold(cfg.Method, "HEAD") {
		return errors.New("-d/--data: a HEAD request (-I/--head) cannot carry a body")
	}
	if name, ok := strings.CutPrefix(cfg.Data, "@"); ok {
		if name == "" {
			return errors.New(`-d/--data "@": no file name after @`)
		}
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("-d/--data @%s: %w", name, unwrapPath(err))
		}
		f.Close()
	}
	if _, err := cfg.headerSet(); err != nil {
		return err
	}
	if cfg.CAFile != "" {
		if _, err := readCAFile(cfg.CAFile); err != nil {
			return err
		}
	}
	return CheckProxies(cfg)
}

// Validate checks every field of cfg, its Config's first (Config.Validate),
// and returns the first problem. Run calls it.
func (cfg RunConfig) Validate() error {
	if err := cfg.Config.Validate(); err != nil {
		return err
	}
	for _, n := range []struct {
		flag string
		v    int64
	}{
		{"-c/--concurrency", int64(cfg.Concurrency)},
		{"--per-host", int64(cfg.PerHost)},
		{"--hubs", int64(cfg.Hubs)},
	} {
		if n.v < 0 {
			return fmt.Errorf("%s: want 0 (the default) or more, got %d", n.flag, n.v)
		}
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return fmt.Errorf("--rate: want 0 (no limit) or a positive number of fetches per second, got %v", cfg.Rate)
	}
	return nil
}

// unwrapPath drops the *fs.PathError around err: the message names the
// file already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readCAFile reads the CA certificates of the PEM file name.
func readCAFile(name string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--cacert %s: %w", name, unwrapPath(err))
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", name)
	}
	return roots, nil
}

// validToken reports whether s is an HTTP token (RFC 9110 5.6.2), as a
// method or a header name must be.
func validToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }
