package dnsresolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// fakeSystem is a system lookup that counts its calls and how many run
// at once, and answers from a table.
type fakeSystem struct {
	calls, running, peak atomic.Int64
	gate                 chan struct{} // if set, every lookup waits for it to close
}

func (f *fakeSystem) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	f.calls.Add(1)
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	switch host {
	case "gone.example":
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	case "v6only.example":
		return []netip.Addr{netip.MustParseAddr("2001:db8::7")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.7"), netip.MustParseAddr("2001:db8::7")}, nil
}

func TestPool(t *testing.T) {
	tests := []struct {
		name     string
		fam      Family
		host     string
		want     string
		notFound bool
	}{
		{"both families, v4-mapped unmapped", Both, "a.example", "[192.0.2.7 2001:db8::7]", false},
		{"v4 only", V4, "a.example", "[192.0.2.7]", false},
		{"v4 only of a v6-only name", V4, "v6only.example", "", true},
		{"not found", Both, "gone.example", "", true},
		{"literal, no lookup", Both, "192.0.2.99", "[192.0.2.99]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := &fakeSystem{}
			p := NewPool(PoolConfig{Family: tt.fam, Lookup: sys.lookup})
			for where, res := range lookupBoth(t, func() (Answer, error) { return p.LookupHost(context.Background(), tt.host) }) {
				if tt.notFound {
					var e *Error
					if !errors.As(res.err, &e) || !e.IsNotFound || e.Name != tt.host || !errors.Is(res.err, ErrNoSuchHost) {
						t.Errorf("%s: got %v; want not found (ErrNoSuchHost) naming %q", where, res.err, tt.host)
					}
					continue
				}
				if res.err != nil || fmt.Sprint(res.ans.Addrs) != tt.want {
					t.Errorf("%s: got %v, %v; want %s", where, res.ans.Addrs, res.err, tt.want)
				}
			}
		})
	}
}

func TestPoolCache(t *testing.T) {
	sys := &fakeSystem{}
	p := NewPool(PoolConfig{Lookup: sys.lookup})
	for i := 0; i < 3; i++ {
		if _, err := p.LookupHost(context.Background(), "A.Example"); err != nil {
			t.Fatal(err)
		}
	}
	if n := sys.calls.Load(); n != 1 {
		t.Errorf("got %d system lookups for three of one name; want 1", n)
	}
	if st := p.Stats(); st.CacheHits != 2 || st.CacheMisses != 1 || st.Queries != 1 {
		t.Errorf("got %+v; want 2 hits, 1 miss, 1 query", st)
	}
}

// TestPoolDoesNotStallTheHub: a system lookup that blocks runs on a
// worker thread, so another task of the same hub goes on meanwhile (here
// it is the one that lets the lookup finish). Size bounds the lookups
// running at once.
func TestPoolDoesNotStallTheHub(t *testing.T) {
	sys := &fakeSystem{gate: make(chan struct{})}
	var once sync.Once
	open := func() { once.Do(func() { close(sys.gate) }) }
	stuck := time.AfterFunc(10*time.Second, open) // so a stalled hub fails the test instead of hanging it
	defer stuck.Stop()
	p := NewPool(PoolConfig{Size: 2, Lookup: sys.lookup})
	h, err := scheduler.NewHub()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var tasks []*scheduler.Task
	for i := 0; i < 6; i++ {
		tasks = append(tasks, h.Spawn(func(t *scheduler.Task) (any, error) {
			return p.LookupHost(t.Context(), fmt.Sprintf("n%d.example", i))
		}))
	}
	opener := h.Spawn(func(*scheduler.Task) (any, error) {
		for sys.running.Load() < 2 { // both workers busy: the hub is free all the same
			if err := scheduler.Sleep(time.Millisecond); err != nil {
				return nil, err
			}
		}
		open()
		return nil, nil
	})
	if _, err := opener.Join(); err != nil {
		t.Fatal(err)
	}
	if !stuck.Stop() {
		t.Fatal("got a hub stalled by blocking lookups; want the other task to run")
	}
	for _, task := range tasks {
		if v, err := task.Join(); err != nil || len(v.(Answer).Addrs) != 2 {
			t.Errorf("got %v, %v; want two addresses", v, err)
		}
	}
	if p := sys.peak.Load(); p != 2 {
		t.Errorf("got %d system lookups at once; want 2 (Size)", p)
	}
}

// TestPoolContext: a caller's deadline ends its wait for the system
// lookup.
func TestPoolContext(t *testing.T) {
	sys := &fakeSystem{gate: make(chan struct{})}
	defer close(sys.gate)
	p := NewPool(PoolConfig{Lookup: sys.lookup})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := p.LookupHost(ctx, "slow.example")
	var e *Error
	if !errors.As(err, &e) || !e.Timeout() || e.Name != "slow.example" {
		t.Errorf("got %v; want a timeout naming slow.example", err)
	}
}
