package crawl_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/crawl/crawltest"
	"github.com/greenfetch/greenfetch/internal/testserver"
)

// opener opens the store of spec(opts.CrawlID) through crawl.OpenStore.
func opener(spec func(id string) string) crawltest.Opener {
	return func(t *testing.T, o crawl.StoreOptions) crawl.Store {
		t.Helper()
		if o.RetryFor == 0 {
			o.RetryFor = 20 * time.Second
		}
		s, err := crawl.OpenStore(context.Background(), spec(o.CrawlID), o)
		if err != nil {
			t.Fatalf("OpenStore: %v", err)
		}
		return s
	}
}

func TestMemoryStore(t *testing.T) {
	crawltest.TestStore(t, crawltest.Traits{}, opener(func(string) string { return "memory" }))
}

// TestBoltStore gives each crawl a file of its own: a bbolt file is one
// process's, one handle at a time.
func TestBoltStore(t *testing.T) {
	dir := t.TempDir()
	crawltest.TestStore(t, crawltest.Traits{Durable: true}, opener(func(id string) string {
		return "bolt:" + filepath.Join(dir, id+".db")
	}))
}

func TestRedisStore(t *testing.T) {
	r := testserver.StartRedis(t, testserver.RedisOptions{})
	crawltest.TestStore(t, crawltest.Traits{Shared: true, Durable: true}, opener(func(string) string { return r.URL(0, "") }))
}

// TestRedisClusterStore: the contract holds on a Redis Cluster of three
// nodes as on one Redis, each crawl on the node its id hashes to.
func TestRedisClusterStore(t *testing.T) {
	c := testserver.StartRedisCluster(t, 3)
	crawltest.TestStore(t, crawltest.Traits{Shared: true, Durable: true}, opener(func(string) string { return c.URL() }))
}

// TestStoreScheme: what names a store and what does not, without opening
// anything.
func TestStoreScheme(t *testing.T) {
	tests := []struct {
		spec, want string
		wantErr    bool
	}{
		{spec: "", want: "memory"},
		{spec: "memory", want: "memory"},
		{spec: "bolt:crawl.db", want: "bolt"},
		{spec: "redis://h:6379/0", want: "redis"},
		{spec: "rediss://h:6379/0", want: "rediss"},
		{spec: "bolt:", wantErr: true},
		{spec: "bolt", wantErr: true},
		{spec: "memory:x", want: "memory"}, // opening it fails: memory takes nothing more
		{spec: "mongo://h", wantErr: true},
		{spec: "redis", wantErr: true},
		{spec: ":x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := crawl.StoreScheme(tt.spec)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "want memory, bolt:PATH or redis://host:port/db (or toy:…), got") {
					t.Errorf("StoreScheme(%q) = %q, %v; want an error saying what a spec looks like", tt.spec, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("StoreScheme(%q) = %q, %v; want %q", tt.spec, got, err, tt.want)
			}
		})
	}
	if _, err := crawl.OpenStore(context.Background(), "memory:x", crawl.StoreOptions{}); err == nil {
		t.Error(`OpenStore("memory:x") = nil error; want one`)
	}
}

// TestStoreMasksPasswords: no message of a store shows the password of
// its spec; *** stands in its place.
func TestStoreMasksPasswords(t *testing.T) {
	ctx := context.Background()
	o := crawl.StoreOptions{CrawlID: "x", RetryFor: time.Second}
	for _, spec := range []string{
		"redis://u:sesame@127.0.0.1:1/0?addr=nohost",      // a seed without a port: refused as it is parsed
		"redis://u:sesame@127.0.0.1:1/9?addr=127.0.0.1:2", // a cluster has db 0 only
		"redis://u:sesame@127.0.0.1:1/0%",                 // no URL
		"mongo://u:sesame@127.0.0.1:1/0",                  // no store
	} {
		_, err := crawl.OpenStore(ctx, spec, o)
		if err == nil || strings.Contains(err.Error(), "sesame") || !strings.Contains(err.Error(), "u:***@") {
			t.Errorf("OpenStore(%q): %v; want an error that shows u:***@, never the password", spec, err)
		}
	}
	r := testserver.StartRedis(t, testserver.RedisOptions{Password: "sesame"})
	_, err := crawl.OpenStore(ctx, fmt.Sprintf("redis://:wrong@%s/0", r.Addr), o)
	if err == nil || strings.Contains(err.Error(), "wrong@") {
		t.Errorf("a wrong password: %v; want an error without it", err)
	}
}
