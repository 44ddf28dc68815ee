package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
)

// TestNewCmdFetch parses flags into Options through the runF hook: every
// flag, and bad values that must exit 2 with a message and fetch nothing.
func TestNewCmdFetch(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, []byte(testCAPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	saveDir := filepath.Join(dir, "save", "here")

	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *Options)
		wantErr string // substring of stderr; set: exit 2, runF not called
	}{
		{name: "defaults", args: []string{"example.org"}, check: func(t *testing.T, o *Options) {
			want := Options{IO: o.IO, URLs: []string{"example.org"}, Mode: fetcher.ModeAsync, Repeat: 1, Concurrency: fetcher.DefaultConcurrency,
				Timeout: fetcher.DefaultTimeout, ConnectTimeout: fetcher.DefaultConnectTimeout, TLSTimeout: fetcher.DefaultTLSTimeout, MaxRedirects: fetcher.DefaultMaxRedirects,
				Resolver: defaultResolverName, Progress: "auto"}
			want.crawl = o.crawl   // crawl mode's flags: see crawl_test.go
			want.timing = o.timing // the timing flags: see timing_test.go
			if !reflect.DeepEqual(*o, want) {
				t.Errorf("got %+v; want %+v", *o, want)
			}
		}},
		{name: "flags after URLs", args: []string{"a.test", "-c", "5", "b.test"}, check: func(t *testing.T, o *Options) {
			eq(t, "URLs", o.URLs, []string{"a.test", "b.test"})
			eq(t, "Concurrency", o.Concurrency, 5)
		}},
		{name: "double dash", args: []string{"--", "-c"}, check: func(t *testing.T, o *Options) { eq(t, "URLs", o.URLs, []string{"-c"}) }},
		{name: "input", args: []string{"-i", "list.txt"}, check: func(t *testing.T, o *Options) { eq(t, "InputFile", o.InputFile, "list.txt") }},
		{name: "input long", args: []string{"--input=-"}, check: func(t *testing.T, o *Options) { eq(t, "InputFile", o.InputFile, "-") }},
		{name: "mode", args: []string{"--mode", "sync", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Mode", o.Mode, fetcher.ModeSync) }},
		{name: "mode threads", args: []string{"--mode=threads", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Mode", o.Mode, fetcher.ModeThreads) }},
		{name: "concurrency", args: []string{"--concurrency", "256", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Concurrency", o.Concurrency, 256) }},
		{name: "per-host", args: []string{"--per-host", "4", "x"}, check: func(t *testing.T, o *Options) { eq(t, "PerHost", o.PerHost, 4) }},
		{name: "rate", args: []string{"--rate", "2.5", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Rate", o.Rate, 2.5) }},
		{name: "hubs", args: []string{"--hubs", "3", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Hubs", o.Hubs, 3) }},
		{name: "compare default", args: []string{"--compare", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Compare", o.Compare, []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync})
			eq(t, "URLs", o.URLs, []string{"x"})
		}},
		{name: "compare list", args: []string{"--compare=sync,threads,async", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Compare", o.Compare, []fetcher.Mode{fetcher.ModeSync, fetcher.ModeThreads, fetcher.ModeAsync})
		}},
		{name: "repeat and gate", args: []string{"--compare", "--repeat", "5", "--min-speedup", "1.5", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Repeat", o.Repeat, 5)
			eq(t, "MinSpeedup", o.MinSpeedup, 1.5)
		}},
		{name: "format json", args: []string{"--format", "json", "x"}, check: func(t *testing.T, o *Options) { eq(t, "JSON", o.JSON, true) }},
		{name: "json", args: []string{"--json", "x"}, check: func(t *testing.T, o *Options) { eq(t, "JSON", o.JSON, true) }},
		{name: "keep-order", args: []string{"--keep-order", "x"}, check: func(t *testing.T, o *Options) { eq(t, "KeepOrder", o.KeepOrder, true) }},
		{name: "timeouts", args: []string{"--timeout", "2.5", "--connect-timeout", "250ms", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Timeout", o.Timeout, 2500*time.Millisecond)
			eq(t, "ConnectTimeout", o.ConnectTimeout, 250*time.Millisecond)
		}},
		{name: "retries redirects", args: []string{"--retries", "3", "--max-redirects", "0", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Retries", o.Retries, 3)
			eq(t, "MaxRedirects", o.MaxRedirects, 0)
		}},
		{name: "tls", args: []string{"-k", "--cacert", caFile, "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Insecure", o.Insecure, true)
			eq(t, "CACert", o.CACert, caFile)
		}},
		{name: "headers", args: []string{"-H", "X-One: 1, 2", "--header", "accept:text/html", "-H", "X-One:3", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "HeaderLines", o.HeaderLines, []string{"X-One: 1, 2", "accept:text/html", "X-One:3"})
		}},
		{name: "host header", args: []string{"-H", "Host: vhost.test", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "HeaderLines", o.HeaderLines, []string{"Host: vhost.test"})
		}},
		{name: "request data", args: []string{"-X", "PUT", "-d", "a=1", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Method Data", []any{o.Method, o.Data}, []any{"PUT", "a=1"})
		}},
		{name: "retry options", args: []string{"--retry", "3", "--retry-all-errors", "--retry-max-time", "20s", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "RetryAllErrors RetryMaxTime", []any{o.RetryAllErrors, o.RetryMaxTime}, []any{true, 20 * time.Second})
		}},
		{name: "include verbose", args: []string{"--include", "-v", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Include Verbose", []any{o.Include, o.Verbose}, []any{true, true})
		}},
		{name: "user-agent head compressed", args: []string{"-A", "bot/1", "-I", "--compressed", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "UserAgent", o.UserAgent, "bot/1")
			eq(t, "Head", o.Head, true)
			eq(t, "Compressed", o.Compressed, true)
		}},
		{name: "max-body units", args: []string{"--max-body", "10MB", "x"}, check: func(t *testing.T, o *Options) { eq(t, "MaxBody", o.MaxBody, int64(10_000_000)) }},
		{name: "max-body binary", args: []string{"--max-body=1GiB", "x"}, check: func(t *testing.T, o *Options) { eq(t, "MaxBody", o.MaxBody, int64(1<<30)) }},
		{name: "max-body KiB", args: []string{"--max-body=64kib", "x"}, check: func(t *testing.T, o *Options) { eq(t, "MaxBody", o.MaxBody, int64(64<<10)) }},
		{name: "save sha256", args: []string{"--save", saveDir, "--sha256", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "SaveDir", o.SaveDir, saveDir)
			eq(t, "SHA256", o.SHA256, true)
			if st, err := os.Stat(saveDir); err != nil || !st.IsDir() {
				t.Errorf("got Stat(%s) = %v; want a directory created", saveDir, err)
			}
		}},
		{name: "resolver pool", args: []string{"--resolver", "pool", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Resolver", o.Resolver, "pool")
		}},
		{name: "resolver async", args: []string{"--resolver", "async", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Resolver", o.Resolver, "async")
		}},
		{name: "dns servers", args: []string{"--dns-server", "127.0.0.1", "--dns-server", "[::1]:5353", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "DNSServers", strings.Join(o.DNSServers, ","), "127.0.0.1,[::1]:5353")
		}},
		{name: "dns servers with pool", args: []string{"--resolver", "pool", "--dns-server", "127.0.0.1", "x"}, wantErr: "--dns-server needs --resolver async"},
		{name: "ipv4", args: []string{"-4", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Family", o.Family, fetcher.Family4) }},
		{name: "ipv6", args: []string{"--ipv6", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Family", o.Family, fetcher.Family6) }},
		{name: "progress quiet slowest", args: []string{"--progress", "always", "-q", "--slowest", "5", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Progress", o.Progress, "always")
			eq(t, "Quiet", o.Quiet, true)
			eq(t, "Slowest", o.Slowest, 5)
		}},
		{name: "combined shorthands", args: []string{"-kIq4", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Insecure Head Quiet Family", []any{o.Insecure, o.Head, o.Quiet, o.Family}, []any{true, true, true, fetcher.Family4})
		}},

		{name: "unknown flag", args: []string{"--nope"}, wantErr: "fetch: unknown flag: --nope\n"},
		{name: "unknown flag with escapes", args: []string{"--no\x1b[2Jpe"}, wantErr: "fetch: unknown flag: --no\\x1b[2Jpe\n"},
		{name: "missing value", args: []string{"-c"}, wantErr: "flag needs an argument"},
		{name: "concurrency zero", args: []string{"-c", "0", "x"}, wantErr: "--concurrency: want 1 to 100000, got 0"},
		{name: "concurrency word", args: []string{"-c", "many", "x"}, wantErr: `invalid argument "many"`},
		{name: "per-host negative", args: []string{"--per-host=-1", "x"}, wantErr: "--per-host: want 0 or more"},
		{name: "rate negative", args: []string{"--rate=-1", "x"}, wantErr: "--rate: want 0 or more"},
		{name: "rate NaN", args: []string{"--rate=NaN", "x"}, wantErr: "--rate:"},
		{name: "hubs negative", args: []string{"--hubs=-2", "x"}, wantErr: "--hubs: want 0 or more"},
		{name: "old -m mode", args: []string{"-m", "sync", "x"}, wantErr: "-m is --max-time, as in curl; for the engine, use --mode sync"},
		{name: "old -m=mode", args: []string{"x", "-m=async"}, wantErr: "use --mode async"},
		{name: "max-time", args: []string{"-m", "2.5", "x"}, check: func(t *testing.T, o *Options) { eq(t, "Timeout", o.Timeout, 2500*time.Millisecond) }},
		{name: "curl aliases", args: []string{"--retry", "2", "--max-redirs", "0", "-L", "-s", "--tls-timeout", "3s", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "Retries MaxRedirects Quiet Silent TLSTimeout", []any{o.Retries, o.MaxRedirects, o.Quiet, o.Silent, o.TLSTimeout}, []any{2, 0, false, true, 3 * time.Second})
		}},
		{name: "output file", args: []string{"-o", "out.ndjson", "--json", "x"}, check: func(t *testing.T, o *Options) {
			eq(t, "OutputFile JSON", []any{o.OutputFile, o.JSON}, []any{"out.ndjson", true})
		}},
		{name: "output json refused", args: []string{"-o", "json", "x"}, wantErr: "-o/--output names the file to write results to; for the format, use --format json"},
		{name: "proxy", args: []string{"-x", "http://p:3128", "x"}, check: func(t *testing.T, o *Options) { eq(t, "proxy", o.Net.proxy.url, "http://p:3128") }},
		{name: "subcommand after flag", args: []string{"--json", "serve"}, wantErr: `"serve" is a subcommand: put it first`},
		{name: "results after flag", args: []string{"-q", "results"}, wantErr: `"results" is a subcommand: put it first`},
		{name: "write-out json", args: []string{"--json", "-w", "{url}", "x"}, wantErr: "-w/--write-out and --format json exclude each other"},
		{name: "write-out unknown", args: []string{"-w", "{timings_ms.nope}", "x"}, wantErr: "unknown field {timings_ms.nope}"},
		{name: "write-out unclosed", args: []string{"-w", "{url", "x"}, wantErr: "is not closed"},
		{name: "bad mode", args: []string{"--mode", "fast", "x"}, wantErr: `--mode: want sync, threads or async, got "fast"`},
		{name: "compare bad mode", args: []string{"--compare=sync,fast", "x"}, wantErr: `--compare: want sync, threads or async, got "fast"`},
		{name: "compare one mode", args: []string{"--compare=sync", "x"}, wantErr: "--compare: want at least two modes"},
		{name: "compare twice", args: []string{"--compare=sync,sync", "x"}, wantErr: "--compare: mode sync is listed twice"},
		{name: "compare list without =", args: []string{"--compare", "sync,threads", "x"}, wantErr: "--compare: a mode list must follow '=' (--compare=sync,threads)"},
		{name: "compare and mode", args: []string{"--compare", "--mode", "sync", "x"}, wantErr: "--mode and --compare exclude each other"},
		{name: "repeat zero", args: []string{"--repeat", "0", "x"}, wantErr: "--repeat: want 1 to 1000"},
		{name: "gate without compare", args: []string{"--min-speedup", "2", "x"}, wantErr: "--min-speedup needs --compare"},
		{name: "gate zero", args: []string{"--compare", "--min-speedup", "0", "x"}, wantErr: "--min-speedup: want a factor above 0"},
		{name: "bad format", args: []string{"--format", "yaml", "x"}, wantErr: `--format: want text or json, got "yaml"`},
		{name: "json and text", args: []string{"--json", "--format", "text", "x"}, wantErr: "--json and --format text exclude each other"},
		{name: "bad timeout", args: []string{"--timeout", "soon", "x"}, wantErr: `invalid argument "soon" for "--timeout" flag: want a duration such as 30s`},
		{name: "negative timeout", args: []string{"--timeout=-1s", "x"}, wantErr: "negative duration"},
		{name: "zero timeout", args: []string{"--timeout", "0", "x"}, wantErr: "--timeout: want a duration above 0"},
		{name: "zero max-time", args: []string{"-m", "0", "x"}, wantErr: "--max-time: want a duration above 0"},
		{name: "input twice", args: []string{"-i", "-", "-i", "b.txt"}, wantErr: `given twice (first "-"): fetch reads one list`},
		{name: "zero connect timeout", args: []string{"--connect-timeout", "0s", "x"}, wantErr: "--connect-timeout: want a duration above 0"},
		{name: "negative retries", args: []string{"--retries=-1", "x"}, wantErr: "--retry: want 0 or more"},
		{name: "negative redirects", args: []string{"--max-redirects=-1", "x"}, wantErr: "--max-redirs: want 0 or more"},
		{name: "header without colon", args: []string{"-H", "X-Foo", "x"}, wantErr: `-H "X-Foo": want "Name: value"`},
		{name: "header bad name", args: []string{"-H", "X Foo: 1", "x"}, wantErr: `header name "X Foo" is not valid`},
		{name: "header empty name", args: []string{"-H", ": 1", "x"}, wantErr: `header name "" is not valid`},
		{name: "header CRLF", args: []string{"-H", "X-A: 1\r\nX-B: 2", "x"}, wantErr: "the value has control bytes or a line break"},
		{name: "header Connection", args: []string{"-H", "Connection: close", "x"}, wantErr: "Connection is managed by the client"},
		{name: "header Content-Length", args: []string{"-H", "Content-Length: 5", "x"}, wantErr: "use -d/--data to send a body"},
		{name: "header Transfer-Encoding", args: []string{"-H", "Transfer-Encoding: gzip", "x"}, wantErr: "--compressed"},
		{name: "bad method", args: []string{"-X", "GE T", "x"}, wantErr: `-X/--request "GE T": not a valid method`},
		{name: "head and data", args: []string{"-I", "-d", "x=1", "x"}, wantErr: "-d/--data: a HEAD request (-I/--head) cannot carry a body"},
		{name: "head and put", args: []string{"-I", "-X", "PUT", "x"}, wantErr: "-I/--head and -X PUT exclude each other"},
		{name: "data file missing", args: []string{"-d", "@" + filepath.Join(dir, "nope"), "x"}, wantErr: "-d/--data @"},
		{name: "retry-all-errors without retry", args: []string{"--retry-all-errors", "x"}, wantErr: "need --retry N"},
		{name: "user-agent CRLF", args: []string{"-A", "a\nb", "x"}, wantErr: `-A/--user-agent "a\nb": not a valid header value`},
		{name: "bad size", args: []string{"--max-body", "10XB", "x"}, wantErr: `invalid argument "10XB" for "--max-body" flag`},
		{name: "negative size", args: []string{"--max-body=-5", "x"}, wantErr: `--max-body`},
		{name: "cacert missing", args: []string{"--cacert", filepath.Join(dir, "none.pem"), "x"}, wantErr: "--cacert " + filepath.Join(dir, "none.pem") + ": no such file"},
		{name: "cacert not PEM", args: []string{"--cacert", notPEM, "x"}, wantErr: "no PEM certificate in it"},
		{name: "save is a file", args: []string{"--save", notPEM, "x"}, wantErr: "--save: mkdir "},
		{name: "bad resolver", args: []string{"--resolver", "magic", "x"}, wantErr: `--resolver: want async or pool, got "magic"`},
		{name: "dns server name", args: []string{"--dns-server", "dns.google", "x"}, wantErr: `--dns-server: DNS server "dns.google": not an IP address`},
		{name: "dns server port", args: []string{"--dns-server", "127.0.0.1:99999", "x"}, wantErr: `--dns-server: DNS server "127.0.0.1:99999": port "99999": want 1 to 65535`},
		{name: "dns server zone", args: []string{"--dns-server", "[fe80::1%]0]", "x"}, wantErr: `--dns-server: DNS server "[fe80::1%]0]"`},
		{name: "ipv4 and ipv6", args: []string{"-4", "-6", "x"}, wantErr: "-4 and -6 exclude each other"},
		{name: "bad progress", args: []string{"--progress", "sometimes", "x"}, wantErr: `--progress: want auto, always, never or lines`},
		{name: "negative slowest", args: []string{"--slowest=-1", "x"}, wantErr: "--slowest: want 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := Test()
			var got *Options
			code := newCmdFetch(context.Background(), ios, tt.args, func(_ context.Context, o *Options) exitCode {
				got = o
				return exitOK
			})
			if tt.wantErr != "" {
				if code != exitUsage {
					t.Errorf("got exit %d; want %d", code, exitUsage)
				}
				if got != nil {
					t.Error("runF was called; want nothing run after a usage error")
				}
				if !strings.Contains(errOut.String(), tt.wantErr) {
					t.Errorf("got stderr %q; want it to contain %q", errOut, tt.wantErr)
				}
				if !strings.HasSuffix(errOut.String(), "Run 'fetch --help' for more information.\n") {
					t.Errorf("got stderr %q; want it to end with the usage hint", errOut)
				}
				if out.Len() != 0 {
					t.Errorf("got stdout %q; want none", out)
				}
				return
			}
			if code != exitOK || got == nil {
				t.Fatalf("got exit %d, stderr %q; want runF called", code, errOut)
			}
			tt.check(t, got)
		})
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s = %#v; want %#v", what, got, want)
	}
}

// TestHelp checks --help, -h, `fetch help` and the subcommands' help
// against golden files; help exits 0, runs nothing and writes stdout only.
func TestHelp(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"long", []string{"--help"}, "help"},
		{"short", []string{"-h"}, "help"},
		{"help word", []string{"help"}, "help"},
		{"after flags", []string{"-c", "3", "--help", "x"}, "help"},
		{"demo", []string{"demo", "--help"}, "help-demo"},
		{"serve", []string{"serve", "-h"}, "help-serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := Test()
			code := run(context.Background(), tt.args, ios)
			if code != exitOK {
				t.Errorf("got exit %d; want 0", code)
			}
			if errOut.Len() != 0 {
				t.Errorf("got stderr %q; want none", errOut)
			}
			checkGolden(t, tt.golden, out.Bytes())
			if !strings.Contains(out.String(), "\nExample:\n") {
				t.Error("help has no Example: block")
			}
			// Lines may run long only in examples of commands and output.
			for _, line := range strings.Split(out.String(), "\n") {
				if len([]rune(line)) > helpWidth && !strings.HasPrefix(line, "  $ ") && !strings.HasPrefix(line, "    ") {
					t.Errorf("help line longer than %d: %q", helpWidth, line)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	ios, _, out, _ := Test()
	if code := run(context.Background(), []string{"--version"}, ios); code != exitOK {
		t.Errorf("got exit %d; want 0", code)
	}
	if !strings.HasPrefix(out.String(), "fetch ") || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("got %q; want \"fetch VERSION\\n\"", out)
	}
}

func TestSubcommandFlagErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"demo", "--count", "0"}, "fetch demo: --count: want 1 to 1000, got 0"},
		{[]string{"demo", "--delays", "1s,soon"}, `fetch demo: --delays "soon"`},
		{[]string{"demo", "extra"}, `fetch demo: unexpected argument "extra"`},
		{[]string{"demo", "--min-speedup", "-1"}, "fetch demo: --min-speedup: want a factor above 0"},
		{[]string{"demo", "--repeat", "0"}, "fetch demo: --repeat: want 1 to 1000, got 0"},
		{[]string{"serve", "--pid-file"}, "fetch serve: flag needs an argument"},
		{[]string{"serve", "--bogus"}, "fetch serve: unknown flag: --bogus"},
		{[]string{"serve", "--max-size", "big"}, `fetch serve: invalid argument "big" for "--max-size" flag`},
		{[]string{"serve", "x"}, `fetch serve: unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, out, errOut := Test()
			if code := run(context.Background(), tt.args, ios); code != exitUsage {
				t.Errorf("got exit %d; want %d", code, exitUsage)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("got stderr %q; want it to contain %q", errOut, tt.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("got stdout %q; want none", out)
			}
		})
	}
}

// TestDemoFlags parses fetch demo's flags through its runF hook.
func TestDemoFlags(t *testing.T) {
	tests := []struct {
		args       []string
		wantDelays []time.Duration
		wantJSON   bool
	}{
		{nil, []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond}, false},
		{[]string{"-n", "2", "--step", "100ms", "--json"}, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, true},
		{[]string{"--delays", "0.2,1s"}, []time.Duration{200 * time.Millisecond, time.Second}, false},
		{[]string{"-n", "5", "--delays", "200ms,1s", "-q", "--repeat", "3"}, []time.Duration{200 * time.Millisecond, time.Second, 200 * time.Millisecond, time.Second, 200 * time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, _, _ := Test()
			var gotD *demoOptions
			var gotO *Options
			code := newCmdDemo(context.Background(), ios, tt.args, func(_ context.Context, o *Options, d *demoOptions) exitCode {
				gotO, gotD = o, d
				return exitOK
			})
			if code != exitOK || gotD == nil {
				t.Fatalf("got exit %d; want runF called", code)
			}
			eq(t, "delays", gotD.delays, tt.wantDelays)
			eq(t, "JSON", gotO.JSON, tt.wantJSON)
			eq(t, "Compare", gotO.Compare, []fetcher.Mode{fetcher.ModeSync, fetcher.ModeAsync})
			quiet := strings.Contains(strings.Join(tt.args, " "), "-q")
			eq(t, "announce", gotO.announce, !quiet)
			eq(t, "Quiet", gotO.Quiet, quiet)
			if quiet {
				eq(t, "Repeat", gotO.Repeat, 3)
			}
		})
	}
}

// testCAPEM is a self-signed CA certificate, only parsed.
const testCAPEM = `-----BEGIN CERTIFICATE-----
MIIBYTCCAQegAwIBAgIBATAKBggqhkjOPQQDAjAYMRYwFAYDVQQDEw1mZXRjaCB0
ZXN0IENBMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowGDEWMBQGA1UE
AxMNZmV0Y2ggdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFOarQBo
8fP6q7DXfqtTOlkHTSdlhciVLRhwkaU2OrewKpJePckUaCrl/u76C6H230+KIQoJ
Fri2+mNemQBVlGKjQjBAMA4GA1UdDwEB/wQEAwICBDAPBgNVHRMBAf8EBTADAQH/
MB0GA1UdDgQWBBRlDavth6wev/DDfKulcknREa0pLzAKBggqhkjOPQQDAgNIADBF
AiEA6SVvvhBJvpK5qbLWgY5SfnxqlrZUrnWpl6AP4caABDMCIBl5EwlrVzAcZ10f
BY9XuKy0mM5YABXdNXQh0vyeDKq6
-----END CERTIFICATE-----
`

// TestTimeoutFlagsApart: --connect-timeout bounds the TCP connect only and
// --tls-timeout the handshake only; neither sets the other's Config field.
func TestTimeoutFlagsApart(t *testing.T) {
	for _, tt := range []struct {
		args             []string
		connect, tlsTime time.Duration
	}{
		{[]string{"--connect-timeout", "250ms", "x"}, 250 * time.Millisecond, fetcher.DefaultTLSTimeout},
		{[]string{"--tls-timeout", "3s", "x"}, fetcher.DefaultConnectTimeout, 3 * time.Second},
	} {
		ios, _, _, errOut := Test()
		var cfg fetcher.RunConfig
		code := newCmdFetch(context.Background(), ios, tt.args, func(_ context.Context, o *Options) exitCode {
			var err error
			if cfg, err = baseConfig(o); err != nil {
				t.Errorf("%v: baseConfig: %v", tt.args, err)
			}
			return exitOK
		})
		if code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", tt.args, code, errOut)
		}
		if cfg.ConnectTimeout != tt.connect || cfg.TLSTimeout != tt.tlsTime {
			t.Errorf("%v: got ConnectTimeout %v, TLSTimeout %v; want %v, %v", tt.args, cfg.ConnectTimeout, cfg.TLSTimeout, tt.connect, tt.tlsTime)
		}
	}
}

// TestInFlagWords: the fetcher's checks name fields; the command's user
// reads the flags that set them, in the leading field, in the fields the
// message names, and nowhere a field of Go.
func TestInFlagWords(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  fetcher.RunConfig
		want string
	}{
		{"value and a field named", fetcher.RunConfig{Config: fetcher.Config{HeaderLines: []string{"Content-Length: 3"}}},
			`-H "Content-Length: 3": Content-Length is set by the client; use -d/--data to send a body`},
		{"two fields named", fetcher.RunConfig{Config: fetcher.Config{HeaderLines: []string{"Transfer-Encoding: gzip"}}},
			`-H "Transfer-Encoding: gzip": Transfer-Encoding is set by the client; use -d/--data to send a body, --compressed for a compressed answer`},
		{"method", fetcher.RunConfig{Config: fetcher.Config{Method: "HEAD", Data: "x"}}, "-d/--data: a HEAD request (-X/--request) cannot carry a body"},
		{"engine field", fetcher.RunConfig{Concurrency: -1}, "-c/--concurrency: want 0 (the default) or more, got -1"},
		{"off spelling", fetcher.RunConfig{Config: fetcher.Config{MaxConnectsPerHost: -1}}, "--connects-per-host: want 0 (the default) or more, got -1; --connects-per-host 0 turns the bound off"},
		{"proxy", fetcher.RunConfig{Config: fetcher.Config{Proxy: "ftp://u:pw@q"}}, `--proxy: proxy scheme "ftp" not supported (http, https, socks5 or socks5h)`},
		{"a field with no flag", fetcher.RunConfig{Config: fetcher.Config{MaxIdlePerHost: -1}}, "Config.MaxIdlePerHost: want 0 (the default) or more, got -1; Config.NoKeepAlive turns keep-alive off"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if err == nil {
				t.Fatal("Validate: got nil; want an error")
			}
			if got := inFlagWords(err).Error(); got != tt.want {
				t.Errorf("inFlagWords(%q) = %q; want %q", err, got, tt.want)
			}
		})
	}
	env := fetcher.Config{}
	t.Setenv("https_proxy", "socks4://u:pw@q")
	if got, want := inFlagWords(fetcher.CheckProxies(env)).Error(), `https_proxy: proxy scheme "socks4" not supported`; !strings.HasPrefix(got, want) {
		t.Errorf("environment proxy: got %q; want it to start %q", got, want)
	}
}

// TestFieldFlagsAreFields: every field fieldFlags names is a field of
// fetcher.Config or fetcher.RunConfig, so a field renamed in the fetcher
// does not leave its errors in Go's words.
func TestFieldFlagsAreFields(t *testing.T) {
	fields := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeOf(fetcher.Config{}), reflect.TypeOf(fetcher.RunConfig{})} {
		for i := 0; i < typ.NumField(); i++ {
			fields[typ.Field(i).Name] = true
		}
	}
	for f := range fieldFlags {
		if !fields[f] {
			t.Errorf("fieldFlags names %s; fetcher.Config and RunConfig have no such field", f)
		}
	}
}
