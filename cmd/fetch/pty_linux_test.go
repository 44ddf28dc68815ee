//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// openPTY opens a pseudo-terminal pair: posix_openpt through /dev/ptmx,
// unlockpt (TIOCSPTLCK) and ptsname (TIOCGPTN).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("opening /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		m.Close()
		t.Fatalf("opening the pty slave: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestE2EProgress drives the progress bar through a pseudo-terminal: drawn
// on a terminal stderr when stdout is a terminal or a file, absent when
// stdout is a pipe (its reader may print to the same terminal), in CI, or
// quiet, unless forced; never on stdout.
func TestE2EProgress(t *testing.T) {
	srv := startServe(t)
	var urls []string
	for i := 0; i < 6; i++ {
		urls = append(urls, serve.URLFor(srv.URL(), 150*time.Millisecond, 100))
	}
	tests := []struct {
		name     string
		tty      bool
		env      []string
		args     []string
		stdin    string // "" means URLs as arguments
		wantBar  bool
		wantText string // in the bar, when wanted
		// stdoutTTY puts stdout on the terminal too: results and bar
		// share it, so the bar clears itself around each result line.
		stdoutTTY bool
		// stdoutFile sends stdout to a file rather than a pipe.
		stdoutFile bool
	}{
		{name: "terminal, stdout a file", tty: true, stdoutFile: true, wantBar: true, wantText: "/6 URL"},
		{name: "terminal, stdout a pipe", tty: true},
		{name: "terminal, stdin list (unknown total)", tty: true, stdoutFile: true, stdin: strings.Join(urls, "\n"), wantBar: true, wantText: " done"},
		{name: "pipe", tty: false},
		{name: "terminal under CI", tty: true, stdoutFile: true, env: []string{"CI=true"}},
		{name: "CI forced", tty: true, env: []string{"CI=true"}, args: []string{"--progress", "always"}, wantBar: true},
		{name: "pipe forced", tty: false, args: []string{"--progress", "always"}, wantBar: true},
		{name: "terminal never", tty: true, stdoutFile: true, args: []string{"--progress", "never"}},
		{name: "terminal quiet", tty: true, stdoutFile: true, args: []string{"-q"}},
		{name: "stdout on the terminal too", tty: true, stdoutTTY: true, wantBar: true, wantText: "/6 URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
			defer cancel()
			args := append([]string{"-c", "2"}, tt.args...)
			if tt.stdin == "" {
				args = append(args, urls...)
			}
			cmd := exec.CommandContext(ctx, fetchBin, args...)
			cmd.Env = testEnv(tt.env...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			var outFile *os.File
			if tt.stdoutFile {
				f, err := os.Create(t.TempDir() + "/out")
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				outFile, cmd.Stdout = f, f
			}
			var stderr bytes.Buffer
			var master *os.File
			readDone := make(chan struct{})
			if tt.tty {
				var slave *os.File
				master, slave = openPTY(t)
				cmd.Stderr = slave
				if tt.stdoutTTY {
					cmd.Stdout = slave
				}
				go func() {
					defer close(readDone)
					// Reading the master ends with EIO once the child has
					// exited and our slave is closed.
					io.Copy(&stderr, master) //nolint:errcheck
				}()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				slave.Close()
			} else {
				close(readDone)
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			<-readDone
			if err != nil {
				t.Fatalf("got %v; want exit 0 (stderr %q)", err, stderr.String())
			}
			if outFile != nil {
				b, err := os.ReadFile(outFile.Name())
				if err != nil {
					t.Fatal(err)
				}
				stdout.Write(b)
			}
			bar := stderr.String()
			if tt.stdoutTTY {
				// One stream: every result line must come out whole, on a
				// line of its own after the bar is cleared, and the bar
				// drawn again under it.
				for _, u := range urls {
					if !strings.Contains(bar, "\r\x1b[K100 bytes received from "+u+" (200, ") {
						t.Errorf("result of %s not on a clean line in %q", u, bar)
						break
					}
				}
				if n, m := strings.Count(bar, " bytes received from "), strings.Count(bar, ")\r\n\rasync "); m < n-1 {
					t.Errorf("the bar is redrawn under %d of %d result lines: %q", m, n, bar)
				}
				stdout.WriteString(bar)
			}
			if tt.wantBar && !strings.Contains(bar, "\rasync ") {
				t.Errorf("got stderr %q; want a progress bar", bar)
			}
			if tt.wantBar && tt.wantText != "" && !strings.Contains(bar, tt.wantText) {
				t.Errorf("got stderr %q; want it to show %q", bar, tt.wantText)
			}
			if i := strings.LastIndex(bar, "\rasync "); tt.wantBar && (i < 0 || !strings.Contains(bar[i+1:], "\r\x1b[K")) {
				t.Errorf("bar not erased at the end: %q", bar)
			}
			if !tt.wantBar && bar != "" {
				t.Errorf("got stderr %q; want nothing", bar)
			}
			wantLines := len(urls)
			if tt.name == "terminal quiet" {
				wantLines = 0
			}
			if got := strings.Count(stdout.String(), " bytes received from "); got != wantLines {
				t.Errorf("got %d result lines on stdout; want %d:\n%s", got, wantLines, stdout.String())
			}
			if !tt.stdoutTTY && strings.ContainsAny(stdout.String(), "\r\x1b") {
				t.Errorf("stdout has terminal control characters: %q", stdout.String())
			}
			t.Logf("stderr: %q", bar)
		})
	}
}

// tmux runs a tmux command on the test's own server (socket sock).
func tmux(t *testing.T, sock string, args ...string) string {
	t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
	cmd.Env = testEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// TestE2EProgressTmux runs fetch in a real terminal (tmux) at 50 and 120
// columns, results and bar on the same screen: while a slow URL is
// pending, the bar is the last line, under the results, and no wider than
// the screen; at the end no bar is left and no line of one remains.
func TestE2EProgressTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for this test (Debian package tmux)")
	}
	srv := startServe(t)
	var urls []string
	for i := 0; i < 5; i++ {
		urls = append(urls, fmt.Sprintf("%s/size/%d", srv.URL(), 100+i))
	}
	urls = append(urls, srv.URL()+"/delay/3s/size/1")
	for _, width := range []int{50, 120} {
		t.Run(fmt.Sprintf("%d columns", width), func(t *testing.T) {
			dir := t.TempDir()
			sock := dir + "/tmux.sock"
			script := fmt.Sprintf("%s -c 8 --keep-order %s; echo EXIT=$?; sleep 60", fetchBin, strings.Join(urls, " "))
			tmux(t, sock, "new-session", "-d", "-s", "t", "-x", strconv.Itoa(width), "-y", "40", "sh -c '"+script+"'")
			t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
			capture := func() []string {
				out := tmux(t, sock, "capture-pane", "-p", "-t", "t")
				return strings.Split(strings.TrimRight(out, "\n"), "\n")
			}
			isBar := func(l string) bool { return strings.Contains(l, "/6 URL") || strings.Contains(l, "% |") }
			deadline := time.Now().Add(e2eTimeout)
			// While the slow URL is pending: five results, and the bar last.
			var screen []string
			for time.Now().Before(deadline) {
				screen = capture()
				if strings.Count(strings.Join(screen, "\n"), "bytes received") >= 5 && isBar(screen[len(screen)-1]) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			last := screen[len(screen)-1]
			if !isBar(last) || !strings.Contains(last, "5/6 URL") {
				t.Errorf("screen while the last URL is pending:\n%s\nwant the bar, 5/6 done, on the last line", strings.Join(screen, "\n"))
			}
			if n := utf8.RuneCountInString(last); n >= width {
				t.Errorf("bar line %q is %d columns; want fewer than %d", last, n, width)
			}
			for _, l := range screen[:len(screen)-1] {
				if isBar(l) {
					t.Errorf("a stale bar line above the results: %q\n%s", l, strings.Join(screen, "\n"))
				}
			}
			t.Logf("screen at %d columns while the last URL is pending:\n%s", width, strings.Join(screen, "\n"))
			for time.Now().Before(deadline) {
				screen = capture()
				if strings.Contains(strings.Join(screen, "\n"), "EXIT=") {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			all := strings.Join(screen, "\n")
			if !strings.Contains(all, "EXIT=0") || !strings.Contains(all, "summary: 6 URLs, 6 ok") {
				t.Fatalf("final screen:\n%s\nwant the summary and exit 0", all)
			}
			for _, l := range screen {
				if isBar(l) {
					t.Errorf("bar left on the screen at the end: %q\n%s", l, all)
				}
			}
			t.Logf("final screen at %d columns:\n%s", width, all)
		})
	}
}
