package testserver

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// stopTB records how findBinary ends a test; Fatal and Skip unwind with a
// panic as runtime.Goexit would.
type stopTB struct {
	testing.TB
	fatal, skip string
}

func (s *stopTB) Helper()                      {}
func (s *stopTB) Fatal(args ...any)            { s.fatal = fmt.Sprint(args...); panic(s) }
func (s *stopTB) Skip(args ...any)             { s.skip = fmt.Sprint(args...); panic(s) }
func (s *stopTB) Fatalf(f string, args ...any) { s.Fatal(fmt.Sprintf(f, args...)) }

func findMissing(t *testing.T) (s *stopTB) {
	s = &stopTB{TB: t}
	defer func() {
		if r := recover(); r != nil && r != any(s) {
			panic(r)
		}
	}()
	findBinary(s, "greenfetch-no-such-binary")
	return s
}

func TestFindBinaryMissing(t *testing.T) {
	tests := []struct {
		ci       string
		wantSkip bool
	}{
		{"", true},
		{"0", true},
		{"false", true},
		{"true", false},
		{"1", false},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			s := findMissing(t)
			if gotSkip := s.skip != ""; gotSkip != tt.wantSkip || (s.skip == "" && s.fatal == "") {
				t.Errorf("findBinary(missing) with CI=%q: got skip %q fatal %q; want skip %v", tt.ci, s.skip, s.fatal, tt.wantSkip)
			}
			if msg := s.skip + s.fatal; !strings.Contains(msg, "greenfetch-no-such-binary") || !strings.Contains(msg, "scripts/test.sh") {
				t.Errorf("findBinary(missing): message %q; want the name and how to install it", msg)
			}
		})
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(5, true)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Errorf("freePorts(5) = %v; want 5 distinct ports", ports)
		}
		seen[p] = true
	}
}

// TestStartServerRetries checks that startServer tries new ports when the
// log says a port was taken, and fails with the log after startTries.
func TestStartServerRetries(t *testing.T) {
	sh := findBinary(t, "sh")
	dir := t.TempDir()
	for _, tt := range []struct {
		msg       string
		wantTries int
	}{
		{"bind: Address already in use", startTries},
		{"bad configuration", 1},
	} {
		tries := 0
		s := &stopTB{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != any(s) {
					panic(r)
				}
			}()
			startServer(s, 1, false, func(ports []int) (launch, error) {
				tries++
				out := filepath.Join(dir, "out")
				return launch{
					name:       "sh",
					addr:       fmt.Sprintf("127.0.0.1:%d", ports[0]),
					bin:        sh,
					args:       []string{"-c", "echo '" + tt.msg + "'; exit 1"},
					configFile: filepath.Join(dir, "conf"),
					out:        out,
					logs:       []string{out},
					probe:      func() error { return errors.New("never ready") },
				}, nil
			})
		}()
		if tries != tt.wantTries {
			t.Errorf("%q: %d tries; want %d", tt.msg, tries, tt.wantTries)
		}
		for _, want := range []string{"testserver: sh on 127.0.0.1:", " did not start: ", "\nconfig: " + filepath.Join(dir, "conf"), "\nlog:\n" + tt.msg} {
			if !strings.Contains(s.fatal, want) {
				t.Errorf("%q: failure %q; want it to contain %q", tt.msg, s.fatal, want)
			}
		}
	}
}
