package testserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bounds of a cluster's start-up and of one command to a node.
const (
	clusterSlots    = 16384            // Redis Cluster's hash slots
	clusterTimeout  = 20 * time.Second // every node must say cluster_state:ok this soon
	redisCmdTimeout = 2 * time.Second  // one command of redisCommand
	maxRedisReply   = 1 << 20          // the longest reply redisCommand reads
)

// RedisCluster is a Redis Cluster of redis-servers started by
// StartRedisCluster on 127.0.0.1, masters only, each with its data in a
// temporary directory. Node i serves the hash slots Slots[i][0] to
// Slots[i][1]; together they serve all 16384.
type RedisCluster struct {
	Nodes []*Redis
	Slots [][2]int
}

// StartRedisCluster starts n redis-servers in cluster mode (each on a free
// port of 127.0.0.1, with its cluster bus on another), joins them with
// CLUSTER MEET, splits the hash slots among them in n even ranges, and
// waits until every node says cluster_state:ok and knows all n. They are
// stopped when the test ends.
func StartRedisCluster(t testing.TB, n int) *RedisCluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("testserver: a Redis cluster of %d nodes", n)
	}
	bin := findBinary(t, "redis-server")
	c := &RedisCluster{}
	busPorts := make([]int, n)
	for i := range n {
		dir := t.TempDir()
		r := &Redis{Dir: dir, Log: filepath.Join(dir, "redis.log"), t: t}
		r.s = startServer(t, 2, false, func(ports []int) (launch, error) {
			r.Addr = "127.0.0.1:" + strconv.Itoa(ports[0])
			busPorts[i] = ports[1]
			// A nodes.conf of an attempt whose port was taken names that
			// port: each attempt starts without one.
			conf := filepath.Join(dir, "nodes.conf")
			if err := os.Remove(conf); err != nil && !os.IsNotExist(err) {
				return launch{}, err
			}
			args := []string{"--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--dir", dir,
				"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", r.Log,
				"--protected-mode", "yes",
				"--cluster-enabled", "yes", "--cluster-config-file", conf,
				"--cluster-port", strconv.Itoa(ports[1]),
				// A new master waits a while, up to the node timeout, before
				// it says ok: a short one keeps the start-up short.
				"--cluster-node-timeout", "2000"}
			return redisLaunch("redis-server (cluster)", r, bin, args), nil
		})
		c.Nodes = append(c.Nodes, r)
		first, last := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		c.Slots = append(c.Slots, [2]int{first, last})
	}
	fail := func(format string, args ...any) {
		t.Helper()
		var logs strings.Builder
		for _, r := range c.Nodes {
			fmt.Fprintf(&logs, "\n%s log:\n%s", r.Addr, logTail(r.Log))
		}
		t.Fatalf("testserver: redis cluster: "+format+"%s", append(args, logs.String())...)
	}
	for i, r := range c.Nodes {
		if _, err := redisCommand(r.Addr, "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(c.Slots[i][0]), strconv.Itoa(c.Slots[i][1])); err != nil {
			fail("%s: CLUSTER ADDSLOTSRANGE: %v", r.Addr, err)
		}
	}
	host, port0, _ := net.SplitHostPort(c.Nodes[0].Addr)
	for _, r := range c.Nodes[1:] {
		if _, err := redisCommand(r.Addr, "CLUSTER", "MEET", host, port0, strconv.Itoa(busPorts[0])); err != nil {
			fail("%s: CLUSTER MEET: %v", r.Addr, err)
		}
	}
	deadline := time.Now().Add(clusterTimeout)
	for _, r := range c.Nodes {
		for {
			info, err := redisCommand(r.Addr, "CLUSTER", "INFO")
			if err == nil && clusterReady(info, n) {
				break
			}
			if time.Now().After(deadline) {
				fail("%s: not ready after %v: %v\n%s", r.Addr, clusterTimeout, err, info)
			}
			time.Sleep(readyPoll)
		}
	}
	return c
}

// clusterReady reports whether CLUSTER INFO says the cluster serves all
// slots and knows n nodes.
func clusterReady(info string, n int) bool {
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    strconv.Itoa(clusterSlots),
		"cluster_known_nodes": strconv.Itoa(n),
		"cluster_size":        strconv.Itoa(n),
	}
	for _, line := range strings.Split(info, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if w, ok := want[k]; ok && v == w {
			delete(want, k)
		}
	}
	return len(want) == 0
}

// URL returns redis://addr of node 0, with each other node as a further
// seed (?addr=host:port&addr=…): go-redis's cluster URL form.
func (c *RedisCluster) URL() string {
	var b strings.Builder
	b.WriteString("redis://" + c.Nodes[0].Addr)
	for i, r := range c.Nodes[1:] {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString("addr=" + r.Addr)
	}
	return b.String()
}

// Slot returns the hash slot of key, as the cluster computes it (CLUSTER
// KEYSLOT: the hash tag, if any, decides).
func (c *RedisCluster) Slot(key string) (int, error) {
	s, err := redisCommand(c.Nodes[0].Addr, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

// NodeOf returns the index of the node that serves the slot of key.
func (c *RedisCluster) NodeOf(key string) (int, error) {
	slot, err := c.Slot(key)
	if err != nil {
		return 0, err
	}
	for i, s := range c.Slots {
		if s[0] <= slot && slot <= s[1] {
			return i, nil
		}
	}
	return 0, fmt.Errorf("testserver: slot %d of %q served by no node", slot, key)
}

// redisCommand sends one command to the Redis at addr and returns its
// reply: a simple string, an integer or a bulk string as text; an error
// reply as an error. Arrays are not read.
func redisCommand(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, redisCmdTimeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(redisCmdTimeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("redis %s: empty reply line", addr)
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("redis %s: %s", addr, line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n > maxRedisReply {
			return "", fmt.Errorf("redis %s: bulk reply %q", addr, line)
		}
		if n < 0 {
			return "", nil // nil bulk
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", fmt.Errorf("redis %s: %w", addr, err)
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redis %s: reply %q not read", addr, line)
}
