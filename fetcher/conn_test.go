package fetcher

import (
	"net"
	"testing"
	"time"
)

func pipeConn(t *testing.T, addr string) *persistConn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	pc := &persistConn{key: poolKey{scheme: "http", addr: addr}}
	pc.wc.Conn = a
	pc.conn = &pc.wc
	return pc
}

// TestConnPool checks the pool's bounds: per key, in all (the oldest
// makes room), and by idle time.
func TestConnPool(t *testing.T) {
	p := newConnPool(2, 3, time.Hour)
	a1, a2, a3 := pipeConn(t, "a:1"), pipeConn(t, "a:1"), pipeConn(t, "a:1")
	p.put(a1, 0)
	p.put(a2, 0)
	p.put(a3, 0) // key full: closed
	if p.total != 2 || len(p.idle[a1.key]) != 2 {
		t.Fatalf("got %d idle, %d for a:1; want 2, 2", p.total, len(p.idle[a1.key]))
	}
	b1, b2 := pipeConn(t, "b:1"), pipeConn(t, "b:1")
	p.put(b1, 0)
	p.put(b2, 0) // pool full: the oldest of some key goes
	if p.total != 3 {
		t.Fatalf("got %d idle; want 3 (the cap)", p.total)
	}
	if got := p.get(b1.key); got != b2 {
		t.Errorf("get(b:1) = %p; want the most recent, %p", got, b2)
	}
	if got := p.get(poolKey{scheme: "http", addr: "c:1"}); got != nil {
		t.Errorf("get(c:1) = %p; want nil", got)
	}
	p.closeAll()
	if p.total != 0 || len(p.idle) != 0 {
		t.Errorf("after closeAll: %d idle; want 0", p.total)
	}
	p.put(pipeConn(t, "a:1"), 0)
	if p.total != 0 {
		t.Errorf("put after closeAll kept a connection; want it closed")
	}

	// keep: at most that many idle for the key (the end of a run).
	last := newConnPool(4, 10, time.Hour)
	last.put(pipeConn(t, "a:1"), 1)
	last.put(pipeConn(t, "a:1"), 1) // one idle already: closed
	last.put(pipeConn(t, "b:1"), 1)
	if last.total != 2 || len(last.idle[a1.key]) != 1 {
		t.Errorf("keep 1: got %d idle, %d for a:1; want 2, 1", last.total, len(last.idle[a1.key]))
	}

	expiring := newConnPool(2, 10, time.Nanosecond)
	old := pipeConn(t, "a:1")
	expiring.put(old, 0)
	time.Sleep(time.Millisecond)
	if got := expiring.get(old.key); got != nil || expiring.total != 0 {
		t.Errorf("get after the idle timeout = %p (%d idle); want nil, 0", got, expiring.total)
	}
}
