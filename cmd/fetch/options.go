package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/dnsresolver"
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
// after cli/cli's ListOptions: tests replace Now, Run and Crawl.
type Options struct {
	IO    *IOStreams
	Now   func() time.Time // if nil, time.Now
	Run   RunFunc          // if nil, the fetcher's engines (fetcher.Run)
	Crawl CrawlFunc        // if nil, crawl.Run: crawls and lists on a store

	// Input.
	URLs      []string // URL arguments, fetched first
	InputFile string   // --input; "-" is standard input

	// Engines.
	Mode        fetcher.Mode
	Compare     []fetcher.Mode // --compare: the modes to run in turn; nil without --compare
	Repeat      int            // runs of each mode
	MinSpeedup  float64
	Concurrency int
	PerHost     int
	Rate        float64 // new requests per second over the run; 0 is unlimited
	Hubs        int

	// Requests.
	Timeout        time.Duration
	ConnectTimeout time.Duration
	TLSTimeout     time.Duration
	Retries        int
	RetryAllErrors bool
	RetryMaxTime   time.Duration
	MaxRedirects   int // 0: do not follow
	Insecure       bool
	CACert         string   // a PEM file, read by the fetcher
	HeaderLines    []string // -H lines as given, checked by the fetcher
	UserAgent      string
	Method         string // -X
	Data           string // -d: text or @FILE
	Head           bool
	Compressed     bool
	MaxBody        int64
	SaveDir        string
	SHA256         bool
	Resolver       string              // async or pool
	DNSServers     []string            // --dns-server values as given (dnsresolver.ParseServer reads them)
	Family         fetcher.Family      // FamilyAny, Family4 (-4) or Family6 (-6)
	HTTPVersion    fetcher.HTTPVersion // --http1.1, --http2, --http2-prior-knowledge (http2flags.go)

	// Networks (netflags.go): proxies, Happy Eyeballs, connects per host.
	Net netOptions

	// Output.
	OutputFile string    // -o: write results to this file ("" or "-": stdout)
	JSON       bool      // --format json
	WriteOut   *writeOut // -w: a line per result from this template
	KeepOrder  bool
	Progress   string // auto, always, never, lines
	Quiet      bool   // -q: only failed results, the costs and the summary
	Silent     bool   // -s: stderr carries errors and warnings only (no progress, no notes), as curl -s
	Slowest    int
	Include    bool // --include: response headers in each result
	Verbose    bool // -v: request and response heads on stderr

	crawl  *crawlOptions  // crawl mode's flags (crawl.go)
	timing *timingOptions // gates, baseline, reports, histogram (timing.go); nil: none

	// progressEvery is how often progress lines are printed; if zero,
	// progressLinesEvery (tests shorten it).
	progressEvery time.Duration

	// outDesc names where the results go in messages, when not to
	// standard output: the file -o writes (outfile.go).
	outDesc string
	// ran is set once the run's passes begin: a run that ends before
	// (a usage error, a stored crawl already complete) writes nothing.
	ran bool
	// bodyFile holds the body -d @- read from standard input, for the
	// fetcher to read as -d @FILE (body.go); "" until it is read.
	bodyFile string

	// announce prints "GET: URL" as each fetch starts, and text output
	// leaves out the summary lines (fetch demo, as the seed prints it).
	announce bool
}

// outName names where the results go, for messages.
func (o *Options) outName() string {
	if o.outDesc != "" {
		return o.outDesc
	}
	return "standard output"
}

// note writes a line of chatter to stderr, "fetch: " and the text
// (shown as shownText shows it), unless -s/--silent asks for none.
func (o *Options) note(format string, a ...any) {
	if o.Silent {
		return
	}
	fmt.Fprintf(o.IO.ErrOut, "fetch: %s\n", shownText(fmt.Sprintf(format, a...)))
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
	fmt.Fprintf(w, "%s: %s\nUsage: %s\nRun '%s --help' for more information.\n", cmd, shownErr(err), usageLine(cmd), cmd)
	return exitUsage
}

func usageLine(cmd string) string {
	switch cmd {
	case "fetch demo":
		return "fetch demo [flags]"
	case "fetch serve":
		return "fetch serve [--addr HOST:PORT]"
	case "fetch version":
		return "fetch version"
	}
	return "fetch [flags] [URL ...]"
}

// fetchFlags holds flag values before they become Options.
type fetchFlags struct {
	mode, compare, output, format, writeOut, resolver, progress string
	timeout, connectTimeout, tlsTimeout, retryMaxTime           durationValue
	maxBody                                                     sizeValue
	dnsServers                                                  []string
	httpVersions                                                *httpVersionChoice
	json, ipv4, ipv6, help, version, location, showError        bool
}

// flagGroups orders the flags in --help. Aliases kept for older scripts
// (--timeout, --retries, --max-redirects) are hidden; the usage of the
// curl name mentions them.
var flagGroups = []struct {
	title string
	names []string
}{
	{"Input", []string{"input"}},
	{"Engines", []string{"mode", "concurrency", "per-host", "rate", "hubs", "compare", "repeat", "min-speedup"}},
	{"Requests", []string{"request", "data", "head", "header", "user-agent", "max-time", "connect-timeout", "tls-timeout", "retry", "retry-all-errors", "retry-max-time", "max-redirs", "location", "compressed", "max-body", "insecure", "cacert", "save", "sha256"}},
	{"DNS", []string{"resolver", "dns-server", "ipv4", "ipv6"}},
	{"Network", netFlagNames},
	{"Output", []string{"output", "format", "json", "write-out", "include", "verbose", "keep-order", "slowest", "quiet", "silent", "show-error", "progress"}},
	{"Other", []string{"help", "version"}},
}

// newFetchFlagSet defines the flags of fetch on a new FlagSet: curl's
// names and meanings where they do not clash, wget's -i for the list.
func newFetchFlagSet(o *Options, f *fetchFlags) *pflag.FlagSet {
	f.timeout.d = fetcher.DefaultTimeout
	f.connectTimeout.d = fetcher.DefaultConnectTimeout
	f.tlsTimeout.d = fetcher.DefaultTLSTimeout
	fs := pflag.NewFlagSet("fetch", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.SetInterspersed(true)

	// Input.
	fs.VarP(&onceString{p: &o.InputFile}, "input", "i", "read URLs from `FILE`, one a line ('-' is standard input; a pipe or FIFO is read once)")

	// Engines.
	fs.StringVar(&f.mode, "mode", "async", "engine `MODE`: sync (one URL after another), threads (a goroutine per URL) or async (tasks on hubs)")
	fs.IntVarP(&o.Concurrency, "concurrency", "c", defaultConcurrency, "fetch at most `N` URLs at once (lowered, and said on stderr, to what the\nopen-file limit allows: ulimit -n, raised to its hard limit first)")
	fs.IntVar(&o.PerHost, "per-host", 0, "at most `N` fetches at once to one host (0: no limit beyond -c; with --crawl, 0 means the crawl default, 2)")
	fs.Float64Var(&o.Rate, "rate", 0, "start at most `R` fetches per second (0: no limit)")
	fs.IntVar(&o.Hubs, "hubs", 0, "`N` hubs for the async engine (0: one per core)")
	fs.StringVar(&f.compare, "compare", "", "run the list with each mode of `LIST` in turn, each cold, and print the\ncost of each and the speedup of the last over the first; without =LIST:\nsync,async (the list must follow '=': --compare=sync,threads,async)")
	fs.Lookup("compare").NoOptDefVal = "sync,async"
	fs.IntVar(&o.Repeat, "repeat", 1, "run each mode `N` times (alternating the order) and report median, min, max")
	fs.Float64Var(&o.MinSpeedup, "min-speedup", 0, "with --compare, exit 3 if the speedup is below `X` (even when some URL failed)")

	// Requests.
	fs.StringVarP(&o.Method, "request", "X", "", "send requests with `METHOD` (default GET, or POST with -d); only GET, HEAD,\nPUT, DELETE, OPTIONS and TRACE are retried")
	fs.StringVarP(&o.Data, "data", "d", "", "send `DATA` as the body (@FILE: the file's contents; @-: standard input,\nwhen the list is not read from it), with Content-Type\napplication/x-www-form-urlencoded unless -H gives one, as curl does")
	fs.VarP(&f.timeout, "max-time", "m", "bound each URL's whole fetch (DNS, connect, TLS, headers, body, retries) to\n`D`, as curl's: 30s, 1500ms, or plain seconds (also --timeout)")
	fs.Var(&f.timeout, "timeout", "same as --max-time")
	fs.Var(&f.connectTimeout, "connect-timeout", "bound each TCP connect to `D` (the TLS handshake has --tls-timeout)")
	fs.Var(&f.tlsTimeout, "tls-timeout", "bound each TLS handshake to `D`")
	fs.IntVar(&o.Retries, "retry", 0, "retry up to `N` times, as curl: after a timeout, a failed connect, or a 408,\n429, 500, 502, 503 or 504, for idempotent methods, with backoff and\nRetry-After (also --retries)")
	fs.BoolVar(&o.RetryAllErrors, "retry-all-errors", false, "with --retry, retry after any failure, for any method")
	fs.Var(&f.retryMaxTime, "retry-max-time", "with --retry, start no retry later than `D` after the fetch began")
	fs.IntVar(&o.Retries, "retries", 0, "same as --retry")
	fs.IntVar(&o.MaxRedirects, "max-redirs", defaultRedirects, "follow at most `N` redirects (0: do not follow; also --max-redirects)")
	fs.IntVar(&o.MaxRedirects, "max-redirects", defaultRedirects, "same as --max-redirs")
	fs.BoolVarP(&f.location, "location", "L", false, "follow redirects: the default, accepted for curl's habit")
	fs.BoolVarP(&o.Head, "head", "I", false, "send HEAD requests")
	fs.StringArrayVarP(&o.HeaderLines, "header", "H", nil, "add request header `\"Name: value\"` (repeatable); \"Host: name\" sets\nthe virtual host; \"Name:\" removes a header the client sends")
	fs.StringVarP(&o.UserAgent, "user-agent", "A", "", "send User-Agent `NAME`")
	fs.BoolVar(&o.Compressed, "compressed", false, "ask for gzip or deflate and decode the body")
	fs.Var(&f.maxBody, "max-body", "fail a fetch whose decoded body exceeds `SIZE`: 512, 64KiB, 10MB, 1GiB (0: no limit)")
	fs.BoolVarP(&o.Insecure, "insecure", "k", false, "do not verify TLS certificates")
	fs.StringVar(&o.CACert, "cacert", "", "verify TLS peers with the PEM certificates in `FILE`")
	fs.StringVar(&o.SaveDir, "save", "", "save each body in `DIR` (created if missing; one that cannot be written is\na usage error before any fetch), under a name made from its URL")
	fs.BoolVar(&o.SHA256, "sha256", false, "report the SHA-256 of each body")
	f.httpVersions = addHTTPVersionFlags(fs, &o.HTTPVersion)

	// DNS.
	resolverUsage := "DNS resolver `KIND`: async (own DNS client on the hubs) or pool (the system's, on threads)"
	fs.StringVar(&f.resolver, "resolver", defaultResolverName, resolverUsage)
	fs.StringArrayVar(&f.dnsServers, "dns-server", nil, "ask the DNS server at `ADDR` (IP or IP:port; repeatable) instead of resolv.conf")
	fs.BoolVarP(&f.ipv4, "ipv4", "4", false, "IPv4 only: ask DNS for A records only, connect over IPv4")
	fs.BoolVarP(&f.ipv6, "ipv6", "6", false, "IPv6 only: ask DNS for AAAA records only, connect over IPv6")

	// Output.
	fs.StringVarP(&f.output, "output", "o", "", "write the results to `FILE` instead of standard output, as curl -o does:\nto FILE.partial while the run lasts, which then replaces FILE whole (a\nkilled run leaves FILE as it was); refused if the run reads FILE")
	fs.StringVar(&f.format, "format", "text", "output `FORMAT`: text or json (NDJSON, one object a line)")
	fs.BoolVar(&f.json, "json", false, "same as --format json")
	fs.BoolVar(&o.Include, "include", false, "include the response headers: \"headers\" in JSON, indented lines in text")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "print each request and response head to stderr, as curl -v (no progress bar)")
	fs.StringVarP(&f.writeOut, "write-out", "w", "", "print each result as a line of `TEMPLATE` instead: {field} and\n{dotted.path} name JSON fields, \\t \\n are escapes, e.g.\n'{status}\\t{timings_ms.total}\\t{url}\\n'; curl's %{http_code},\n%{time_total} (seconds), %{url_effective}, … work too; costs and\nsummaries go to stderr")
	fs.BoolVar(&o.KeepOrder, "keep-order", false, "print results in input order; at most max("+strconv.Itoa(keepOrderFactor)+"×c, "+strconv.Itoa(minKeepOrderWindow)+") URLs are started and not yet printed, so a slow URL holds back later ones")
	fs.IntVar(&o.Slowest, "slowest", 0, "list the `N` slowest successful URLs in the summary")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print only failed results, the costs and the summary; no progress bar")
	fs.BoolVarP(&o.Silent, "silent", "s", false, "as curl -s: no progress bar and no notes on stderr (costs and summaries\nthat would go there included), only errors and warnings; the results are\nall printed (-q prints only the failed ones)")
	fs.BoolVarP(&f.showError, "show-error", "S", false, "accepted for curl's habit (-sS): errors are always shown")
	fs.StringVar(&f.progress, "progress", "auto", "progress on stderr `WHEN`: auto (a bar when stderr is a terminal, stdout is not\na pipe and CI is unset; else, as in CI logs, a line every 10s), always\n(a bar), lines (a line every 10s) or never")

	addNetFlags(fs, &o.Net) // netflags.go: Network

	addCrawlFlags(fs, o) // crawl.go

	addTimingFlags(fs, o) // timing.go

	// Other.
	fs.BoolVarP(&f.help, "help", "h", false, "show this help")
	fs.BoolVar(&f.version, "version", false, "print the version, the Go that built it and its commit (as fetch version)")

	for _, alias := range []string{"timeout", "retries", "max-redirects"} {
		fs.Lookup(alias).Hidden = true
	}
	return fs
}

// newCmdFetch parses args into Options and runs runF, or fetchRun when
// runF is nil. A usage error prints a FlagError and returns exitUsage.
func newCmdFetch(ctx context.Context, ios *IOStreams, args []string, runF func(context.Context, *Options) exitCode) exitCode {
	o := &Options{IO: ios}
	var f fetchFlags
	fs := newFetchFlagSet(o, &f)
	if err := oldModeFlag(args); err != nil {
		return printFlagError(ios.ErrOut, "fetch", err)
	}
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
		writeVersion(ios.Out)
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

// oldModeFlag catches -m MODE, the engine before -m became curl's
// --max-time, with a hint rather than "invalid duration".
func oldModeFlag(args []string) error {
	for i, a := range args {
		if a == "--" {
			return nil
		}
		v, ok := strings.CutPrefix(a, "-m")
		if !ok || strings.HasPrefix(a, "--") {
			continue
		}
		v = strings.TrimPrefix(v, "=")
		if v == "" && i+1 < len(args) {
			v = args[i+1]
		}
		if _, err := parseMode(v); err == nil {
			return flagErrorf("-m is --max-time, as in curl; for the engine, use --mode %s", v)
		}
	}
	return nil
}

var modeListRE = regexp.MustCompile(`^(sync|threads|async)(,(sync|threads|async))*$`)

// apply checks the flag values and their combinations and stores them in o.
func (f *fetchFlags) apply(o *Options, fs *pflag.FlagSet) error {
	// A subcommand after a flag (fetch --json serve) would be fetched as
	// the host "serve": refuse it instead.
	for _, a := range o.URLs {
		if subcommands[a] {
			return flagErrorf("%q is a subcommand: put it first (fetch %s [flags]); to fetch a host named %s, write http://%s/", a, a, a, a)
		}
	}
	var err error
	if o.Mode, err = parseMode(f.mode); err != nil {
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
		seen := map[fetcher.Mode]bool{}
		for _, s := range strings.Split(f.compare, ",") {
			m, err := parseMode(strings.TrimSpace(s))
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

	if err := f.applyRequests(o, fs); err != nil {
		return err
	}
	if err := f.applyDNS(o); err != nil {
		return err
	}
	if err := f.applyOutput(o, fs); err != nil {
		return err
	}
	if err := o.timing.apply(o, fs); err != nil {
		return err
	}
	// The fetcher's own checks, without building anything (no resolver,
	// no connection): its message, in flags' words.
	cfg, err := baseConfig(o)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return &FlagError{inFlagWords(err)}
	}
	return nil
}

// fieldFlags names the flag that sets each field of fetcher.Config and
// fetcher.RunConfig that the command sets (baseConfig): the fetcher's
// checks name fields (*fetcher.FieldError), the command's users read
// flags.
var fieldFlags = map[string]string{
	"Timeout":             "-m/--max-time",
	"ConnectTimeout":      "--connect-timeout",
	"TLSTimeout":          "--tls-timeout",
	"Retries":             "--retry",
	"RetryAllErrors":      "--retry-all-errors",
	"RetryMaxTime":        "--retry-max-time",
	"MaxRedirects":        "--max-redirs",
	"NoRedirects":         "--max-redirs 0",
	"HeaderLines":         "-H",
	"UserAgent":           "-A/--user-agent",
	"Method":              "-X/--request",
	"Data":                "-d/--data",
	"MaxBody":             "--max-body",
	"Compressed":          "--compressed",
	"HTTPVersion":         "--http1.1/--http2",
	"Insecure":            "-k/--insecure",
	"CAFile":              "--cacert",
	"Family":              "-4/-6",
	"ConnectAttemptDelay": "--attempt-delay",
	"MaxConnectsPerHost":  "--connects-per-host",
	"NoConnectLimit":      "--connects-per-host 0",
	"Proxy":               "--proxy",
	"NoProxy":             "--noproxy",
	"NoEnvProxy":          `--proxy ""`,
	"Concurrency":         "-c/--concurrency",
	"PerHost":             "--per-host",
	"Rate":                "--rate",
	"Hubs":                "--hubs",
	"SaveDir":             "--save",
	"SHA256":              "--sha256",
	"IncludeHeaders":      "--include",
	"Verbose":             "-v/--verbose",
}

// fieldRef is a field as the fetcher's messages name one.
var fieldRef = regexp.MustCompile(`\b(?:Run)?Config\.([A-Z][A-Za-z0-9]*)`)

// inFlagWords restates an error of the fetcher's checks as the command's
// users read it: a *fetcher.FieldError starts with its field's flag (and
// the value at fault), and every field its message names is named by its
// flag ("-H \"Content-Length: 3\": Content-Length is set by the client;
// use -d/--data to send a body"); any other error loses its "fetcher: ".
func inFlagWords(err error) error {
	flagOf := func(ref string) string {
		if f, ok := fieldFlags[fieldRef.FindStringSubmatch(ref)[1]]; ok {
			return f
		}
		return ref
	}
	var fe *fetcher.FieldError
	if !errors.As(err, &fe) {
		return errors.New(fieldRef.ReplaceAllStringFunc(strings.TrimPrefix(err.Error(), "fetcher: "), flagOf))
	}
	msg := flagOf("Config." + fe.Field)
	if fe.Value != "" {
		msg += " " + fe.Value
	}
	return errors.New(msg + ": " + fieldRef.ReplaceAllStringFunc(fe.Err.Error(), flagOf))
}

// applyRequests checks the flags of the Requests group. The fetcher owns
// the rules of what it is given (headers, methods, the CA file, the body):
// Config.Validate checks them, and its message reaches the user in flags'
// words (inFlagWords).
func (f *fetchFlags) applyRequests(o *Options, fs *pflag.FlagSet) error {
	if err := f.httpVersions.check(); err != nil {
		return &FlagError{err}
	}
	o.Timeout, o.ConnectTimeout, o.TLSTimeout, o.MaxBody = f.timeout.d, f.connectTimeout.d, f.tlsTimeout.d, f.maxBody.n
	o.RetryMaxTime = f.retryMaxTime.d
	if o.Timeout <= 0 {
		name := "--max-time"
		if fs.Changed("timeout") && !fs.Changed("max-time") {
			name = "--timeout"
		}
		return flagErrorf("%s: want a duration above 0, such as 30s", name)
	}
	if o.ConnectTimeout <= 0 {
		return flagErrorf("--connect-timeout: want a duration above 0, such as 10s")
	}
	if o.TLSTimeout <= 0 {
		return flagErrorf("--tls-timeout: want a duration above 0, such as 10s")
	}
	if o.Retries < 0 {
		return flagErrorf("--retry: want 0 or more, got %d", o.Retries)
	}
	if (o.RetryAllErrors || fs.Changed("retry-max-time")) && o.Retries == 0 {
		return flagErrorf("--retry-all-errors and --retry-max-time need --retry N")
	}
	if o.MaxRedirects < 0 {
		return flagErrorf("--max-redirs: want 0 or more, got %d", o.MaxRedirects)
	}
	if o.Head && fs.Changed("request") && !strings.EqualFold(o.Method, "HEAD") {
		return flagErrorf("-I/--head and -X %s exclude each other", o.Method)
	}
	if o.Head && o.Data != "" {
		return flagErrorf("-d/--data: a HEAD request (-I/--head) cannot carry a body")
	}
	if fs.Changed("request") && o.Method == "" {
		return flagErrorf("-X/--request: want a method such as GET, POST or PUT")
	}
	if o.Data == "@-" && o.listOnStdin() {
		return flagErrorf("-d @- reads the body from standard input, which is where the URL list is read here: give the URLs as arguments or with -i FILE")
	}
	if o.SaveDir != "" {
		if err := checkSaveDir(o.SaveDir); err != nil {
			return &FlagError{err}
		}
	}
	return nil
}

// checkSaveDir makes the --save directory if it is missing and checks,
// before anything is fetched, that a file can be made in it: a directory
// that cannot be written (read-only, not ours) would fail every fetch as
// io after its body came.
func checkSaveDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--save: %v", err)
	}
	f, err := os.CreateTemp(dir, ".fetch-write-check-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("--save %s: cannot write in this directory: %v", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// applyDNS checks the flags of the DNS group.
func (f *fetchFlags) applyDNS(o *Options) error {
	switch f.resolver {
	case "async", "pool":
		o.Resolver = f.resolver
	default:
		return flagErrorf("--resolver: want async or pool, got %q", f.resolver)
	}
	// The resolver's own parser checks the addresses (building nothing);
	// the raw strings go down to it.
	for _, s := range f.dnsServers {
		if _, err := dnsresolver.ParseServer(s); err != nil {
			return flagErrorf("--dns-server: %v", err)
		}
		o.DNSServers = append(o.DNSServers, s)
	}
	if o.Resolver == "pool" && len(o.DNSServers) > 0 {
		return &FlagError{errPoolServers}
	}
	switch {
	case f.ipv4 && f.ipv6:
		return flagErrorf("-4 and -6 exclude each other")
	case f.ipv4:
		o.Family = fetcher.Family4
	case f.ipv6:
		o.Family = fetcher.Family6
	}
	return nil
}

// applyOutput checks the flags of the Output group.
func (f *fetchFlags) applyOutput(o *Options, fs *pflag.FlagSet) error {
	switch f.output {
	case "text", "json":
		// -o was the format before it named a file, as curl's does.
		return flagErrorf("-o/--output names the file to write results to; for the format, use --format %s (to write a file named %s, use -o ./%s)", f.output, f.output, f.output)
	}
	o.OutputFile = f.output
	switch f.format {
	case "text":
		if f.json && fs.Changed("format") {
			return flagErrorf("--json and --format text exclude each other")
		}
		o.JSON = f.json
	case "json":
		o.JSON = true
	default:
		return flagErrorf("--format: want text or json, got %q", f.format)
	}
	if fs.Changed("write-out") {
		if o.JSON {
			return &FlagError{errWriteOutJSON}
		}
		w, err := parseWriteOut(f.writeOut)
		if err != nil {
			return flagErrorf("--write-out: %v", err)
		}
		o.WriteOut = w
	}
	switch f.progress {
	case "auto", "always", "never", "lines":
		o.Progress = f.progress
	default:
		return flagErrorf("--progress: want auto, always, never or lines, got %q", f.progress)
	}
	if o.Slowest < 0 {
		return flagErrorf("--slowest: want 0 or more, got %d", o.Slowest)
	}
	return nil
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

// writeVersion writes what `fetch version` and --version print (see
// versionText).
func writeVersion(w io.Writer) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	io.WriteString(w, versionText(bi, runtime.GOOS+"/"+runtime.GOARCH))
}

// versionText is the version (set with -ldflags "-X main.version=…", or
// the module's) and the Go that built it, then the commit the binary was
// built from (vcs.revision and vcs.time, and whether the tree had
// changes) when the build recorded one, then the platform. bi is nil
// when the binary has no build information.
func versionText(bi *debug.BuildInfo, platform string) string {
	v := version
	if v == "" && bi != nil && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	if bi != nil {
		v += " " + bi.GoVersion
	}
	text := "fetch " + v + "\n"
	vcs := map[string]string{}
	if bi != nil {
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		text += "commit " + rev
		if t := vcs["vcs.time"]; t != "" {
			text += " " + t
		}
		if vcs["vcs.modified"] == "true" {
			text += " (with uncommitted changes)"
		}
		text += "\n"
	}
	return text + platform + "\n"
}

// onceString is a string flag that may be given once: a second -i would
// otherwise replace the first list without a word.
type onceString struct {
	p   *string
	set bool
}

func (s *onceString) String() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

func (s *onceString) Set(v string) error {
	if s.set {
		return fmt.Errorf("given twice (first %q): fetch reads one list; join them first, as in: cat a.txt b.txt | fetch -i -", *s.p)
	}
	*s.p, s.set = v, true
	return nil
}

func (s *onceString) Type() string { return "string" }
