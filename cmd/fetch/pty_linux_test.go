//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
// on a terminal stderr, absent in a pipe or under CI unless forced, never
// on stdout.
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
	}{
		{name: "terminal", tty: true, wantBar: true, wantText: "/6"},
		{name: "terminal, stdin list (unknown total)", tty: true, stdin: strings.Join(urls, "\n"), wantBar: true, wantText: " done, "},
		{name: "pipe", tty: false},
		{name: "terminal under CI", tty: true, env: []string{"CI=true"}},
		{name: "CI forced", tty: true, env: []string{"CI=true"}, args: []string{"--progress", "always"}, wantBar: true},
		{name: "pipe forced", tty: false, args: []string{"--progress", "always"}, wantBar: true},
		{name: "terminal never", tty: true, args: []string{"--progress", "never"}},
		{name: "terminal quiet", tty: true, args: []string{"-q"}},
		{name: "stdout on the terminal too", tty: true, stdoutTTY: true, wantBar: true, wantText: "/6"},
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
			bar := stderr.String()
			if tt.stdoutTTY {
				// One stream: every result line must come out whole, on a
				// line of its own after the bar is cleared.
				for _, u := range urls {
					if !strings.Contains(bar, "\r100 bytes received from "+u+" (200, ") && !strings.Contains(bar, "\n100 bytes received from "+u+" (200, ") {
						t.Errorf("result of %s not on a clean line in %q", u, bar)
						break
					}
				}
				stdout.WriteString(bar)
			}
			if tt.wantBar && !strings.Contains(bar, "URL/") {
				t.Errorf("got stderr %q; want a progress bar", bar)
			}
			if tt.wantBar && tt.wantText != "" && !strings.Contains(bar, tt.wantText) {
				t.Errorf("got stderr %q; want it to show %q", bar, tt.wantText)
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
