package dnsresolver

import (
	"fmt"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestCache(t *testing.T) {
	clk := &fakeClock{time.Unix(1000, 0)}
	c := newCache(2, clk.Now)
	k := func(n string) cacheKey { return cacheKey{n, Both} }
	c.put(k("a"), Answer{TTL: time.Minute}, nil, time.Minute)
	c.put(k("b"), Answer{}, ErrNoSuchHost, 10*time.Second)
	clk.advance(5 * time.Second)
	if ans, err, ok := c.get(k("b")); !ok || err != ErrNoSuchHost || ans.TTL != 5*time.Second {
		t.Errorf("got negative entry %+v, %v, ok=%v; want a hit with ErrNoSuchHost and 5s left", ans, err, ok)
	}
	clk.advance(5 * time.Second)
	if _, _, ok := c.get(k("b")); ok {
		t.Error("got a hit on an entry at its expiry; want a miss")
	}
	c.put(k("b"), Answer{}, nil, time.Minute)
	c.get(k("a")) // a is now the most recent
	c.put(k("c"), Answer{}, nil, time.Minute)
	if _, _, ok := c.get(k("b")); ok {
		t.Error("got b after an insert over capacity; want it evicted as least recently used")
	}
	clk.advance(5 * time.Second)
	if ans, _, ok := c.get(k("a")); !ok || ans.TTL != 45*time.Second || !ans.Cached {
		t.Errorf("got a = %+v, %v; want remaining TTL 45s, Cached", ans, ok)
	}
	if c.len() != 2 {
		t.Errorf("got %d entries; want 2", c.len())
	}
	c.put(k("z"), Answer{}, nil, 0)
	if _, _, ok := c.get(k("z")); ok {
		t.Error("got an entry stored with TTL 0; want none")
	}
	if _, _, ok := c.get(cacheKey{"a", V4}); ok {
		t.Error("got a hit for another family; want the family in the key")
	}
}

func TestCacheBound(t *testing.T) {
	tests := []struct {
		name      string
		size, put int
		wantLen   int
	}{
		{"under the bound", 100, 50, 50},
		{"at the bound", 100, 100, 100},
		{"over the bound", 100, 1000, 100},
		{"disabled", -1, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(tt.size, nil)
			for i := 0; i < tt.put; i++ {
				c.put(cacheKey{fmt.Sprint("n", i), Both}, Answer{}, nil, time.Minute)
			}
			if got := c.len(); got != tt.wantLen {
				t.Errorf("got %d entries after %d puts; want %d", got, tt.put, tt.wantLen)
			}
			last := cacheKey{fmt.Sprint("n", tt.put-1), Both}
			if _, _, ok := c.get(last); ok != (tt.wantLen > 0) {
				t.Errorf("got hit=%v for the newest entry; want %v", ok, tt.wantLen > 0)
			}
		})
	}
}

// TestCacheHitAllocs: a lookup answered by the cache allocates nothing,
// whatever the case of the name.
func TestCacheHitAllocs(t *testing.T) {
	r, err := NewAsync(Config{Servers: []string{"127.0.0.1:1"}, HostsFile: "testdata/hosts-case", ResolvConf: "testdata/none"})
	if err != nil {
		t.Fatal(err)
	}
	r.cache.put(cacheKey{"cached.example", Both}, Answer{TTL: time.Hour}, nil, time.Hour)
	// (An IP literal allocates the one-address slice it answers with.)
	for _, host := range []string{"cached.example", "cached.example.", "alias.example", "localhost"} {
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := r.LookupHost(t.Context(), host); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("got %v allocations per LookupHost(%q) from the cache; want 0", allocs, host)
		}
	}
}
