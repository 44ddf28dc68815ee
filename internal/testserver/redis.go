package testserver

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
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

	t testing.TB
	s *server
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
	r := &Redis{Dir: dir, Log: filepath.Join(dir, "redis.log"), t: t}
	r.s = startServer(t, 1, false, func(ports []int) (launch, error) {
		r.Addr = "127.0.0.1:" + strconv.Itoa(ports[0])
		args := []string{"--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--daemonize", "no", "--logfile", r.Log, "--protected-mode", "yes"}
		if opts.AOF {
			args = append(args, "--appendonly", "yes", "--appendfsync", "always")
		} else {
			args = append(args, "--appendonly", "no")
		}
		if opts.Password != "" {
			args = append(args, "--requirepass", opts.Password)
		}
		return redisLaunch("redis-server", r, bin, args), nil
	})
	return r
}

// redisLaunch is the launch of the redis-server of r: its output in
// r.Dir, its log r.Log, ready when it answers PING.
func redisLaunch(name string, r *Redis, bin string, args []string) launch {
	addr := r.Addr
	return launch{
		name:  name,
		addr:  addr,
		bin:   bin,
		args:  args,
		out:   filepath.Join(r.Dir, "redis.out"),
		logs:  []string{r.Log},
		probe: func() error { return pingRedis(addr) },
	}
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
	return r.s.stop()
}

// Restart stops the server and starts it again on the same port and
// directory (with AOF, with the same data).
func (r *Redis) Restart(down time.Duration) {
	r.t.Helper()
	if err := r.Stop(); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(down)
	if err := r.s.start(false); err != nil {
		r.t.Fatalf("testserver: redis-server restart on %s: %v\nlog:\n%s", r.Addr, err, logTail(r.Log))
	}
}
