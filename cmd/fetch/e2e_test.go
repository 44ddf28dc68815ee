package main

// End-to-end tests: the fetch binary, built once by TestMain, run as a user
// runs it, against the embedded server (internal/serve) and nginx
// (internal/testserver). They assert on output, exit codes and files,
// never on how long anything took.

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// fetchBin is the binary under test, built by TestMain.
var fetchBin string

// e2eTimeout bounds every run of the binary.
const e2eTimeout = 60 * time.Second

func TestMain(m *testing.M) {
	flag.Parse()
	if w := flag.Lookup("test.fuzzworker"); w != nil && w.Value.String() == "true" {
		// A fuzzing worker runs a fuzz target and nothing else: no
		// binary to build (each worker would build its own).
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "fetch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fetchBin = filepath.Join(dir, "fetch")
	build := exec.Command("go", "build", "-o", fetchBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building fetch:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startServe starts the embedded server for one test.
func startServe(t *testing.T) *serve.Server {
	t.Helper()
	srv, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type ran struct {
	stdout, stderr string
	code           int
}

// testEnv is the environment of the binary: ours without CI (so that
// tests of progress decide it), plus extra.
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CI=") && !isProxyVar(kv) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// fetch runs the binary with args and stdin, and returns what it wrote and
// its exit code.
// startStreaming starts fetch with args under ctx (stdin, if not nil, is
// its input) and returns the command, a reader of its standard output and
// its standard error, complete once the command was waited for.
func startStreaming(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (*exec.Cmd, *bufio.Reader, *strings.Builder) {
	t.Helper()
	cmd := exec.CommandContext(ctx, fetchBin, args...)
	cmd.Env = testEnv()
	cmd.Stdin = stdin
	errOut := &strings.Builder{}
	cmd.Stderr = errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewReader(stdout), errOut
}

func fetch(t *testing.T, stdin string, args ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, fetchBin, args...)
	cmd.Env = testEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fetch %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("fetch %v did not end within %v", args, e2eTimeout)
	}
	return ran{out.String(), errOut.String(), code}
}

// The JSON contract of DESIGN.md: every field of every object, with its
// type ("string?" may be null).
var (
	resultContract = map[string]string{
		"type": "string", "url": "string", "final_url": "string", "mode": "string", "status": "number",
		"bytes": "number", "wire_bytes": "number", "content_type": "string", "redirects": "number",
		"retries": "number", "remote_addr": "string", "timings_ms": "object", "error": "string?", "error_kind": "string?",
		"ok": "bool",
	}
	timingsContract = map[string]string{"queue": "number", "dns": "number", "connect": "number", "tls": "number", "ttfb": "number", "total": "number"}
	summaryContract = map[string]string{
		"type": "string", "mode": "string", "urls": "number", "ok": "number", "failed": "number", "bytes": "number",
		"wall_ms": "number", "p50_ms": "number?", "p95_ms": "number?", "max_ms": "number?", "dns": "object",
		"canceled": "number", "not_started": "number", "input_complete": "bool",
		"rps": "number", "latency_ms": "object?", "latency_from": "string", "phases_ms": "object?",
	}
	distContract = map[string]string{"p50": "number", "p90": "number", "p95": "number", "p99": "number", "p999": "number",
		"max": "number", "mean": "number", "stddev": "number", "min": "number"}
	dnsContract     = map[string]string{"queries": "number", "cache_hits": "number"}
	compareContract = map[string]string{"type": "string", "runs": "array", "speedup": "number"}
	runContract     = map[string]string{"mode": "string", "wall_ms": "number"}
	errorKinds      = map[string]bool{"invalid_url": true, "unsupported_scheme": true, "dns": true, "connect": true, "tls": true,
		"timeout": true, "protocol": true, "too_large": true, "too_many_redirects": true, "io": true, "canceled": true, "internal": true, "proxy": true}
	modes = map[string]bool{"sync": true, "threads": true, "async": true}
)

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func checkContract(t *testing.T, what string, obj map[string]any, contract map[string]string) {
	t.Helper()
	for field, want := range contract {
		v, ok := obj[field]
		if !ok {
			t.Errorf("%s: field %q missing in %v", what, field, obj)
			continue
		}
		got := jsonType(v)
		if got != strings.TrimSuffix(want, "?") && !(strings.HasSuffix(want, "?") && got == "null") {
			t.Errorf("%s: field %q is %s (%v); want %s", what, field, got, v, want)
		}
	}
}

// parseNDJSON checks that every line of out is one JSON object that keeps
// the contract of its type, and returns them by type.
func parseNDJSON(t *testing.T, out string) map[string][]map[string]any {
	t.Helper()
	byType := map[string][]map[string]any{}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline: %q", out)
	}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", i+1, err, line)
		}
		typ, _ := obj["type"].(string)
		what := fmt.Sprintf("line %d (%s)", i+1, typ)
		switch typ {
		case "result":
			checkContract(t, what, obj, resultContract)
			if tm, ok := obj["timings_ms"].(map[string]any); ok {
				checkContract(t, what+" timings_ms", tm, timingsContract)
			}
			if !modes[fmt.Sprint(obj["mode"])] {
				t.Errorf("%s: mode %v; want sync, threads or async", what, obj["mode"])
			}
			kind, hasKind := obj["error_kind"].(string)
			_, hasErr := obj["error"].(string)
			if hasKind != hasErr {
				t.Errorf("%s: error %v and error_kind %v must be null together", what, obj["error"], obj["error_kind"])
			}
			if hasKind && !errorKinds[kind] {
				t.Errorf("%s: error_kind %q is not in the contract", what, kind)
			}
		case "summary":
			checkContract(t, what, obj, summaryContract)
			if d, ok := obj["dns"].(map[string]any); ok {
				checkContract(t, what+" dns", d, dnsContract)
			}
			if d, ok := obj["latency_ms"].(map[string]any); ok {
				checkContract(t, what+" latency_ms", d, distContract)
			}
			if ph, ok := obj["phases_ms"].(map[string]any); ok {
				for _, name := range []string{"queue", "dns", "connect", "tls", "ttfb"} {
					d, _ := ph[name].(map[string]any)
					checkContract(t, what+" phases_ms."+name, d, distContract)
				}
			}
		case "compare":
			checkContract(t, what, obj, compareContract)
			runs, _ := obj["runs"].([]any)
			for _, r := range runs {
				m, _ := r.(map[string]any)
				checkContract(t, what+" run", m, runContract)
			}
		case "start":
		default:
			t.Errorf("%s: unknown type in %s", what, line)
		}
		byType[typ] = append(byType[typ], obj)
	}
	return byType
}

func resultsByURL(objs []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, o := range objs {
		m[o["url"].(string)] = o
	}
	return m
}

func TestE2EText(t *testing.T) {
	srv := startServe(t)
	a := serve.URLFor(srv.URL(), 0, 48708)
	b := srv.URL() + "/size/10/status/404"
	r := fetch(t, "", a, b)
	if r.code != 1 {
		t.Errorf("got exit %d; want 1 (a 404); stderr %q", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("got stderr %q; want none", r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines; want 2 results, the cost, the summary and the latency:\n%s", len(lines), r.stdout)
	}
	wantPrefix := map[string]bool{
		"48708 bytes received from " + a + " (200, ":      true,
		"failed: 10 bytes received from " + b + " (404, ": true,
	}
	for _, l := range lines[:2] {
		i := strings.Index(l, ", ")
		if i < 0 || !wantPrefix[l[:i+2]] || !strings.HasSuffix(l, " ms)") {
			t.Errorf("result line %q; want [failed: ]NNN bytes received from URL (STATUS, N ms)", l)
		}
	}
	if !strings.HasPrefix(lines[2], "async cost ") || !strings.HasSuffix(lines[2], "s") {
		t.Errorf("got %q; want \"async cost N.NNNs\"", lines[2])
	}
	if !strings.HasPrefix(lines[3], "summary: 2 URLs, 1 ok, 1 failed, 48718 bytes, p50 ") {
		t.Errorf("got %q; want the summary", lines[3])
	}
	if !strings.HasPrefix(lines[4], "latency: p50 ") || !strings.Contains(lines[4], ", p99.9 ") || !strings.Contains(lines[4], " ± ") {
		t.Errorf("got %q; want the latency line: \"latency: p50 …, p99.9 …, mean … ± …\"", lines[4])
	}
}

func TestE2EJSON(t *testing.T) {
	srv := startServe(t)
	ok := srv.URL() + "/size/1000/gzip"
	redir := srv.URL() + "/redirect/2/size/7"
	nf := srv.URL() + "/status/404"
	refused := "http://127.0.0.1:1/"
	bad := "ftp://example.org/x"
	r := fetch(t, "", "--json", "--compressed", "--slowest", "2", ok, redir, nf, refused, bad, "127.0.0.1:1/no-scheme")
	if r.code != 1 {
		t.Errorf("got exit %d; want 1; stderr %q", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	if len(objs["result"]) != 6 || len(objs["summary"]) != 1 {
		t.Fatalf("got %d results and %d summaries; want 6 and 1:\n%s", len(objs["result"]), len(objs["summary"]), r.stdout)
	}
	res := resultsByURL(objs["result"])
	checks := []struct {
		url, field string
		want       any
	}{
		{ok, "bytes", 1000.0}, {ok, "status", 200.0}, {ok, "error_kind", nil},
		{redir, "redirects", 2.0}, {redir, "bytes", 7.0},
		{nf, "status", 404.0}, {nf, "error_kind", nil},
		{refused, "error_kind", "connect"},
		{bad, "error_kind", "unsupported_scheme"},
		{"http://127.0.0.1:1/no-scheme", "error_kind", "connect"},
	}
	for _, c := range checks {
		o, found := res[c.url]
		if !found {
			t.Errorf("no result for %s", c.url)
			continue
		}
		if o[c.field] != c.want {
			t.Errorf("%s: got %s = %v; want %v", c.url, c.field, o[c.field], c.want)
		}
	}
	if o := res[ok]; o != nil && o["wire_bytes"].(float64) >= 1000 {
		t.Errorf("%s: got wire_bytes %v; want fewer than the 1000 decoded bytes (gzip)", ok, o["wire_bytes"])
	}
	s := objs["summary"][0]
	if s["urls"] != 6.0 || s["ok"] != 2.0 || s["failed"] != 4.0 {
		t.Errorf("got summary %v; want 6 urls, 2 ok, 4 failed", s)
	}
	if slow, _ := s["slowest"].([]any); len(slow) != 2 {
		t.Errorf("got slowest %v; want the 2 slowest", s["slowest"])
	}
}

func TestE2EInputs(t *testing.T) {
	srv := startServe(t)
	list := "# comment\n\n" + srv.URL() + "/size/1\n  " + srv.URL() + "/size/2  \r\n" + strings.TrimPrefix(srv.URL(), "http://") + "/size/3"
	file := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(file, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  int // results
	}{
		{"args", "", []string{srv.URL() + "/size/1", srv.URL() + "/size/2"}, 2},
		{"file", "", []string{"-i", file}, 3},
		{"stdin", list, nil, 3},
		{"stdin dash", list, []string{"--input", "-"}, 3},
		{"args then file", "", []string{"-i", file, srv.URL() + "/size/4"}, 4},
		{"args, stdin not read", list, []string{srv.URL() + "/size/4"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fetch(t, tt.stdin, append([]string{"--json"}, tt.args...)...)
			if r.code != 0 {
				t.Errorf("got exit %d; want 0; stderr %q", r.code, r.stderr)
			}
			objs := parseNDJSON(t, r.stdout)
			if got := len(objs["result"]); got != tt.want {
				t.Errorf("got %d results; want %d:\n%s", got, tt.want, r.stdout)
			}
		})
	}
}

func TestE2EBadLines(t *testing.T) {
	srv := startServe(t)
	long := srv.URL() + "/" + strings.Repeat("a", maxLineLength)
	stdin := srv.URL() + "/size/1\nmailto:x@y\nhttp://\n" + long + "\nhttp://exa%zzmple.org/\nhttps://[::1/\n" + srv.URL() + "/size/2\n"
	r := fetch(t, stdin, "--json", "--keep-order")
	if r.code != 1 {
		t.Errorf("got exit %d; want 1; stderr %q", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	var kinds []string
	for _, o := range objs["result"] {
		kinds = append(kinds, fmt.Sprint(o["error_kind"]))
	}
	want := []string{"<nil>", "unsupported_scheme", "invalid_url", "invalid_url", "invalid_url", "invalid_url", "<nil>"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("got error kinds %v; want %v", kinds, want)
	}
	if n := len(objs["result"]); n == 7 && len(fmt.Sprint(objs["result"][3]["url"])) > maxShownURL+10 {
		t.Errorf("the over-long line is repeated whole (%d bytes); want it cut", len(fmt.Sprint(objs["result"][3]["url"])))
	}
}

func TestE2EBadFlagsFetchNothing(t *testing.T) {
	srv := startServe(t)
	u := srv.URL() + "/size/1"
	for _, args := range [][]string{
		{"--bogus", u},
		{"-c", "0", u},
		{"--mode", "turbo", u},
		{"--compare", "sync,async", u},
		{"-H", "no colon", u},
		{"--max-body", "lots", u},
		{"--min-speedup", "2", u},
		{"-i", filepath.Join(t.TempDir(), "missing.txt"), u},
	} {
		t.Run(strings.Join(args[:len(args)-1], " "), func(t *testing.T) {
			before := srv.Requests()
			r := fetch(t, "", args...)
			if r.code != 2 {
				t.Errorf("got exit %d; want 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("got stdout %q; want none", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "fetch: ") {
				t.Errorf("got stderr %q; want a message", r.stderr)
			}
			if got := srv.Requests() - before; got != 0 {
				t.Errorf("the server got %d requests; want none", got)
			}
		})
	}
}

func TestE2ECompareGate(t *testing.T) {
	srv := startServe(t)
	var urls []string
	for i := 0; i < 4; i++ {
		urls = append(urls, serve.URLFor(srv.URL(), 200*time.Millisecond, 10))
	}
	t.Run("json", func(t *testing.T) {
		r := fetch(t, "", append([]string{"--compare", "--repeat", "2", "--json", "-q"}, urls...)...)
		if r.code != 0 {
			t.Errorf("got exit %d; want 0; stderr %q", r.code, r.stderr)
		}
		objs := parseNDJSON(t, r.stdout)
		if len(objs["summary"]) != 4 || len(objs["compare"]) != 1 {
			t.Fatalf("got %d summaries and %d compares; want 4 and 1", len(objs["summary"]), len(objs["compare"]))
		}
		var order []string
		for _, s := range objs["summary"] {
			order = append(order, s["mode"].(string))
		}
		if got := strings.Join(order, ","); got != "sync,async,async,sync" {
			t.Errorf("got runs %s; want sync,async,async,sync (alternating)", got)
		}
	})
	t.Run("gate not met", func(t *testing.T) {
		// No engine is a thousand times faster than another on 4 URLs.
		r := fetch(t, "", append([]string{"--compare", "--min-speedup", "1000", "-q"}, urls...)...)
		if r.code != 3 {
			t.Errorf("got exit %d; want 3; stderr %q", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "is below --min-speedup 1000.00x") {
			t.Errorf("got stderr %q; want the gate's message", r.stderr)
		}
		if !strings.Contains(r.stdout, "\nspeedup ") {
			t.Errorf("got stdout %q; want the speedup line", r.stdout)
		}
	})
	t.Run("gate met", func(t *testing.T) {
		// 4 × 200ms one after another against 200ms at once: about 4x,
		// far above 1.01x whatever the machine.
		r := fetch(t, "", append([]string{"--compare", "--min-speedup", "1.01", "-q"}, urls...)...)
		if r.code != 0 {
			t.Errorf("got exit %d; want 0; stderr %q; stdout %q", r.code, r.stderr, r.stdout)
		}
	})
}

func TestE2EKeepOrder(t *testing.T) {
	srv := startServe(t)
	var urls []string
	for i := 5; i >= 0; i-- { // the first URL answers last
		urls = append(urls, serve.URLFor(srv.URL(), time.Duration(i)*60*time.Millisecond, int64(i+1)))
	}
	r := fetch(t, "", append([]string{"--json", "--keep-order"}, urls...)...)
	if r.code != 0 {
		t.Fatalf("got exit %d; want 0; stderr %q", r.code, r.stderr)
	}
	objs := parseNDJSON(t, r.stdout)
	for i, o := range objs["result"] {
		if o["url"] != urls[i] {
			t.Errorf("result %d is %v; want %s (input order)", i, o["url"], urls[i])
		}
	}
}

func TestE2ESave(t *testing.T) {
	srv := startServe(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	urls := []string{
		srv.URL() + "/size/5",
		srv.URL() + "/size/6?name=../../escape",
		srv.URL() + "/size/7/%2e%2e/%2e%2e/%2e%2e/escape2",
		srv.URL() + "/size/8/..%2F..%2F..%2Fescape3",
		srv.URL() + "/",
	}
	r := fetch(t, "", append([]string{"--json", "--save", dir, "--sha256"}, urls...)...)
	objs := parseNDJSON(t, r.stdout)
	if len(objs["result"]) != len(urls) {
		t.Fatalf("got %d results; want %d; stderr %q", len(objs["result"]), len(urls), r.stderr)
	}
	for _, o := range objs["result"] {
		saved, _ := o["saved_as"].(string)
		if o["error_kind"] != nil {
			continue // a path the server refuses is fine; escaping is not
		}
		if saved == "" {
			t.Errorf("%v: no saved_as", o["url"])
			continue
		}
		abs, err := filepath.Abs(saved)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel(dir, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Errorf("%v saved as %s: outside %s", o["url"], saved, dir)
			continue
		}
		st, err := os.Stat(abs)
		if err != nil {
			t.Errorf("%v: %v", o["url"], err)
		} else if float64(st.Size()) != o["bytes"] {
			t.Errorf("%v: file has %d bytes; want %v", o["url"], st.Size(), o["bytes"])
		}
		if len(fmt.Sprint(o["sha256"])) != 64 {
			t.Errorf("%v: sha256 %v; want 64 hex digits", o["url"], o["sha256"])
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "out" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("got %v beside the save directory; want only out", names)
	}
}

func TestE2EExitCodes(t *testing.T) {
	srv := startServe(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"all ok", []string{srv.URL() + "/size/1"}, 0},
		{"status 500", []string{srv.URL() + "/status/500"}, 1},
		{"too large", []string{"--max-body", "10", srv.URL() + "/size/11"}, 1},
		{"timeout", []string{"--timeout", "200ms", srv.URL() + "/delay/5s"}, 1},
		{"usage", []string{"--repeat", "x"}, 2},
		{"gate", []string{"--compare", "--min-speedup", "1000", "-q", srv.URL() + "/size/1"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := fetch(t, "", tt.args...); r.code != tt.want {
				t.Errorf("got exit %d; want %d; stdout %q, stderr %q", r.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}

// TestE2EClosedStdout: `fetch ... | head -1` ends quietly.
func TestE2EClosedStdout(t *testing.T) {
	srv := startServe(t)
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&sb, "%s/size/10?i=%d\n", srv.URL(), i)
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, fetchBin, "--format", format, "-c", "8")
			cmd.Env = testEnv()
			cmd.Stdin = strings.NewReader(sb.String())
			var errOut strings.Builder
			cmd.Stderr = &errOut
			stdout, err := cmd.StdoutPipe() // closed after one line, as head -1 does
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatalf("reading the first line: %v", err)
			}
			stdout.Close() // as head -1 does
			err = cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != 0 {
				t.Errorf("got exit %d (%v); want 0", code, err)
			}
			if errOut.Len() != 0 {
				t.Errorf("got stderr %q; want none", errOut.String())
			}
			if !strings.Contains(line, "?i=") {
				t.Errorf("first line %q; want a result", line)
			}
		})
	}
}

// TestE2EInterrupt: SIGINT mid-run stops new work, ends the URLs in flight
// as canceled, prints the summary and exits 130.
func TestE2EInterrupt(t *testing.T) {
	srv := startServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	args := []string{"--json", "-c", "4"}
	for i := 0; i < 2; i++ {
		args = append(args, fmt.Sprintf("%s/size/3?fast=%d", srv.URL(), i))
	}
	for i := 0; i < 4; i++ {
		args = append(args, fmt.Sprintf("%s/delay/30s?slow=%d", srv.URL(), i))
	}
	cmd, br, errOut := startStreaming(t, ctx, nil, args...)
	var out strings.Builder
	for fast := 0; fast < 2; {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading results: %v (so far %q)", err, out.String())
		}
		out.WriteString(line)
		if strings.Contains(line, "?fast=") {
			fast++
		}
	}
	// The slow ones are parked in the server now, or about to be.
	for srv.Active() < 4 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	out.Write(rest)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 {
		t.Errorf("got exit %d (%v); want 130; stderr %q", code, err, errOut.String())
	}
	objs := parseNDJSON(t, out.String())
	canceled := 0
	for _, o := range objs["result"] {
		if o["error_kind"] == "canceled" {
			canceled++
		}
	}
	if canceled != 4 {
		t.Errorf("got %d canceled results; want the 4 in flight:\n%s", canceled, out.String())
	}
	if len(objs["summary"]) != 1 {
		t.Fatalf("got %d summaries; want 1:\n%s", len(objs["summary"]), out.String())
	}
	if s := objs["summary"][0]; s["ok"] != 2.0 || s["canceled"] != 4.0 {
		t.Errorf("got summary %v; want 2 ok, 4 canceled", s)
	}
}

func TestE2EDemo(t *testing.T) {
	r := fetch(t, "", "demo", "-n", "2", "--step", "100ms")
	if r.code != 0 {
		t.Fatalf("got exit %d; want 0; stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	var shape []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "GET: http://127.0.0.1:"):
			shape = append(shape, "GET")
		case strings.HasPrefix(l, "16384 bytes received from http://127.0.0.1:"):
			shape = append(shape, "bytes")
		case strings.HasPrefix(l, "sync cost "), strings.HasPrefix(l, "async cost "):
			shape = append(shape, l[:strings.Index(l, " ")])
		case strings.HasPrefix(l, "speedup ") && strings.HasSuffix(l, "x"):
			shape = append(shape, "speedup")
		default:
			t.Errorf("unexpected line %q", l)
		}
	}
	// sync: GET, bytes, GET, bytes; async: both GETs first, then bytes.
	if got, want := strings.Join(shape, " "), "GET bytes GET bytes sync GET GET bytes bytes async speedup"; got != want {
		t.Errorf("got lines %s; want %s:\n%s", got, want, r.stdout)
	}
}

func TestE2EServe(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
			defer cancel()
			cmd, br, errOut := startStreaming(t, ctx, nil, "serve", "--addr", "127.0.0.1:0")
			base, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the URL: %v", err)
			}
			base = strings.TrimSpace(base)
			resp, err := http.Get(base + "/size/5")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "01234" {
				t.Errorf("got body %q; want 01234", body)
			}
			cmd.Process.Signal(sig)
			err = cmd.Wait()
			if err != nil {
				t.Errorf("got %v after %v; want a clean exit 0 (stderr %q)", err, sig, errOut.String())
			}
			if !strings.Contains(errOut.String(), "fetch serve: stopped after 1 requests") {
				t.Errorf("got stderr %q; want the shutdown note", errOut.String())
			}
		})
	}
}
