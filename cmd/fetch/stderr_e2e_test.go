package main

// What goes to stderr (issue 23, items 2 and 9): -s/--silent hides the
// progress bar and the notes, never a result; results written to a file
// (-o) leave the cost and the summary on stderr too, also after Ctrl-C.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestE2ESilent: -s prints every result, as curl -s prints the body, and
// nothing on stderr but errors; -q keeps its meaning (failures only).
func TestE2ESilent(t *testing.T) {
	srv := startServe(t)
	ok, nf := srv.URL()+"/size/4", srv.URL()+"/status/404"
	tests := []struct {
		name      string
		args      []string
		wantOut   []string // substrings of stdout
		noOut     string   // not in stdout
		wantNoErr bool
	}{
		{"text", []string{"-s", ok, nf}, []string{"4 bytes received from " + ok, "failed: 1024 bytes received from " + nf, "summary: 2 URLs"}, "", true},
		{"json", []string{"-s", "--json", ok, nf}, []string{`"url":"` + ok + `"`, `"url":"` + nf + `"`, `"type":"summary"`}, "", true},
		{"-w", []string{"-s", "--keep-order", "-w", `{status}\n`, ok, nf}, []string{"200\n404\n"}, "summary", true},
		{"-sS", []string{"-sS", ok}, []string{"4 bytes received from " + ok}, "", true},
		{"-o", []string{"-s", "-o", "OUT", ok}, nil, "", true},
		{"-q", []string{"-q", ok, nf}, []string{"failed: 1024 bytes received from " + nf, "summary: 2 URLs"}, "bytes received from " + ok, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, a := range tt.args {
				if a == "OUT" {
					tt.args[i] = filepath.Join(t.TempDir(), "out.txt")
				}
			}
			r := fetch(t, "", tt.args...)
			if r.code != 0 && r.code != 1 {
				t.Errorf("exit %d; want 0 or 1 (stderr %q)", r.code, r.stderr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("fetch %v: stdout %q; want %q in it", tt.args, r.stdout, w)
				}
			}
			if tt.noOut != "" && strings.Contains(r.stdout, tt.noOut) {
				t.Errorf("fetch %v: stdout %q; want no %q", tt.args, r.stdout, tt.noOut)
			}
			if tt.wantNoErr && r.stderr != "" {
				t.Errorf("fetch %v: stderr %q; want none", tt.args, r.stderr)
			}
		})
	}
	t.Run("errors still shown", func(t *testing.T) {
		r := fetch(t, "", "-s", "--bogus", ok)
		if r.code != 2 || !strings.Contains(r.stderr, "unknown flag: --bogus") {
			t.Errorf("exit %d, stderr %q; want 2 and the error", r.code, r.stderr)
		}
	})
}

// TestSilentNoProgress: -s turns the progress bar off on a terminal,
// unless --progress always asks for it.
func TestSilentNoProgress(t *testing.T) {
	ios, _, _, _ := Test()
	ios.ErrTTY = true
	for _, tt := range []struct {
		o    Options
		want bool
	}{
		{Options{IO: ios, Progress: "auto"}, true},
		{Options{IO: ios, Progress: "auto", Silent: true}, false},
		{Options{IO: ios, Progress: "always", Silent: true}, true},
	} {
		if got := progressEnabled(&tt.o); got != tt.want {
			t.Errorf("progressEnabled(silent %v, progress %s) = %v; want %v", tt.o.Silent, tt.o.Progress, got, tt.want)
		}
	}
}

// TestE2EOutputFileSummaryOnStderr: with -o FILE, the cost and the
// summary go to the file and to stderr (in text, whatever the format), so
// the terminal is not left empty.
func TestE2EOutputFileSummaryOnStderr(t *testing.T) {
	srv := startServe(t)
	ok := srv.URL() + "/size/4"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			r := fetch(t, "", "--format", format, "-o", out, ok)
			if r.code != 0 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 0 and nothing", r.code, r.stdout)
			}
			if !strings.Contains(r.stderr, "async cost ") || !strings.Contains(r.stderr, "\nsummary: 1 URL, 1 ok, 0 failed") {
				t.Errorf("stderr %q; want the cost and the summary", r.stderr)
			}
			b, _ := os.ReadFile(out)
			if !bytes.Contains(b, []byte(ok)) {
				t.Errorf("%s holds %q; want the result", out, b)
			}
		})
	}
	t.Run("compare", func(t *testing.T) {
		r := fetch(t, "", "--compare", "-o", filepath.Join(t.TempDir(), "out"), ok)
		if !strings.Contains(r.stderr, "sync cost ") || !strings.Contains(r.stderr, "async cost ") || !strings.Contains(r.stderr, "\nspeedup ") {
			t.Errorf("stderr %q; want each cost and the speedup", r.stderr)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
		defer cancel()
		cmd, _, errOut := startStreaming(t, ctx, nil, "-c", "1", "--keep-order", "-o", out, ok, srv.URL()+"/delay/60s")
		waitFor(t, "the first result in "+out+partialSuffix, func() bool {
			b, _ := os.ReadFile(out + partialSuffix)
			return bytes.Contains(b, []byte("\n"))
		})
		waitFor(t, "the slow URL in flight", func() bool { return srv.Active() > 0 })
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 130 {
			t.Errorf("exit %d; want 130 (stderr %q)", code, errOut)
		}
		if !strings.Contains(errOut.String(), "summary: 2 URLs, 1 ok, 1 failed (1 canceled)") {
			t.Errorf("stderr %q; want the summary of the interrupted run", errOut)
		}
		b, _ := os.ReadFile(out)
		if !bytes.Contains(b, []byte("summary: 2 URLs")) {
			t.Errorf("%s holds %q; want the results and the summary", out, b)
		}
	})
}
