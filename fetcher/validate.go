package fetcher

import (
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"slices"
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
		{"-c/--concurrency", int64(cfg.Concurrency), ""},
		{"--per-host", int64(cfg.PerHost), ""},
		{"--hubs", int64(cfg.Hubs), ""},
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
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return fmt.Errorf("--rate: want 0 (no limit) or a positive number of fetches per second, got %v", cfg.Rate)
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

// headerField is one request header the user asked for.
type headerField struct {
	name  string // canonical
	value string
	creds bool // Authorization, Cookie, Proxy-Authorization: first host only
}

// headerSet is the request headers of a Config, checked.
type headerSet struct {
	fields []headerField // in order: Headers (sorted by name), then HeaderLines
	host   string        // a Host override; "" if none
	drop   []string      // canonical names of client headers not to send ("Name:")
}

// has reports whether the user gives the header name (canonical).
func (h *headerSet) has(name string) bool {
	return slices.ContainsFunc(h.fields, func(f headerField) bool { return f.name == name }) || slices.Contains(h.drop, name)
}

// headerSet checks Headers and HeaderLines and returns them in the order
// they are sent.
func (cfg Config) headerSet() (headerSet, error) {
	var hs headerSet
	add := func(shown, name, value string) error {
		if !validToken(name) {
			return fmt.Errorf("-H %q: header name %q is not valid (a token: letters, digits and !#$%%&'*+-.^_`|~)", shown, name)
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return fmt.Errorf("-H %q: the value has control bytes or a line break", shown)
		}
		cn := http.CanonicalHeaderKey(name)
		switch cn {
		case "Host":
			if value == "" {
				return fmt.Errorf("-H %q: an empty Host header cannot be sent", shown)
			}
			hs.host = value
			return nil
		case "Content-Length":
			return fmt.Errorf("-H %q: Content-Length is set by the client; use -d/--data to send a body", shown)
		case "Transfer-Encoding":
			return fmt.Errorf("-H %q: Transfer-Encoding is set by the client; use -d/--data to send a body, --compressed for a compressed answer", shown)
		case "Connection":
			return fmt.Errorf("-H %q: Connection is managed by the client (it keeps connections alive and closes them itself)", shown)
		case "Accept-Encoding":
			if !cfg.Compressed {
				return fmt.Errorf("-H %q: use --compressed, which sends Accept-Encoding and decodes the body", shown)
			}
		}
		creds := cn == "Authorization" || cn == "Cookie" || cn == "Proxy-Authorization"
		hs.fields = append(hs.fields, headerField{cn, value, creds})
		return nil
	}
	keys := slices.Sorted(maps.Keys(cfg.Headers))
	for _, k := range keys {
		for _, v := range cfg.Headers[k] {
			if err := add(k+": "+v, k, v); err != nil {
				return hs, err
			}
		}
	}
	for _, line := range cfg.HeaderLines {
		name, value, ok := strings.Cut(line, ":")
		empty := false
		if !ok {
			// curl's "Name;" sends the header with no value.
			if n, rest, semi := strings.Cut(line, ";"); semi && strings.TrimSpace(rest) == "" {
				name, ok, empty = n, true, true
			}
		}
		if !ok {
			return hs, fmt.Errorf("-H %q: want \"Name: value\"", line)
		}
		name = strings.TrimSpace(name)
		value = strings.Trim(value, " \t")
		if value == "" && !empty {
			// curl's "Name:" removes a header the client would send.
			if !validToken(name) {
				return hs, fmt.Errorf("-H %q: header name %q is not valid", line, name)
			}
			cn := http.CanonicalHeaderKey(name)
			switch cn {
			case "Host", "Content-Length", "Transfer-Encoding", "Connection":
				return hs, fmt.Errorf("-H %q: %s is the client's to send", line, cn)
			}
			hs.drop = append(hs.drop, cn)
			continue
		}
		if err := add(line, name, value); err != nil {
			return hs, err
		}
	}
	return hs, nil
}
