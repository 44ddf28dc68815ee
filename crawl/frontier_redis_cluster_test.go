package crawl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

// clusterCrawlID returns a crawl id, name plus a number, whose keys live
// on node want of c.
func clusterCrawlID(t *testing.T, c *testserver.RedisCluster, name string, want int) string {
	t.Helper()
	for i := range 1000 {
		id := fmt.Sprint(name, i)
		n, err := c.NodeOf("{" + id + "}")
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return id
		}
	}
	t.Fatalf("no crawl id %s0…999 on node %d", name, want)
	return ""
}

func openClusterTest(t *testing.T, url, id string, perHost int) *redisStore {
	t.Helper()
	f, err := OpenStore(context.Background(), url, StoreOptions{CrawlID: id, PerHost: perHost, RetryFor: 20 * time.Second})
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", url, err)
	}
	t.Cleanup(func() { f.Close() })
	return f.(*redisStore)
}

func item(u string) Item {
	h := strings.SplitN(strings.TrimPrefix(u, "http://"), "/", 2)[0]
	return Item{URL: u, Key: Hash(u), Host: h}
}

// TestRedisFrontierCluster runs a crawl's whole cycle on a Redis Cluster
// of three nodes. The frontier's scripts name most of their keys (the
// per-host streams, the results, …) inside the script, not as declared
// keys, so the cluster client sends each script to the node of its
// declared keys' slot, and Redis there refuses a script that touches a
// key that node does not serve (the subtest "stray key" shows it does):
// the cycle works only if every key of a crawl is in the slot of its
// declared keys, which the hash tag {id} is meant to ensure. Afterwards
// the test checks that every key of the crawl is on that node, in the
// tag's slot, and that the other nodes hold none.
//
// The crawl's slot is on node 2; worker a is given node 0 alone (it must
// find out it is a cluster and be redirected), worker b every node.
func TestRedisFrontierCluster(t *testing.T) {
	c := testserver.StartRedisCluster(t, 3)
	id := clusterCrawlID(t, c, "cycle", 2)
	a := openClusterTest(t, c.Nodes[0].URL(0, ""), id, 2)
	b := openClusterTest(t, c.URL(), id, 2)

	if err := a.SetHostDelay("slow", time.Hour); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	seeds := []Item{item("http://h/0"), item("http://h/1"), item("http://slow/0")}
	if pr, err := a.Push(seeds); err != nil || pr.Added != 3 {
		t.Fatalf("a.Push(seeds) = %+v, %v; want 3 added", pr, err)
	}
	if pr, err := b.Push(seeds); err != nil || pr.Added != 0 || pr.Duplicates != 3 {
		t.Fatalf("b.Push(seeds) = %+v, %v; want 3 duplicates", pr, err)
	}
	visit := item("http://h/visited")
	if ok, err := b.Visit(visit.Key); err != nil || !ok {
		t.Fatalf("b.Visit(new) = %v, %v; want true", ok, err)
	}
	if ok, err := a.Visit(visit.Key); err != nil || ok {
		t.Fatalf("a.Visit(visited) = %v, %v; want false", ok, err)
	}
	if pr, err := a.Push([]Item{visit}); err != nil || pr.Duplicates != 1 {
		t.Fatalf("a.Push(visited) = %+v, %v; want 1 duplicate", pr, err)
	}
	if n, err := b.Outstanding(); err != nil || n != 3 {
		t.Fatalf("Outstanding() = %d, %v; want 3", n, err)
	}

	got, _, err := a.Claim(time.Now(), 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("a.Claim = %v, %v; want the 3 seeds", got, err)
	}
	byURL := map[string]Item{}
	for _, it := range got {
		byURL[it.URL] = it
	}
	if err := a.Release(byURL["http://h/1"]); err != nil {
		t.Fatalf("Release: %v", err)
	}
	links := []Item{item("http://h/2"), item("http://slow/1"), item("http://h/0")}
	pr, stored, err := a.Complete([]Completion{
		{Item: byURL["http://h/0"], Record: []byte("rec h/0"), Links: links},
		{Item: byURL["http://slow/0"], Record: []byte("rec slow/0")},
	})
	if err != nil || pr.Added != 2 || pr.Duplicates != 1 || stored != 2 {
		t.Fatalf("a.Complete = %+v, stored %d, %v; want 2 added, 1 duplicate, 2 stored", pr, stored, err)
	}
	// h/1 (released) and h/2 are ready; slow/1 waits for slow's delay.
	got, _, err = b.Claim(time.Now(), 10)
	if err != nil || len(got) != 2 || got[0].Host != "h" || got[1].Host != "h" {
		t.Fatalf("b.Claim = %v, %v; want h/1 and h/2", got, err)
	}
	if more, wait, err := a.Claim(time.Now(), 10); err != nil || len(more) != 0 || wait < 30*time.Minute {
		t.Fatalf("a.Claim = %v (wait %v), %v; want none for about an hour", more, wait, err)
	}
	var done []Completion
	for _, it := range got {
		done = append(done, Completion{Item: it, Record: []byte("rec " + strings.TrimPrefix(it.URL, "http://"))})
	}
	if _, stored, err := b.Complete(done); err != nil || stored != 2 {
		t.Fatalf("b.Complete = stored %d, %v; want 2", stored, err)
	}
	if n, err := a.Outstanding(); err != nil || n != 1 {
		t.Fatalf("Outstanding() = %d, %v; want 1 (slow/1)", n, err)
	}
	var recs []string
	if err := b.ReadResults(context.Background(), false, func(r []byte) error {
		recs = append(recs, string(r))
		return nil
	}); err != nil {
		t.Fatalf("ReadResults: %v", err)
	}
	slices.Sort(recs)
	if want := []string{"rec h/0", "rec h/1", "rec h/2", "rec slow/0"}; !slices.Equal(recs, want) {
		t.Errorf("ReadResults: got %q; want %q", recs, want)
	}

	// Where the keys are: all on node 2, all in the slot of {id}.
	slot, err := c.Slot("{" + id + "}")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var keys []string
	for i, node := range c.Nodes {
		rc := redis.NewClient(&redis.Options{Addr: node.Addr, Protocol: 2, DisableIdentity: true})
		defer rc.Close()
		k, err := rc.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatalf("node %d: KEYS: %v", i, err)
		}
		if i != 2 && len(k) > 0 {
			t.Errorf("node %d holds %q; want no key (the crawl's slot %d is on node 2)", i, k, slot)
		}
		if i == 2 {
			keys = k
		}
	}
	for _, k := range keys {
		if s, err := c.Slot(k); err != nil || s != slot {
			t.Errorf("key %q in slot %d, %v; want %d", k, s, err, slot)
		}
	}
	for _, k := range []string{"seen", "out", "results", "done", "hd", "q:h", "q:slow"} {
		if !slices.Contains(keys, a.prefix+k) {
			t.Errorf("node 2 lacks %q; has %q", a.prefix+k, keys)
		}
	}

	// What Redis itself refuses, in a script that declares a key of the
	// crawl's slot: any key of another node's slot; a key of another slot
	// on the same node only when the script has a shebang (Redis 7 lets
	// scripts without one, like the frontier's, cross slots on a node:
	// hence the check of every key above).
	t.Run("stray key", func(t *testing.T) {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr}, Protocol: 2, DisableIdentity: true})
		defer cc.Close()
		own := a.prefix + "seen"
		sameNode := "greenfetch:{" + clusterCrawlID(t, c, "other", 2) + "}:seen"
		otherNode := "greenfetch:{" + clusterCrawlID(t, c, "other", 1) + "}:seen"
		const body = "return redis.call('SISMEMBER', ARGV[1], 'x')"
		tests := []struct {
			name, script, key string
			refused           bool
		}{
			{"own slot", body, own, false},
			{"own slot, shebang", "#!lua\n" + body, own, false},
			{"other node", body, otherNode, true},
			{"other node, shebang", "#!lua\n" + body, otherNode, true},
			{"same node, other slot", body, sameNode, false},
			{"same node, other slot, shebang", "#!lua\n" + body, sameNode, true},
		}
		for _, tt := range tests {
			err := redis.NewScript(tt.script).Run(ctx, cc, []string{own}, tt.key).Err()
			if refused := err != nil && strings.Contains(err.Error(), "Script attempted to access"); refused != tt.refused || (err != nil && !refused) {
				t.Errorf("%s: script declaring %s reads %s: got %v; want refused %v", tt.name, own, tt.key, err, tt.refused)
			}
		}
	})
}

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		url      string
		addr     string
		db       int
		seeds    []string
		password string
		wantErr  bool
	}{
		{url: "redis://h:1/3", addr: "h:1", db: 3},
		{url: "redis://:pw@h:1/0", addr: "h:1", password: "pw"},
		{url: "redis://h:1?addr=h:2", addr: "h:1", seeds: []string{"h:1", "h:2"}},
		{url: "redis://:pw@h:1/0?addr=h:2&addr=[::1]:3", addr: "h:1", password: "pw", seeds: []string{"h:1", "h:2", "[::1]:3"}},
		{url: "redis://h:1/2?addr=h:2", wantErr: true}, // a cluster has db 0 only
		{url: "redis://h:1?addr=h", wantErr: true},     // no port
		{url: "redis://h:1?addr=h:2&bogus=1", wantErr: true},
		{url: "http://h:1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			opt, seeds, err := parseRedisURL(tt.url)
			if tt.wantErr {
				if err == nil {
					t.Errorf("parseRedisURL(%q) = %+v, %q; want an error", tt.url, opt, seeds)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRedisURL(%q): %v", tt.url, err)
			}
			if opt.Addr != tt.addr || opt.DB != tt.db || opt.Password != tt.password || !slices.Equal(seeds, tt.seeds) {
				t.Errorf("parseRedisURL(%q) = addr %s db %d password %q seeds %q; want %s %d %q %q",
					tt.url, opt.Addr, opt.DB, opt.Password, seeds, tt.addr, tt.db, tt.password, tt.seeds)
			}
		})
	}
}
