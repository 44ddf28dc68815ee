// Package testserver starts real servers on loopback for the tests of other
// packages: nginx for HTTP/1.1, keep-alive, gzip, chunked bodies and TLS, and
// dnsmasq and unbound for DNS, each with a configuration generated into a temporary
// directory, on free ports of 127.0.0.1, stopped when the test ends. It also
// makes the certificates those tests need (a CA, a server certificate, and
// expired, wrong-name and untrusted ones for TLS error tests).
//
// Binaries are looked up on PATH and in /usr/sbin. When one is missing, the
// test is skipped, unless the environment variable CI is set (to anything but
// "", "0" or "false"): then it fails, so that CI never passes by skipping.
// scripts/test.sh installs them.
//
// Start servers from the test's own goroutine (they wait with time.Sleep,
// which would stall a scheduler hub). A server whose test process dies is
// killed too (on Linux, through the parent-death signal), so no orphan keeps
// a port.
package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the start-up and shutdown loops.
const (
	readyTimeout = 5 * time.Second        // a server must answer this soon after start
	readyPoll    = 10 * time.Millisecond  // pause between readiness probes
	stopTimeout  = 5 * time.Second        // SIGTERM, then SIGKILL after this
	startTries   = 3                      // new ports when a port was taken meanwhile
	logTailBytes = 4096                   // how much of a server log a failure shows
	probeTimeout = 200 * time.Millisecond // one readiness probe
)

// inCI reports whether the environment says this is a CI run.
func inCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "0" && v != "false"
}

// findBinary returns the path of the named program, looking on PATH and then
// in the sbin directories a non-root PATH often lacks. When it is missing the
// test is skipped, or failed when CI is set.
func findBinary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/homebrew/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("testserver: %s not found on PATH or in /usr/sbin (scripts/test.sh installs it)", name)
	if inCI() {
		t.Fatal(msg + "; CI is set, so this is a failure, not a skip")
	}
	t.Skip(msg)
	return ""
}

// freePorts returns n distinct ports of 127.0.0.1 that were free for TCP (and
// for UDP too when udp is set) a moment ago. Another process may take one
// before the server binds it; callers retry with new ports then.
func freePorts(n int, udp bool) ([]int, error) {
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	ports := make([]int, 0, n)
	for attempts := 0; len(ports) < n; attempts++ {
		if attempts >= 10*n {
			return nil, fmt.Errorf("testserver: no free port pair on 127.0.0.1 after %d tries", attempts)
		}
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("testserver: finding a free port on 127.0.0.1: %w", err)
		}
		closers = append(closers, func() { l.Close() })
		port := l.Addr().(*net.TCPAddr).Port
		if udp {
			pc, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				continue // UDP side taken: try another port
			}
			closers = append(closers, func() { pc.Close() })
		}
		ports = append(ports, port)
	}
	return ports, nil
}

// process is a server child process. It runs in its own process group, so
// that stop reaches the workers it forked too.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // from Wait; read only after done is closed
}

// startProcess starts bin with args, output going to out.
//
// Pdeathsig (Linux) is delivered when the thread that forked the child exits,
// not the process, so the fork happens on a goroutine locked to its thread
// for as long as the child lives: the child dies with the test process, and
// never earlier.
func startProcess(name, bin string, args []string, out *os.File) (*process, error) {
	p := &process{name: name, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		cmd := exec.Command(bin, args...)
		cmd.Stdin = nil
		cmd.Stdout = out
		cmd.Stderr = out
		cmd.SysProcAttr = sysProcAttr()
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("testserver: starting %s: %w", name, err)
			return
		}
		p.cmd = cmd
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process group: SIGTERM, then SIGKILL after stopTimeout.
func (p *process) stop() error {
	if p.exited() {
		return nil
	}
	signalGroup(p.cmd, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	signalGroup(p.cmd, syscall.SIGKILL)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("testserver: %s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// waitReady calls probe until it succeeds, the process exits, or
// readyTimeout passes.
func (p *process) waitReady(probe func() error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if p.exited() {
			return fmt.Errorf("%w (%v)", errExited, p.err)
		}
		err := probe()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", readyTimeout, err)
		}
		time.Sleep(readyPoll)
	}
}

var errExited = errors.New("exited during start-up")

// logTail returns the end of the file at path, for failure messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
	}
	return string(b)
}

// addrInUse reports whether a server log says a bind failed because the
// port was taken.
func addrInUse(log string) bool {
	return strings.Contains(log, "Address already in use") || strings.Contains(log, "address already in use")
}

// launch is one way to start a server: what startServer needs to start it,
// to tell when it is up, and to say why it is not.
type launch struct {
	name string // the program, in messages: "dnsmasq"
	addr string // where it listens, in messages; may be empty

	bin  string
	args []string

	// config, if configFile is set, is written to configFile before the
	// start, and configFile is named when the start fails.
	configFile, config string

	out  string   // the file that gets the process's stdout and stderr
	logs []string // the files whose tails a failure shows, in order

	probe func() error // nil once the server answers

	// portTaken reports, from the tails of logs, whether the start failed
	// because a port was taken meanwhile, so that new ports may do. If nil,
	// addrInUse.
	portTaken func(log string) bool
}

// tail returns the tails of l.logs, one after the other.
func (l *launch) tail() string {
	var b strings.Builder
	for _, f := range l.logs {
		b.WriteString(logTail(f))
	}
	return b.String()
}

// server is a started launch: the process running it now.
type server struct {
	launch
	mu sync.Mutex
	p  *process
}

// startServer starts the launch attempt returns for nports free ports of
// 127.0.0.1 (free for UDP too when udp is set), and waits until its probe
// succeeds. When the log says a port was taken meanwhile it tries again
// with new ports, up to startTries times; any other failure, and an error
// from attempt, fails the test. The server is stopped when the test ends,
// and the tails of its logs are logged if the test failed.
func startServer(t testing.TB, nports int, udp bool, attempt func(ports []int) (launch, error)) *server {
	t.Helper()
	for try := 1; ; try++ {
		ports, err := freePorts(nports, udp)
		if err != nil {
			t.Fatal(err)
		}
		l, err := attempt(ports)
		if err != nil {
			t.Fatal(err)
		}
		if l.configFile != "" {
			if err := os.WriteFile(l.configFile, []byte(l.config), 0o644); err != nil {
				t.Fatalf("testserver: writing %s: %v", l.configFile, err)
			}
		}
		s := &server{launch: l}
		err = s.start(true)
		if err == nil {
			t.Cleanup(func() {
				if err := s.stop(); err != nil {
					t.Error(err)
				}
				if t.Failed() {
					for _, f := range s.logs {
						if tail := logTail(f); tail != "" {
							t.Logf("testserver: %s log %s:\n%s", s.name, f, tail)
						}
					}
				}
			})
			return s
		}
		log := l.tail()
		portTaken := l.portTaken
		if portTaken == nil {
			portTaken = addrInUse
		}
		if try < startTries && portTaken(log) {
			continue
		}
		where := ""
		if l.addr != "" {
			where = " on " + l.addr
		}
		config := ""
		if l.configFile != "" {
			config = "\nconfig: " + l.configFile
		}
		t.Fatalf("testserver: %s%s did not start: %v%s\nlog:\n%s", l.name, where, err, config, log)
	}
}

// start starts the process and waits until the probe succeeds; when it
// does not, it stops the process and returns why. The output file is made
// anew when fresh is set, and appended to otherwise (a restart).
func (s *server) start(fresh bool) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if fresh {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	out, err := os.OpenFile(s.out, flags, 0o644)
	if err != nil {
		return fmt.Errorf("testserver: %w", err)
	}
	p, err := startProcess(s.name, s.bin, s.args, out)
	out.Close()
	if err != nil {
		return err
	}
	if err := p.waitReady(s.probe); err != nil {
		_ = p.stop()
		return err
	}
	s.mu.Lock()
	s.p = p
	s.mu.Unlock()
	return nil
}

// stop stops the process running now, if any.
func (s *server) stop() error {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop()
}
