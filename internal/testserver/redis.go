package testserver

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RedisOptions configure StartRedis.
type RedisOptions struct {
	// AOF turns the append-only file on (appendonly yes), so that Restart
	// keeps the data. Without it nothing is saved.
	AOF bool
	// Password, if set, is required (requirepass).
	Password string
}

// Redis is a redis-server started by StartRedis, on 127.0.0.1, with its
// data in a temporary directory; never as a service.
type Redis struct {
	Addr string // 127.0.0.1:port
	Dir  string // the working directory (AOF files) and log
	Log  string // the server's log file

	t    testing.TB
	bin  string
	args []string
	mu   sync.Mutex
	p    *process
}

// URL returns redis://127.0.0.1:port/db (with the password, if any).
func (r *Redis) URL(db int, password string) string {
	if password != "" {
		return fmt.Sprintf("redis://:%s@%s/%d", password, r.Addr, db)
	}
	return fmt.Sprintf("redis://%s/%d", r.Addr, db)
}

// StartRedis starts redis-server (the Debian package redis-server) on a
// free port of 127.0.0.1, stopped when the test ends.
func StartRedis(t testing.TB, opts RedisOptions) *Redis {
	t.Helper()
	bin := findBinary(t, "redis-server")
	dir := t.TempDir()
	r := &Redis{Dir: dir, Log: filepath.Join(dir, "redis.log"), t: t, bin: bin}
	for try := 1; ; try++ {
		ports, err := freePorts(1, false)
		if err != nil {
			t.Fatal(err)
		}
		r.Addr = "127.0.0.1:" + strconv.Itoa(ports[0])
		r.args = []string{"--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--daemonize", "no", "--logfile", r.Log, "--protected-mode", "yes"}
		if opts.AOF {
			r.args = append(r.args, "--appendonly", "yes", "--appendfsync", "always")
		} else {
			r.args = append(r.args, "--appendonly", "no")
		}
		if opts.Password != "" {
			r.args = append(r.args, "--requirepass", opts.Password)
		}
		err = r.start()
		if err == nil {
			t.Cleanup(func() {
				if err := r.Stop(); err != nil {
					t.Error(err)
				}
			})
			return r
		}
		if try < startTries && addrInUse(logTail(r.Log)) {
			continue
		}
		t.Fatalf("testserver: redis-server on %s did not start: %v\nlog:\n%s", r.Addr, err, logTail(r.Log))
	}
}

func (r *Redis) start() error {
	out, err := os.OpenFile(filepath.Join(r.Dir, "redis.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p, err := startProcess("redis-server", r.bin, r.args, out)
	out.Close()
	if err != nil {
		return err
	}
	if err := p.waitReady(func() error { return pingRedis(r.Addr) }); err != nil {
		_ = p.stop()
		return err
	}
	r.mu.Lock()
	r.p = p
	r.mu.Unlock()
	return nil
}

// pingRedis says PING and wants +PONG, or -NOAUTH from a server with a
// password: either way it is up and has loaded its data.
func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, probeTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(probeTimeout))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("redis-server answered %q", strings.TrimSpace(line))
}

// Stop stops the server (SIGTERM: it writes its AOF and exits).
func (r *Redis) Stop() error {
	r.mu.Lock()
	p := r.p
	r.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop()
}

// Restart stops the server and starts it again on the same port and
// directory (with AOF, with the same data).
func (r *Redis) Restart(down time.Duration) {
	r.t.Helper()
	if err := r.Stop(); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(down)
	if err := r.start(); err != nil {
		r.t.Fatalf("testserver: redis-server restart on %s: %v\nlog:\n%s", r.Addr, err, logTail(r.Log))
	}
}
