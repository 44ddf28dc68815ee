package fetcher

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// FieldError is the problem Validate finds with a field of a Config or a
// RunConfig: the field, the value at fault when showing it helps, and
// what is wrong. Its message names fields as Go does ("Config.Data"), so
// that a program that sets fields from flags or a file can restate it in
// its own words: cmd/fetch maps each field to its flag.
type FieldError struct {
	Field string // the field's name in its struct: "Timeout", "HeaderLines", "Concurrency"
	Value string // the value at fault, quoted where it is text ("\"X-A\""); "" when Err says enough
	Err   error  // what is wrong with it
}

// Error says "fetcher: Config.Field value: problem".
func (e *FieldError) Error() string {
	s := "fetcher: " + fieldStruct(e.Field) + "." + e.Field
	if e.Value != "" {
		s += " " + e.Value
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// fieldStruct is the struct that declares field: RunConfig's own fields,
// else Config.
func fieldStruct(field string) string {
	switch field {
	case "Concurrency", "PerHost", "Rate", "Hubs", "Observer", "OnBody", "OnRedirect", "SaveDir", "SHA256", "IncludeHeaders", "Verbose":
		return "RunConfig"
	}
	return "Config"
}

// fieldErrorf is a *FieldError of field whose problem is the format.
func fieldErrorf(field, value, format string, a ...any) *FieldError {
	return &FieldError{Field: field, Value: value, Err: fmt.Errorf(format, a...)}
}

// Validate checks every field of cfg and returns the first problem as a
// *FieldError. It builds nothing (no resolver, no connection) and reads
// no file but CAFile (to parse it) and Data's @FILE (that it can be
// opened). NewClient calls it.
func (cfg Config) Validate() error {
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"Timeout", cfg.Timeout},
		{"ConnectTimeout", cfg.ConnectTimeout},
		{"TLSTimeout", cfg.TLSTimeout},
		{"HeaderTimeout", cfg.HeaderTimeout},
		{"IdleReadTimeout", cfg.IdleReadTimeout},
		{"RetryMaxTime", cfg.RetryMaxTime},
		{"MaxRetryAfter", cfg.MaxRetryAfter},
		{"IdleConnTimeout", cfg.IdleConnTimeout},
		{"ConnectAttemptDelay", cfg.ConnectAttemptDelay},
	} {
		if d.v < 0 {
			return fieldErrorf(d.field, "", "want a duration of 0 (the default) or more, got %v", d.v)
		}
	}
	for _, n := range []struct {
		field string
		v     int64
		off   string // how the setting is turned off, where a negative number could be meant so
	}{
		{"Retries", int64(cfg.Retries), ""},
		{"MaxRedirects", int64(cfg.MaxRedirects), "; Config.NoRedirects follows none"},
		{"MaxBody", cfg.MaxBody, ""},
		{"MaxIdlePerHost", int64(cfg.MaxIdlePerHost), "; Config.NoKeepAlive turns keep-alive off"},
		{"MaxConnectsPerHost", int64(cfg.MaxConnectsPerHost), "; Config.NoConnectLimit turns the bound off"},
	} {
		if n.v < 0 {
			return fieldErrorf(n.field, "", "want 0 (the default) or more, got %d%s", n.v, n.off)
		}
	}
	if cfg.NoRedirects && cfg.MaxRedirects > 0 {
		return fieldErrorf("MaxRedirects", "", "%d redirects asked for with Config.NoRedirects, which follows none", cfg.MaxRedirects)
	}
	if cfg.HTTPVersion > HTTPVersion2PriorKnowledge {
		return fieldErrorf("HTTPVersion", "", "unknown version %d (auto, 1.1, 2 or 2-prior-knowledge)", uint8(cfg.HTTPVersion))
	}
	if cfg.Family > Family6 {
		return fieldErrorf("Family", "", "unknown family %d", uint8(cfg.Family))
	}
	if cfg.UserAgent != "" && !httpguts.ValidHeaderFieldValue(cfg.UserAgent) {
		return fieldErrorf("UserAgent", strconv.Quote(cfg.UserAgent), "not a valid header value (control bytes?)")
	}
	if cfg.Method != "" && !validToken(cfg.Method) {
		return fieldErrorf("Method", strconv.Quote(cfg.Method), "not a valid method (a token: letters, digits and !#$%%&'*+-.^_`|~)")
	}
	if cfg.Data != "" && strings.EqualFold(cfg.Method, "HEAD") {
		return fieldErrorf("Data", "", "a HEAD request (Config.Method) cannot carry a body")
	}
	if name, ok := strings.CutPrefix(cfg.Data, "@"); ok {
		if name == "" {
			return fieldErrorf("Data", `"@"`, "no file name after @")
		}
		f, err := os.Open(name)
		if err != nil {
			return &FieldError{Field: "Data", Value: "@" + name, Err: unwrapPath(err)}
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
// and returns the first problem as a *FieldError. Run calls it.
func (cfg RunConfig) Validate() error {
	if err := cfg.Config.Validate(); err != nil {
		return err
	}
	for _, n := range []struct {
		field string
		v     int64
	}{
		{"Concurrency", int64(cfg.Concurrency)},
		{"PerHost", int64(cfg.PerHost)},
		{"Hubs", int64(cfg.Hubs)},
	} {
		if n.v < 0 {
			return fieldErrorf(n.field, "", "want 0 (the default) or more, got %d", n.v)
		}
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return fieldErrorf("Rate", "", "want 0 (the default: no cap) or a positive number of fetches per second, got %v", cfg.Rate)
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

// readCAFile reads the CA certificates of the PEM file name (Config.CAFile).
func readCAFile(name string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(name)
	if err != nil {
		return nil, &FieldError{Field: "CAFile", Value: name, Err: unwrapPath(err)}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fieldErrorf("CAFile", name, "no PEM certificate in it")
	}
	return roots, nil
}

// validToken reports whether s is an HTTP token (RFC 9110 5.6.2), as a
// method or a header name must be.
func validToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }
