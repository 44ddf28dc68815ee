package main

// End-to-end tests of the command in pipelines and CI, as users run it:
// pipes, FIFOs, process substitution, /dev/stdin, signals, bash -e.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runShell runs script under `bash -e -o pipefail` (as GitHub Actions
// runs a step) with the fetch binary first on PATH, in dir, and returns
// what it wrote and its exit code.
func runShell(t *testing.T, dir, script string, env ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(testEnv("PATH="+filepath.Dir(fetchBin)+":"+os.Getenv("PATH")), env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("bash: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("script did not end within %v: %s", e2eTimeout, script)
	}
	return ran{out.String(), errOut.String(), code}
}

// summaries returns the summary objects of NDJSON output.
func summaries(t *testing.T, out string) []map[string]any {
	t.Helper()
	return parseNDJSON(t, out)["summary"]
}

// TestE2EStreamInputs: a list that can be read only once (a pipe behind
// -i /dev/stdin, a FIFO, a process substitution) is fetched whole with
// the progress bar on, and every run of a comparison fetches the same
// URLs; a regular file is read again by every run.
func TestE2EStreamInputs(t *testing.T) {
	srv := startServe(t)
	const n = 5
	var list strings.Builder
	list.WriteString("# a list\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&list, "%s/size/10?i=%d\n", srv.URL(), i)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "list.txt"), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := []struct{ name, redirect string }{
		{"pipe to -i /dev/stdin", "cat list.txt | fetch -i /dev/stdin"},
		{"pipe to -i -", "cat list.txt | fetch -i -"},
		{"process substitution", "fetch -i <(cat list.txt)"},
		{"FIFO", "mkfifo l.fifo; cat list.txt > l.fifo & fetch -i l.fifo"},
		{"regular file", "fetch -i list.txt"},
		{"file on stdin", "fetch < list.txt"},
	}
	runs := []struct {
		name  string
		flags string
		runs  int
	}{
		{"one run", "", 1},
		{"compare repeat", "--compare --repeat 2", 4},
	}
	for _, in := range inputs {
		for _, r := range runs {
			t.Run(in.name+"/"+r.name, func(t *testing.T) {
				os.Remove(filepath.Join(dir, "l.fifo"))
				before := srv.Requests()
				res := runShell(t, dir, in.redirect+" --json --progress always "+r.flags)
				if res.code != 0 {
					t.Fatalf("exit %d; want 0; stderr %q", res.code, res.stderr)
				}
				sums := summaries(t, res.stdout)
				if len(sums) != r.runs {
					t.Fatalf("got %d summaries; want %d:\n%s", len(sums), r.runs, res.stdout)
				}
				for i, s := range sums {
					if s["urls"] != float64(n) || s["ok"] != float64(n) {
						t.Errorf("run %d: summary %v; want %d URLs, all ok", i+1, s, n)
					}
				}
				if got := srv.Requests() - before; got != int64(n*r.runs) {
					t.Errorf("server got %d requests; want %d", got, n*r.runs)
				}
				if !strings.Contains(res.stderr, "\rasync ") {
					t.Errorf("stderr %q; want the progress bar (forced)", res.stderr)
				}
			})
		}
	}
}

// TestE2EEmptyList: a list with no URL, from any source, is a usage error
// that fetches nothing.
func TestE2EEmptyList(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.txt"), []byte("# nothing here\n\n  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, script, want string }{
		{"empty stdin", "fetch < /dev/null", "fetch: no URLs in standard input\n"},
		{"comments on a pipe", "printf '# x\\n\\n' | fetch --json", "fetch: no URLs in standard input\n"},
		{"comments in a file", "fetch -i empty.txt", "fetch: no URLs in empty.txt\n"},
		{"process substitution", "fetch -i <(true) --compare", "fetch: no URLs in /dev/fd/"},
		{"blank arguments", "fetch '' ' '", "fetch: no URLs in the arguments\n"},
		{"no file left by -o", "c=0; fetch -o out.ndjson < /dev/null || c=$?; test ! -e out.ndjson; exit $c", "fetch: no URLs in standard input\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runShell(t, dir, tt.script)
			if r.code != 2 {
				t.Errorf("exit %d; want 2", r.code)
			}
			if !strings.HasPrefix(r.stderr, tt.want) {
				t.Errorf("stderr %q; want it to start with %q", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q; want none", r.stdout)
			}
		})
	}
}

// TestE2EOK: every JSON result carries "ok"; the README's jq recipe for
// failures finds a 404; text marks it failed.
func TestE2EOK(t *testing.T) {
	srv := startServe(t)
	good, notFound, refused := srv.URL()+"/size/3", srv.URL()+"/status/404", "http://127.0.0.1:1/"
	r := runShell(t, t.TempDir(), fmt.Sprintf(`fetch --json %s %s %s | jq -r 'select(.type == "result" and .ok == false) | .url' | sort`, good, notFound, refused))
	if r.code != 1 {
		t.Errorf("exit %d; want 1 (pipefail: fetch's 1); stderr %q", r.code, r.stderr)
	}
	if want := refused + "\n" + notFound + "\n"; r.stdout != want {
		t.Errorf("jq found %q; want %q", r.stdout, want)
	}
	r = fetch(t, "", "--json", good, notFound)
	for _, o := range parseNDJSON(t, r.stdout)["result"] {
		if want := o["url"] == good; o["ok"] != want {
			t.Errorf("%v: ok = %v; want %v", o["url"], o["ok"], want)
		}
	}
	r = fetch(t, "", notFound)
	if !strings.HasPrefix(r.stdout, "failed: 1024 bytes received from "+notFound+" (404, ") {
		t.Errorf("text %q; want the 404 marked failed", r.stdout)
	}
	// Nothing succeeded: no percentiles, as null.
	r = fetch(t, "", "--json", notFound)
	if s := summaries(t, r.stdout); len(s) != 1 || s[0]["p50_ms"] != nil || s[0]["p95_ms"] != nil || s[0]["max_ms"] != nil {
		t.Errorf("summary %v; want p50_ms, p95_ms and max_ms null", s)
	}
}

// TestE2EInterruptNotStarted: SIGINT and SIGTERM end the run with a
// summary whose urls + not_started is the list's length when the list is
// a file; from a pipe, the rest is not read and input_complete says so.
func TestE2EInterruptNotStarted(t *testing.T) {
	srv := startServe(t)
	var list strings.Builder
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&list, "%s/size/3?fast=%d\n", srv.URL(), i)
	}
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&list, "%s/delay/30s?slow=%d\n", srv.URL(), i)
	}
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&list, "%s/size/3?later=%d  label %d\n", srv.URL(), i, i)
	}
	list.WriteString("# the end\n")
	const listLen = 11
	file := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(file, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		sig          syscall.Signal
		pipe         bool
		wantCode     int
		wantComplete bool
	}{
		{"file SIGINT", syscall.SIGINT, false, 130, true},
		{"file SIGTERM", syscall.SIGTERM, false, 143, true},
		{"pipe SIGINT", syscall.SIGINT, true, 130, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
			defer cancel()
			args := []string{"--json", "-c", "2", "--keep-order"}
			var stdinW io.WriteCloser
			cmd := exec.CommandContext(ctx, fetchBin)
			if tt.pipe {
				w, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				stdinW = w
			} else {
				args = append(args, "-i", file)
			}
			cmd.Args = append(cmd.Args, args...)
			cmd.Env = testEnv()
			var errOut strings.Builder
			cmd.Stderr = &errOut
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			before := srv.Active()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tt.pipe {
				// The whole list, and the pipe left open: a writer
				// that has more to say.
				io.WriteString(stdinW, list.String())
				defer stdinW.Close()
			}
			br := bufio.NewReader(stdout)
			var out strings.Builder
			for fast := 0; fast < 2; {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("reading results: %v (so far %q; stderr %q)", err, out.String(), errOut.String())
				}
				out.WriteString(line)
				if strings.Contains(line, "?fast=") {
					fast++
				}
			}
			for srv.Active()-before < 2 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(tt.sig)
			rest, _ := io.ReadAll(br)
			out.Write(rest)
			err = cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.wantCode {
				t.Errorf("exit %d (%v); want %d; stderr %q", code, err, tt.wantCode, errOut.String())
			}
			sums := summaries(t, out.String())
			if len(sums) != 1 {
				t.Fatalf("got %d summaries; want 1:\n%s", len(sums), out.String())
			}
			s := sums[0]
			urls, _ := s["urls"].(float64)
			notStarted, _ := s["not_started"].(float64)
			if s["input_complete"] != tt.wantComplete {
				t.Errorf("input_complete = %v; want %v (summary %v)", s["input_complete"], tt.wantComplete, s)
			}
			// The 2 in flight end canceled; jobs the engine had queued
			// ahead of its workers count as not started, as lines it had
			// not taken do.
			if s["ok"] != 2.0 || s["canceled"] != 2.0 || urls != 4 {
				t.Errorf("summary %v; want 2 ok and 2 canceled (those in flight), the rest not started", s)
			}
			if tt.wantComplete && urls+notStarted != listLen {
				t.Errorf("urls %v + not_started %v = %v; want the list's %d lines", urls, notStarted, urls+notStarted, listLen)
			}
			// From a pipe: the lines read (a buffer's worth) and not begun,
			// never more than were written.
			if !tt.wantComplete && urls+notStarted > listLen {
				t.Errorf("urls %v + not_started %v is more than the %d lines written", urls, notStarted, listLen)
			}
		})
	}
	t.Run("text", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
		defer cancel()
		cmd, br, _ := startStreaming(t, ctx, nil, "-c", "1", "-i", file)
		for i := 0; i < 2; i++ {
			if _, err := br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		// Lines are left after the slow one in flight: some are not started.
		cmd.Process.Signal(syscall.SIGINT)
		rest, _ := io.ReadAll(br)
		cmd.Wait()
		if !strings.Contains(string(rest), " not started, ") || !strings.Contains(string(rest), "summary: ") {
			t.Errorf("got %q; want the summary to say how many were not started", rest)
		}
	})
}

// TestE2EGatePrecedence: a gate not met exits 3 and says so even when a
// URL also failed.
func TestE2EGatePrecedence(t *testing.T) {
	srv := startServe(t)
	r := fetch(t, "", "--compare", "--min-speedup", "1000", "-q", srv.URL()+"/size/1", srv.URL()+"/status/500")
	if r.code != 3 {
		t.Errorf("exit %d; want 3; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "is below --min-speedup 1000.00x") {
		t.Errorf("stderr %q; want the gate's message", r.stderr)
	}
	// -q with --repeat: the failure once, then the table.
	r = fetch(t, "", "--compare", "--repeat", "3", "-q", srv.URL()+"/size/1", srv.URL()+"/status/500")
	if r.code != 1 {
		t.Errorf("exit %d; want 1", r.code)
	}
	if got := strings.Count(r.stdout, "/status/500"); got != 1 {
		t.Errorf("the failure is printed %d times; want once:\n%s", got, r.stdout)
	}
	if strings.Contains(r.stdout, "summary:") || !strings.Contains(r.stdout, "sync cost median ") || !strings.Contains(r.stdout, "\nspeedup ") {
		t.Errorf("got\n%s\nwant the failure and the table only", r.stdout)
	}
}

// TestE2ECurlFlags: curl's names work as curl users expect.
func TestE2ECurlFlags(t *testing.T) {
	srv := startServe(t)
	dir := t.TempDir()
	redir := srv.URL() + "/redirect/1/size/4"
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string // substring of stdout
		wantErr   string // substring of stderr
		wantNoOut bool
	}{
		{"max-time", []string{"-m", "0.3", srv.URL() + "/delay/5s"}, 1, "timeout", "", false},
		{"max-time long", []string{"--max-time", "300ms", srv.URL() + "/delay/5s"}, 1, "timeout", "", false},
		{"timeout alias", []string{"--timeout", "300ms", srv.URL() + "/delay/5s"}, 1, "timeout", "", false},
		{"max-redirs 0", []string{"--max-redirs", "0", redir}, 0, "(302, ", "", false},
		{"max-redirs follows", []string{"--max-redirs", "3", "-L", redir}, 0, "4 bytes received from " + redir + " (200, ", "", false},
		{"silent", []string{"-s", srv.URL() + "/size/4"}, 0, "summary: 1 URL, 1 ok", "", false},
		{"-o json is refused", []string{"-o", "json", srv.URL() + "/size/4"}, 2, "", "use --format json", true},
		{"subcommand after a flag", []string{"--json", "serve"}, 2, "", `fetch: "serve" is a subcommand: put it first`, true},
		{"write-out unknown field", []string{"-w", "{stauts}", srv.URL() + "/size/4"}, 2, "", "--write-out: unknown field {stauts}", true},
		{"tls-timeout", []string{"--tls-timeout", "0", srv.URL() + "/size/4"}, 2, "", "--tls-timeout: want a duration above 0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Requests()
			r := fetch(t, "", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d; want %d; stdout %q; stderr %q", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout %q; want %q in it", r.stdout, tt.wantOut)
			}
			if tt.wantErr != "" && !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q; want %q in it", r.stderr, tt.wantErr)
			}
			if tt.wantNoOut && (r.stdout != "" || srv.Requests() != before) {
				t.Errorf("stdout %q, %d requests; want nothing done", r.stdout, srv.Requests()-before)
			}
		})
	}
	t.Run("output file", func(t *testing.T) {
		file := filepath.Join(dir, "results.ndjson")
		r := fetch(t, "", "--json", "-o", file, srv.URL()+"/size/4")
		if r.code != 0 || r.stdout != "" {
			t.Errorf("exit %d, stdout %q; want 0 and nothing on stdout", r.code, r.stdout)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if objs := parseNDJSON(t, string(b)); len(objs["result"]) != 1 || len(objs["summary"]) != 1 {
			t.Errorf("file holds %s; want a result and a summary", b)
		}
	})
	t.Run("write-out", func(t *testing.T) {
		r := fetch(t, "", "--keep-order", "-w", `{status}\t{bytes}\t{ok}\t{timings_ms.total}\t{url}\n`, srv.URL()+"/size/4", srv.URL()+"/status/404")
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if r.code != 1 || len(lines) != 2 {
			t.Fatalf("exit %d, stdout %q; want 1 and two lines", r.code, r.stdout)
		}
		for i, want := range []string{"200\t4\ttrue\t", "404\t1024\tfalse\t"} {
			f := strings.Split(lines[i], "\t")
			if !strings.HasPrefix(lines[i], want) || len(f) != 5 || !strings.HasPrefix(f[4], srv.URL()) {
				t.Errorf("line %q; want %q, a time and the URL", lines[i], want)
			}
		}
		if !strings.Contains(r.stderr, "summary: 2 URLs") {
			t.Errorf("stderr %q; want the summary there", r.stderr)
		}
	})
}

// TestE2EControlCharacters: text output never carries a control
// character from the input.
func TestE2EControlCharacters(t *testing.T) {
	srv := startServe(t)
	evil := "http://h\x1b[2J\x1b]0;pwned\x07.test/\r\n"
	stdin := srv.URL() + "/size/2\n" + evil + "ftp://x/\x9b31m\n" + srv.URL() + "/size/1 label\x1bx\n"
	r := fetch(t, stdin, "--keep-order")
	for _, c := range []string{"\x1b", "\x07", "\r", "\x9b", "\u009b"} {
		if strings.Contains(r.stdout, c) || strings.Contains(r.stderr, c) {
			t.Errorf("output carries %q:\n%q\n%q", c, r.stdout, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, `\x1b[2J`) {
		t.Errorf("stdout %q; want the escape shown as \\x1b", r.stdout)
	}
}

// TestE2EServeFiles: fetch serve writes --ready-file (whole, with its
// URL) once listening and --pid-file at start, and removes both on exit.
func TestE2EServeFiles(t *testing.T) {
	dir := t.TempDir()
	ready, pidFile := filepath.Join(dir, "serve.url"), filepath.Join(dir, "serve.pid")
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, fetchBin, "serve", "--addr", "127.0.0.1:0", "--ready-file", ready, "--pid-file", pidFile)
	cmd.Env = testEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var url string
	for ctx.Err() == nil {
		b, err := os.ReadFile(ready)
		if err == nil {
			url = string(b)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "\n") {
		t.Errorf("ready file holds %q; want the base URL and a newline", url)
	}
	pid, _ := os.ReadFile(pidFile)
	if want := fmt.Sprintf("%d\n", cmd.Process.Pid); string(pid) != want {
		t.Errorf("pid file holds %q; want %q", pid, want)
	}
	r := fetch(t, "", strings.TrimSpace(url)+"/size/3")
	if r.code != 0 {
		t.Errorf("fetching from the server: exit %d %q", r.code, r.stderr)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve ended with %v; want exit 0", err)
	}
	for _, f := range []string{ready, pidFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left behind (%v)", f, err)
		}
	}
	// A server that cannot listen fails at once, and leaves no file.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r = fetch(t, "", "serve", "--addr", l.Addr().String(), "--ready-file", ready, "--pid-file", pidFile)
	if r.code != 2 || !strings.Contains(r.stderr, "fetch serve: ") {
		t.Errorf("serve on a busy port: exit %d %q; want 2 and a message", r.code, r.stderr)
	}
	for _, f := range []string{ready, pidFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left behind after a failed start (%v)", f, err)
		}
	}
}

// ciRecipe returns the README's CI recipe: the shell between the
// "ci-recipe" markers.
func ciRecipe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	const begin, end = "<!-- ci-recipe -->\n```bash\n", "```\n<!-- /ci-recipe -->"
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q block", begin, end)
	}
	return s[i+len(begin) : j]
}

// TestE2ECIRecipe runs the README's CI recipe literally under bash -e -o
// pipefail, with smaller numbers (10 URLs of 50 ms) so that it is quick,
// and limits that do not depend on a busy machine's luck where a case
// does not test them: the gates' exit 3 is the script's result, the
// reports are written either way and the Markdown goes to
// GITHUB_STEP_SUMMARY, a baseline left by an earlier run is compared with
// (and a slower server fails its regression gate), a server that never
// starts fails the step within seconds, and the server is stopped on
// every path.
func TestE2ECIRecipe(t *testing.T) {
	recipe := ciRecipe(t)
	for _, s := range []string{"seq 50", "200ms", "speedup.lo>=5", "regression<=10%", "p99<1s", "--report report.html", "--report report.md", "> run.ndjson", "baseline.ndjson"} {
		if !strings.Contains(recipe, s) {
			t.Fatalf("the recipe has no %q:\n%s", s, recipe)
		}
	}
	small := strings.NewReplacer("seq 50", "seq 10", "p99<1s", "p99<30s").Replace(recipe)
	tests := []struct {
		name       string
		delay      string // of each URL
		speedup    string // the limit of speedup.lo
		regression string // the limit of the regression gate
		baseline   string // the delay of the run left as baseline.ndjson; "" for none
		fakeServ   string // a fetch wrapper whose serve never listens
		wantCode   int
		wantFail   string // a gate missed, in the Markdown
		within     time.Duration
	}{
		{name: "gates met", delay: "50ms", speedup: "1.01", wantCode: 0},
		{name: "gates met, baseline", delay: "50ms", speedup: "1.01", regression: "1000%", baseline: "50ms", wantCode: 0},
		{name: "speedup gate not met", delay: "50ms", speedup: "1000", wantCode: 3, wantFail: "speedup.lo>=1000"},
		{name: "slower than the baseline", delay: "100ms", speedup: "1.01", regression: "10%", baseline: "50ms", wantCode: 3, wantFail: "regression&lt;=10% (async)"},
		{name: "server exits", delay: "50ms", speedup: "1.01", fakeServ: "exit 2", wantCode: 1, within: 5 * time.Second},
		{name: "server never listens", delay: "50ms", speedup: "1.01", fakeServ: "exec sleep 60", wantCode: 1, within: 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			regression := tt.regression
			if regression == "" {
				regression = "10%"
			}
			scale := func(delay string) string {
				return strings.NewReplacer("200ms", delay, "speedup.lo>=5", "speedup.lo>="+tt.speedup, "regression<=10%", "regression<="+regression).Replace(small)
			}
			step := filepath.Join(dir, "step-summary.md")
			env := []string{"GITHUB_STEP_SUMMARY=" + step}
			if tt.baseline != "" {
				// The run of an earlier job, kept: the recipe itself, at
				// the baseline's delay, without gates it could miss.
				prev := strings.NewReplacer("speedup.lo>=5", "speedup.lo>=0.001", "200ms", tt.baseline).Replace(small)
				if r := runShell(t, dir, prev, env...); r.code != 0 {
					t.Fatalf("the baseline's run: exit %d\nstderr %s", r.code, r.stderr)
				}
				if err := os.Rename(filepath.Join(dir, "run.ndjson"), filepath.Join(dir, "baseline.ndjson")); err != nil {
					t.Fatal(err)
				}
				os.Remove(step)
			}
			if tt.fakeServ != "" {
				bin := filepath.Join(dir, "bin")
				os.Mkdir(bin, 0o755)
				wrapper := "#!/bin/sh\nif [ \"$1\" = serve ]; then echo $$ > " + filepath.Join(dir, "fake.pid") + "; " + tt.fakeServ + "; fi\nexec " + fetchBin + " \"$@\"\n"
				if err := os.WriteFile(filepath.Join(bin, "fetch"), []byte(wrapper), 0o755); err != nil {
					t.Fatal(err)
				}
				env = append(env, "PATH="+bin+":"+filepath.Dir(fetchBin)+":"+os.Getenv("PATH"))
			}
			start := time.Now()
			r := runShell(t, dir, scale(tt.delay), env...)
			took := time.Since(start)
			if r.code != tt.wantCode {
				t.Errorf("exit %d; want %d\nstdout %s\nstderr %s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if tt.within > 0 && took > tt.within {
				t.Errorf("took %v; want the step to fail within %v", took, tt.within)
			}
			if tt.fakeServ == "" {
				md, err := os.ReadFile(filepath.Join(dir, "report.md"))
				if err != nil {
					t.Fatalf("no Markdown report: %v", err)
				}
				html, err := os.ReadFile(filepath.Join(dir, "report.html"))
				if err != nil || !bytes.HasPrefix(html, []byte("<!DOCTYPE html>")) {
					t.Errorf("no HTML report (%v)", err)
				}
				if stepMD, _ := os.ReadFile(step); !bytes.Equal(stepMD, append(md, '\n')) {
					t.Errorf("GITHUB_STEP_SUMMARY:\n%s\nwant the Markdown report", stepMD)
				}
				if (tt.baseline != "") != bytes.Contains(md, []byte("### Baseline: baseline.ndjson")) {
					t.Errorf("the report's baseline section does not match the case (baseline %q):\n%s", tt.baseline, md)
				}
				if tt.wantFail != "" && !bytes.Contains(md, []byte("| ❌ FAIL | "+tt.wantFail+" |")) {
					t.Errorf("the report lacks the gate missed, %s:\n%s", tt.wantFail, md)
				}
				if tt.wantFail == "" && !bytes.Contains(md, []byte("### Gates: all ")) {
					t.Errorf("the report does not say every gate was met:\n%s", md)
				}
				last := lastObject(t, string(mustRead(t, filepath.Join(dir, "run.ndjson"))), "compare")
				if _, ok := last["gates"]; !ok {
					t.Errorf("run.ndjson's compare object has no gates: %v", last)
				}
			}
			// Whatever happened, no server is left running.
			pidFile := filepath.Join(dir, "serve.pid")
			if tt.fakeServ != "" {
				pidFile = filepath.Join(dir, "fake.pid")
			}
			if b, err := os.ReadFile(pidFile); err == nil {
				var pid int
				fmt.Sscan(string(b), &pid)
				deadline := time.Now().Add(10 * time.Second)
				for pid > 0 && syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if pid > 0 && syscall.Kill(pid, 0) == nil {
					t.Errorf("server %d still runs after the step", pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		})
	}
	t.Run("one command", func(t *testing.T) {
		r := runShell(t, t.TempDir(), "fetch demo -n 10 --delays 50ms --repeat 2 -q --min-speedup 1000")
		if r.code != 3 || !strings.Contains(r.stderr, "is below --min-speedup") {
			t.Errorf("exit %d, stderr %q; want 3 and the gate's message", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "GET:") || !strings.Contains(r.stdout, "speedup ") {
			t.Errorf("stdout %q; want the table only", r.stdout)
		}
	})
}

// TestE2ECompareListChanged: a list file rewritten while a comparison
// runs gives runs of different lengths: exit 2, no speedup.
func TestE2ECompareListChanged(t *testing.T) {
	srv := startServe(t)
	file := filepath.Join(t.TempDir(), "urls.txt")
	list := srv.URL() + "/size/1\n" + srv.URL() + "/delay/300ms/size/1\n" + srv.URL() + "/size/2\n"
	if err := os.WriteFile(file, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	cmd, br, errOut := startStreaming(t, ctx, nil, "--compare", "--json", "-c", "1", "-i", file)
	if _, err := br.ReadString('\n'); err != nil { // the first result: the run has begun
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(srv.URL()+"/size/9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 2 || !strings.Contains(errOut.String(), "fetch: the runs read lists of different lengths") {
		t.Errorf("exit %d, stderr %q; want 2 and the message", code, errOut.String())
	}
	if strings.Contains(string(rest), `"type":"compare"`) {
		t.Errorf("a speedup was reported:\n%s", rest)
	}
}

// mustRead returns the contents of the file name.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
