package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/serve"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// Bounds of flag values, named so that --help and errors agree.
const (
	defaultConcurrency = fetcher.DefaultConcurrency
	maxConcurrency     = 100000
	maxRepeat          = 1000
	defaultRedirects   = fetcher.DefaultMaxRedirects
)

// Options are the parsed flags of `fetch` and the dependencies of its run,
// after cli/cli's ListOptions: tests replace Now and Run.
type Options struct {
	IO  *IOStreams
	Now func() time.Time // if nil, time.Now
	Run RunFunc          // if nil, the fetcher's engines

	// Input.
	URLs      []string // URL arguments, fetched first
	InputFile string   // --input; "-" is standard input

	// Engines.
	Mode        Mode
	Compare     []Mode // --compare: the modes to run in turn; nil without --compare
	Repeat      int    // runs of each mode
	MinSpeedup  float64
	Concurrency int
	PerHost     int
	Rate        float64 // new requests per second over the run; 0 is unlimited
	Hubs        int

	// Requests.
	Timeout        time.Duration
	ConnectTimeout time.Duration
	Retries        int
	MaxRedirects   int
	Insecure       bool
	CACert         string
	RootCAs        *x509.CertPool // loaded from CACert
	Headers        http.Header
	UserAgent      string
	Head           bool
	Compressed     bool
	MaxBody        int64
	SaveDir        string
	SHA256         bool
	Resolver       string              // async or pool
	DNSServers     []string            // host:port
	Family         int                 // 0 any, 4 or 6
	HTTPVersion    fetcher.HTTPVersion // --http1.1, --http2, --http2-prior-knowledge (http2flags.go)

	// Networks (netflags.go): proxies, Happy Eyeballs, connects per host.
	Net netOptions

	// Output.
	JSON      bool
	KeepOrder bool
	Progress  string // auto, always, never
	Quiet     bool
	Slowest   int

	crawl *crawlOptions // crawl mode's flags (crawl.go)

	// announce prints "GET: URL" as each fetch starts, and text output
	// leaves out the summary lines (fetch demo, as the seed prints it).
	announce bool
}

// FlagError is a usage error: the command prints it with a usage hint and
// exits 2 before fetching anything.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

func flagErrorf(format string, a ...any) error { return &FlagError{fmt.Errorf(format, a...)} }

// printFlagError writes err and the usage hint of cmd ("fetch",
// "fetch demo") to w and returns exitUsage.
func printFlagError(w io.Writer, cmd string, err error) exitCode {
	fmt.Fprintf(w, "%s: %v\nUsage: %s\nRun '%s --help' for more information.\n", cmd, err, usageLine(cmd), cmd)
	return exitUsage
}

func usageLine(cmd string) string {
	switch cmd {
	case "fetch demo":
		return "fetch demo [flags]"
	case "fetch serve":
		return "fetch serve [--addr HOST:PORT]"
	}
	return "fetch [flags] [URL ...]"
}

// fetchFlags holds flag values before they become Options.
type fetchFlags struct {
	mode, compare, output, resolver, progress string
	timeout, connectTimeout                   durationValue
	maxBody                                   sizeValue
	headers, dnsServers                       []string
	json, ipv4, ipv6, help, version           bool
}

// flagGroups orders the flags in --help.
var flagGroups = []struct {
	title string
	names []string
}{
	{"Input", []string{"input"}},
	{"Engines", []string{"mode", "concurrency", "per-host", "rate", "hubs", "compare", "repeat", "min-speedup"}},
	{"Requests", []string{"timeout", "connect-timeout", "retries", "max-redirects", "head", "header", "user-agent", "compressed", "max-body", "insecure", "cacert", "save", "sha256"}},
	{"DNS", []string{"resolver", "dns-server", "ipv4", "ipv6"}},
	{"Network", netFlagNames},
	{"Output", []string{"output", "json", "keep-order", "slowest", "quiet", "progress"}},
	{"Other", []string{"help", "version"}},
}

// newFetchFlagSet defines the flags of fetch on a new FlagSet.
func newFetchFlagSet(o *Options, f *fetchFlags) *pflag.FlagSet {
	f.timeout.d = fetcher.DefaultTimeout
	f.connectTimeout.d = fetcher.DefaultConnectTimeout
	fs := pflag.NewFlagSet("fetch", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetInterspersed(true)

	fs.StringVarP(&o.InputFile, "input", "i", "", "read URLs from `FILE`, one a line ('-' is standard input)")

	fs.StringVarP(&f.mode, "mode", "m", "async", "engine `MODE`: sync (one URL after another), threads (a goroutine per URL) or async (tasks on hubs)")
	fs.IntVarP(&o.Concurrency, "concurrency", "c", defaultConcurrency, "fetch at most `N` URLs at once")
	fs.IntVar(&o.PerHost, "per-host", 0, "at most `N` fetches at once to one host (0: no limit beyond -c)")
	fs.Float64Var(&o.Rate, "rate", 0, "start at most `R` fetches per second (0: no limit)")
	fs.IntVar(&o.Hubs, "hubs", 0, "`N` hubs for the async engine (0: one per core)")
	fs.StringVar(&f.compare, "compare", "", "run the list with each mode of `LIST` in turn, each cold, and print the\ncost of each and the speedup of the last over the first; without =LIST:\nsync,async (the list must follow '=': --compare=sync,threads,async)")
	fs.Lookup("compare").NoOptDefVal = "sync,async"
	fs.IntVar(&o.Repeat, "repeat", 1, "run each mode `N` times (alternating the order) and report median, min, max")
	fs.Float64Var(&o.MinSpeedup, "min-speedup", 0, "with --compare, exit 3 if the speedup is below `X`")

	fs.Var(&f.timeout, "timeout", "bound each URL's whole fetch (DNS, connect, TLS, headers, body) to `D`,\nas curl's --max-time: 30s, 1500ms, or plain seconds")
	fs.Var(&f.connectTimeout, "connect-timeout", "bound each TCP connect, and each TLS handshake, to `D`")
	fs.IntVar(&o.Retries, "retries", 0, "retry a failed fetch up to `N` times, with backoff (honours Retry-After)")
	fs.IntVar(&o.MaxRedirects, "max-redirects", defaultRedirects, "follow at most `N` redirects (0: do not follow)")
	fs.BoolVarP(&o.Head, "head", "I", false, "send HEAD requests")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, "add request header `\"Name: value\"` (repeatable)")
	fs.StringVarP(&o.UserAgent, "user-agent", "A", "", "send User-Agent `NAME`")
	fs.BoolVar(&o.Compressed, "compressed", false, "ask for gzip or deflate and decode the body")
	fs.Var(&f.maxBody, "max-body", "fail a fetch whose decoded body exceeds `SIZE`: 512, 64KiB, 10MB, 1GiB (0: no limit)")
	fs.BoolVarP(&o.Insecure, "insecure", "k", false, "do not verify TLS certificates")
	fs.StringVar(&o.CACert, "cacert", "", "verify TLS peers with the PEM certificates in `FILE`")
	fs.StringVar(&o.SaveDir, "save", "", "save each body in `DIR` (created if missing), under a name made from its URL")
	fs.BoolVar(&o.SHA256, "sha256", false, "report the SHA-256 of each body")
	addHTTPVersionFlags(fs, &o.HTTPVersion)

	resolverUsage := "DNS resolver `KIND`: async (own DNS client on the hubs) or pool (the system's, on threads)"
	fs.StringVar(&f.resolver, "resolver", defaultResolverName, resolverUsage)
	fs.StringArrayVar(&f.dnsServers, "dns-server", nil, "ask the DNS server at `ADDR` (IP or IP:port; repeatable) instead of resolv.conf")
	fs.BoolVarP(&f.ipv4, "ipv4", "4", false, "connect over IPv4 only")
	fs.BoolVarP(&f.ipv6, "ipv6", "6", false, "connect over IPv6 only")

	fs.StringVarP(&f.output, "output", "o", "text", "output `FORMAT`: text or json (NDJSON, one object a line)")
	fs.BoolVar(&f.json, "json", false, "same as --output json")
	fs.BoolVar(&o.KeepOrder, "keep-order", false, "print results in input order; at most max("+strconv.Itoa(keepOrderFactor)+"×c, "+strconv.Itoa(minKeepOrderWindow)+") URLs are started and not yet printed, so a slow URL holds back later ones")
	fs.IntVar(&o.Slowest, "slowest", 0, "list the `N` slowest successful URLs in the summary")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only failed results, the costs and the summary; no progress bar")
	fs.StringVar(&f.progress, "progress", "auto", "progress bar on stderr `WHEN`: auto (stderr is a terminal and CI is unset), always or never")

	addNetFlags(fs, &o.Net) // netflags.go

	addCrawlFlags(fs, o) // crawl.go

	fs.BoolVarP(&f.help, "help", "h", false, "show this help")
	fs.BoolVar(&f.version, "version", false, "print the version")
	return fs
}

// newCmdFetch parses args into Options and runs runF, or fetchRun when
// runF is nil. A usage error prints a FlagError and returns exitUsage.
func newCmdFetch(ctx context.Context, ios *IOStreams, args []string, runF func(context.Context, *Options) exitCode) exitCode {
	o := &Options{IO: ios}
	var f fetchFlags
	fs := newFetchFlagSet(o, &f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			f.help = true
		} else {
			return printFlagError(ios.ErrOut, "fetch", err)
		}
	}
	if f.help {
		writeHelp(ios.Out, fs)
		return exitOK
	}
	if f.version {
		fmt.Fprintf(ios.Out, "fetch %s\n", versionString())
		return exitOK
	}
	o.URLs = fs.Args()
	if err := f.apply(o, fs); err != nil {
		return printFlagError(ios.ErrOut, "fetch", err)
	}
	if runF != nil {
		return runF(ctx, o)
	}
	return fetchRun(ctx, o)
}

var modeListRE = regexp.MustCompile(`^(sync|threads|async)(,(sync|threads|async))*$`)

// apply checks the flag values and their combinations and stores them in o.
func (f *fetchFlags) apply(o *Options, fs *pflag.FlagSet) error {
	var err error
	if o.Mode, err = ParseMode(f.mode); err != nil {
		return flagErrorf("--mode: %v", err)
	}
	if o.Concurrency < 1 || o.Concurrency > maxConcurrency {
		return flagErrorf("--concurrency: want 1 to %d, got %d", maxConcurrency, o.Concurrency)
	}
	if o.PerHost < 0 {
		return flagErrorf("--per-host: want 0 or more, got %d", o.PerHost)
	}
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return flagErrorf("--rate: want 0 or more fetches per second, got %v", o.Rate)
	}
	if o.Hubs < 0 {
		return flagErrorf("--hubs: want 0 or more, got %d", o.Hubs)
	}
	if fs.Changed("compare") {
		if f.compare == fs.Lookup("compare").NoOptDefVal {
			for _, a := range o.URLs {
				if modeListRE.MatchString(a) {
					return flagErrorf("--compare: a mode list must follow '=' (--compare=%s); %q was read as a URL", a, a)
				}
			}
		}
		seen := map[Mode]bool{}
		for _, s := range strings.Split(f.compare, ",") {
			m, err := ParseMode(strings.TrimSpace(s))
			if err != nil {
				return flagErrorf("--compare: %v", err)
			}
			if seen[m] {
				return flagErrorf("--compare: mode %s is listed twice", m)
			}
			seen[m] = true
			o.Compare = append(o.Compare, m)
		}
		if len(o.Compare) < 2 {
			return flagErrorf("--compare: want at least two modes, such as sync,async; got %q", f.compare)
		}
		if fs.Changed("mode") {
			return flagErrorf("--mode and --compare exclude each other: --compare sets the modes")
		}
	}
	if o.Repeat < 1 || o.Repeat > maxRepeat {
		return flagErrorf("--repeat: want 1 to %d, got %d", maxRepeat, o.Repeat)
	}
	if fs.Changed("min-speedup") {
		if o.Compare == nil {
			return flagErrorf("--min-speedup needs --compare")
		}
		if !(o.MinSpeedup > 0) || math.IsInf(o.MinSpeedup, 0) {
			return flagErrorf("--min-speedup: want a factor above 0, such as 1.5; got %v", o.MinSpeedup)
		}
	}

	o.Timeout, o.ConnectTimeout, o.MaxBody = f.timeout.d, f.connectTimeout.d, f.maxBody.n
	if o.Timeout <= 0 {
		return flagErrorf("--timeout: want a duration above 0, such as 30s")
	}
	if o.ConnectTimeout <= 0 {
		return flagErrorf("--connect-timeout: want a duration above 0, such as 10s")
	}
	if o.Retries < 0 {
		return flagErrorf("--retries: want 0 or more, got %d", o.Retries)
	}
	if o.MaxRedirects < 0 {
		return flagErrorf("--max-redirects: want 0 or more, got %d", o.MaxRedirects)
	}
	for _, h := range f.headers {
		name, value, err := parseHeader(h)
		if err != nil {
			return flagErrorf("--header %q: %v", h, err)
		}
		if o.Headers == nil {
			o.Headers = http.Header{}
		}
		o.Headers.Add(name, value)
	}
	if strings.ContainsAny(o.UserAgent, "\r\n\x00") {
		return flagErrorf("--user-agent: control characters are not allowed")
	}
	if o.CACert != "" {
		pool, err := loadCACert(o.CACert)
		if err != nil {
			return flagErrorf("--cacert: %v", err)
		}
		o.RootCAs = pool
	}
	if o.SaveDir != "" {
		if err := os.MkdirAll(o.SaveDir, 0o755); err != nil {
			return flagErrorf("--save: %v", err)
		}
	}

	switch f.resolver {
	case "async", "pool":
		o.Resolver = f.resolver
	default:
		return flagErrorf("--resolver: want async or pool, got %q", f.resolver)
	}
	for _, s := range f.dnsServers {
		addr, err := parseDNSServer(s)
		if err != nil {
			return flagErrorf("--dns-server %q: %v", s, err)
		}
		o.DNSServers = append(o.DNSServers, addr)
	}
	if o.Resolver == "pool" && len(o.DNSServers) > 0 {
		return &FlagError{errPoolServers}
	}
	switch {
	case f.ipv4 && f.ipv6:
		return flagErrorf("-4 and -6 exclude each other")
	case f.ipv4:
		o.Family = 4
	case f.ipv6:
		o.Family = 6
	}

	switch f.output {
	case "text":
		if f.json && fs.Changed("output") {
			return flagErrorf("--json and --output text exclude each other")
		}
		o.JSON = f.json
	case "json":
		o.JSON = true
	default:
		return flagErrorf("--output: want text or json, got %q", f.output)
	}
	switch f.progress {
	case "auto", "always", "never":
		o.Progress = f.progress
	default:
		return flagErrorf("--progress: want auto, always or never, got %q", f.progress)
	}
	if o.Slowest < 0 {
		return flagErrorf("--slowest: want 0 or more, got %d", o.Slowest)
	}
	return nil
}

// parseHeader splits "Name: value" and checks both parts (RFC 9110 5.1,
// 5.5): a token name, a value without CR, LF or NUL.
func parseHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return "", "", errors.New(`want "Name: value"`)
	}
	if name == "" {
		return "", "", errors.New("empty header name")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenByte(name[i]) {
			return "", "", fmt.Errorf("header name %q has the invalid character %q", name, name[i])
		}
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", "", errors.New("header value has a control character")
	}
	return textproto.CanonicalMIMEHeaderKey(name), value, nil
}

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110 5.6.2).
func isTokenByte(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// loadCACert reads a PEM bundle.
func loadCACert(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// parseDNSServer accepts an IP or IP:port ([v6]:port) and returns host:port.
func parseDNSServer(s string) (string, error) {
	if ip := net.ParseIP(s); ip != nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", errors.New("want an IP address, IP:port or [IPv6]:port")
	}
	if net.ParseIP(host) == nil {
		return "", fmt.Errorf("%q is not an IP address", host)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("port %q: want 1 to 65535", port)
	}
	return net.JoinHostPort(host, port), nil
}

// durationValue is a pflag.Value for Go durations (3s, 250ms) that also
// takes plain seconds (2, 0.5), as curl does.
type durationValue struct{ d time.Duration }

func (v *durationValue) String() string {
	if v.d == 0 {
		return "0"
	}
	return v.d.String()
}
func (v *durationValue) Type() string { return "duration" }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64/float64(time.Second) {
			return errors.New("want a duration such as 30s, 1500ms or 2.5 (seconds)")
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < 0 {
		return errors.New("negative duration")
	}
	v.d = d
	return nil
}

// sizeValue is a pflag.Value for byte counts with units (serve.ParseSize).
type sizeValue struct{ n int64 }

func (v *sizeValue) String() string { return serve.FormatSize(v.n) }
func (v *sizeValue) Type() string   { return "size" }
func (v *sizeValue) Set(s string) error {
	n, err := serve.ParseSize(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	v.n = n
	return nil
}

func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if v == "" && ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	if ok {
		v += " " + bi.GoVersion
	}
	return v
}
