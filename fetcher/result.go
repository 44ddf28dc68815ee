package fetcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ErrorKind classifies why a fetch failed. Its strings are the NDJSON
// error_kind values of the output contract; KindNone (no error) encodes as
// JSON null.
type ErrorKind uint8

// The kinds of failure, in the order of the output contract.
const (
	KindNone              ErrorKind = iota // no error
	KindInvalidURL                         // the input is not a URL we can fetch
	KindUnsupportedScheme                  // a scheme other than http or https (also from a redirect)
	KindDNS                                // the host name did not resolve
	KindConnect                            // no TCP connection (refused, unreachable)
	KindTLS                                // the TLS handshake or certificate check failed
	KindTimeout                            // a phase timeout or the overall timeout ran out
	KindProtocol                           // the peer broke HTTP/1.1 (bad status line, bad chunk, huge header)
	KindTooLarge                           // the decoded body passed Config.MaxBody
	KindTooManyRedirects                   // more redirects than Config.MaxRedirects (or a loop)
	KindIO                                 // the connection failed mid-exchange (reset, closed early)
	KindCanceled                           // the run's context was canceled
	KindInternal                           // a bug: the fetch panicked (the message has the panic value)
	KindProxy                              // the proxy refused or failed the tunnel (CONNECT error status, SOCKS5 failure)
)

var kindNames = [...]string{
	KindNone:              "",
	KindInvalidURL:        "invalid_url",
	KindUnsupportedScheme: "unsupported_scheme",
	KindDNS:               "dns",
	KindConnect:           "connect",
	KindTLS:               "tls",
	KindTimeout:           "timeout",
	KindProtocol:          "protocol",
	KindTooLarge:          "too_large",
	KindTooManyRedirects:  "too_many_redirects",
	KindIO:                "io",
	KindCanceled:          "canceled",
	KindInternal:          "internal",
	KindProxy:             "proxy",
}

// String returns the contract name of k ("timeout"), or "" for KindNone.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseErrorKind returns the kind whose contract name is s.
func ParseErrorKind(s string) (ErrorKind, error) {
	for k, name := range kindNames {
		if name == s && k != int(KindNone) {
			return ErrorKind(k), nil
		}
	}
	return KindNone, fmt.Errorf("fetcher: unknown error kind %q", s)
}

// MarshalJSON encodes k as its contract name, and KindNone as null.
func (k ErrorKind) MarshalJSON() ([]byte, error) {
	if k == KindNone {
		return []byte("null"), nil
	}
	return strconv.AppendQuote(nil, k.String()), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (k *ErrorKind) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*k = KindNone
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("fetcher: error_kind %s: %w", b, err)
	}
	*k, err = ParseErrorKind(s)
	return err
}

// Mode is the engine that runs a list: one URL after another, a goroutine
// per URL, or tasks on the hubs.
type Mode uint8

// The engines. See Run.
const (
	ModeSync    Mode = iota // one URL after another, in one task on one hub
	ModeThreads             // a goroutine per URL over Go's own net package
	ModeAsync               // tasks spread over a set of hubs, on cooperative sockets
)

var modeNames = [...]string{ModeSync: "sync", ModeThreads: "threads", ModeAsync: "async"}

// Modes lists every engine, in the order a comparison runs them.
var Modes = []Mode{ModeSync, ModeThreads, ModeAsync}

// String returns "sync", "threads" or "async".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode returns the mode named s ("sync", "threads" or "async").
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if name == s {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("fetcher: unknown mode %q (want sync, threads or async)", s)
}

// MarshalJSON encodes m as its name.
func (m Mode) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, m.String()), nil }

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Mode) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("fetcher: mode %s: %w", b, err)
	}
	*m, err = ParseMode(s)
	return err
}

// Phase is the part of a fetch an error happened in.
type Phase uint8

// The phases of one exchange, in order.
const (
	PhaseNone    Phase = iota // before any network work (URL checks, redirects)
	PhaseDNS                  // looking up the host
	PhaseConnect              // TCP connect
	PhaseTLS                  // TLS handshake and certificate check
	PhaseRequest              // writing the request
	PhaseHeader               // waiting for and reading the response head (time to first byte)
	PhaseBody                 // reading, decoding and storing the body
)

var phaseNames = [...]string{
	PhaseNone: "none", PhaseDNS: "dns", PhaseConnect: "connect", PhaseTLS: "tls",
	PhaseRequest: "request", PhaseHeader: "header", PhaseBody: "body",
}

// String returns the phase's name ("dns", "connect", "tls", "request",
// "header", "body"; "none" for PhaseNone).
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "Phase(" + strconv.Itoa(int(p)) + ")"
}

// Sentinels callers branch on with errors.Is.
var (
	// ErrTooManyRedirects ends a fetch that met more redirects than
	// Config.MaxRedirects allows (KindTooManyRedirects).
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrBodyTooLarge ends a fetch whose decoded body passed
	// Config.MaxBody (KindTooLarge). The error a fetch reports wraps it
	// and says the limit.
	ErrBodyTooLarge = errors.New("body larger than the limit")
)

// Error is the error of a failed fetch: what kind of failure, in which
// phase, for which URL, and the underlying cause. It plays the part
// net.OpError plays for sockets.
type Error struct {
	Kind  ErrorKind
	Phase Phase
	URL   string // the URL being fetched when it failed (after redirects)
	Err   error  // the cause; never nil
}

// Error returns "URL: kind: message".
func (e *Error) Error() string {
	return e.URL + ": " + e.Kind.String() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the fetch ran out of time.
func (e *Error) Timeout() bool { return e.Kind == KindTimeout }

// Timings are the phases of a fetch, on the monotonic clock. DNS, Connect
// and TLS add up over every connection the fetch opened (redirects,
// retries); TTFB runs from the start of the fetch to the first byte of the
// final response; Total from the start of the fetch to its end. Queue is
// the wait for a concurrency or per-host slot (and host backpressure)
// before network work, and is not part of Total; with Config.Rate it
// counts from when the fetch was due by the rate's schedule (Run), so
// that a fetch that started late says by how much.
//
// In JSON they are milliseconds as numbers: {"queue":0,"dns":0.4,...}.
type Timings struct {
	Queue   time.Duration
	DNS     time.Duration
	Connect time.Duration
	TLS     time.Duration
	TTFB    time.Duration
	Total   time.Duration
}

// MarshalJSON encodes t as milliseconds, to the microsecond.
func (t Timings) MarshalJSON() ([]byte, error) { return t.appendJSON(make([]byte, 0, 96)), nil }

func (t Timings) appendJSON(b []byte) []byte {
	for i, f := range [...]struct {
		name string
		d    time.Duration
	}{{"queue", t.Queue}, {"dns", t.DNS}, {"connect", t.Connect}, {"tls", t.TLS}, {"ttfb", t.TTFB}, {"total", t.Total}} {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		b = strconv.AppendFloat(b, DurationMS(f.d), 'f', -1, 64)
	}
	return append(b, '}')
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Timings) UnmarshalJSON(b []byte) error {
	var m struct {
		Queue, DNS, Connect, TLS, TTFB, Total float64
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	*t = Timings{Queue: ms(m.Queue), DNS: ms(m.DNS), Connect: ms(m.Connect), TLS: ms(m.TLS), TTFB: ms(m.TTFB), Total: ms(m.Total)}
	return nil
}

// DurationMS returns d in milliseconds rounded to the microsecond: the unit
// of every *_ms number of the output contract.
func DurationMS(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}

// Result is what one URL delivered: the JSON object of a "result" line of
// the output contract. A failed fetch is a Result with Error and ErrorKind
// set (and whatever was learnt before the failure); a status of 400 or
// more is a Result without error that OK reports as failed.
type Result struct {
	Type        string    `json:"type"`      // always "result"
	URL         string    `json:"url"`       // the input (trimmed; http:// added when it had no scheme), password masked
	FinalURL    string    `json:"final_url"` // the URL of the last response, after redirects, password masked; "" if none
	Mode        Mode      `json:"mode"`
	Status      int       `json:"status"`       // status of the final response; 0 if none
	Bytes       int64     `json:"bytes"`        // body bytes delivered, after decoding
	WireBytes   int64     `json:"wire_bytes"`   // bytes read off the sockets (heads, bodies, TLS), all hops
	ContentType string    `json:"content_type"` // of the final response
	Redirects   int       `json:"redirects"`    // redirects followed
	Retries     int       `json:"retries"`      // retries made (not counting a stale keep-alive redial)
	RemoteAddr  string    `json:"remote_addr"`  // ip:port of the last connection used
	Timings     Timings   `json:"timings_ms"`
	Proto       string    `json:"proto,omitempty"`    // protocol of the final response: "HTTP/1.1" or "HTTP/2.0"
	Error       *string   `json:"error"`              // Err.Error(), or nil
	ErrorKind   ErrorKind `json:"error_kind"`         // null when none
	SHA256      string    `json:"sha256,omitempty"`   // hex SHA-256 of the decoded body, with RunConfig.SHA256
	SavedAs     string    `json:"saved_as,omitempty"` // the file written, with RunConfig.SaveDir
	Label       string    `json:"label,omitempty"`    // Job.Label, passed through
	// Headers is the final response's header (canonical keys), with
	// RunConfig.IncludeHeaders.
	Headers    http.Header `json:"headers,omitempty"`
	Proxy      string      `json:"proxy,omitempty"` // the proxy used (scheme://host:port, never credentials)
	*CrawlInfo             // depth, parent, links: set in crawl mode only

	// Index is the job's position in the input (Job.Index), for output in
	// input order.
	Index int64 `json:"-"`
	// NotStarted marks the result of a job whose fetch never began: the
	// run was canceled while the job waited for the engine (a slot, a
	// worker, the pace of RunConfig.Rate). No request was made; its error is
	// KindCanceled. Every engine reports such jobs so, and the fetch
	// command counts them as not_started instead of printing them.
	NotStarted bool `json:"-"`
	// Err is the failure as a typed *Error, or nil.
	Err error `json:"-"`
}

// OK reports whether the fetch succeeded: no error and a status below 400.
// It is the "ok" field of the JSON result.
func (r *Result) OK() bool { return r.Err == nil && r.ErrorKind == KindNone && r.Status < 400 }

// MarshalJSON encodes r as the "result" object of the output contract:
// its fields, and "ok" (always present) = r.OK() right after "type". It
// is AppendJSON (json.Marshal escapes HTML in what it returns; AppendJSON
// alone does not).
func (r Result) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// fail records err (an *Error) on r.
func (r *Result) fail(err *Error) {
	r.Err = err
	r.ErrorKind = err.Kind
	s := MaskURL(err.Error())
	r.Error = &s
}

// ErrorResult returns the result of a job that failed before any fetch
// began, such as an input line that ParseURL refused: its URL is err.URL
// (the job's, as ParseURL shows it), and everything else says nothing
// was fetched.
func ErrorResult(job Job, mode Mode, err *Error) Result {
	r := Result{Type: "result", URL: MaskURL(err.URL), Index: job.Index, Mode: mode, Label: job.Label}
	r.fail(err)
	return r
}
