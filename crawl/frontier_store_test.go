package crawl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/greenfetch/greenfetch/internal/testserver"
)

func openTestRedis(t *testing.T, r *testserver.Redis, o StoreOptions) *redisStore {
	t.Helper()
	if o.RetryFor == 0 {
		o.RetryFor = 20 * time.Second
	}
	s, err := OpenStore(context.Background(), r.URL(0, ""), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.(*redisStore)
}

// TestRedisFrontierShared: two workers on one crawl. Seeds pushed twice
// are queued once; the per-host bound holds over both; a claim of a
// worker that vanished is taken over after the claim timeout, in the
// nows given to Claim, and the vanished worker's consumer, left holding
// nothing, leaves the host's group in the same call; a page completed
// twice keeps one result; the outstanding count ends at zero; a worker
// that closes leaves the groups where it holds nothing. (crawltest checks
// the contract; this test what Redis holds.)
func TestRedisFrontierShared(t *testing.T) {
	now := time.Unix(1_000_000, 0) // the workers' clock: no sleeps
	r := testserver.StartRedis(t, testserver.RedisOptions{})
	a := openTestRedis(t, r, StoreOptions{CrawlID: "shared", PerHost: 1, ClaimTimeout: 300 * time.Millisecond})
	b := openTestRedis(t, r, StoreOptions{CrawlID: "shared", PerHost: 1, ClaimTimeout: 300 * time.Millisecond})
	var seeds []Item
	for i := 0; i < 3; i++ {
		u := fmt.Sprintf("http://h/%d", i)
		seeds = append(seeds, Item{URL: u, Key: Hash(u), Host: "h"})
	}
	if pr, err := a.Push(seeds); err != nil || pr.Added != 3 {
		t.Fatalf("first push: %+v %v", pr, err)
	}
	if pr, err := b.Push(seeds); err != nil || pr.Added != 0 || pr.Duplicates != 3 {
		t.Fatalf("second push: %+v %v; want 3 duplicates", pr, err)
	}
	got, _, err := a.Claim(now, 5)
	if err != nil || len(got) != 1 {
		t.Fatalf("a claims %v, %v; want 1 item (per host 1)", got, err)
	}
	if more, wait, _ := b.Claim(now.Add(299*time.Millisecond), 5); len(more) != 0 || wait <= 0 {
		t.Fatalf("b claims %v (wait %v) while a holds the host's slot", more, wait)
	}
	// a vanishes; at the claim timeout b takes its item over.
	taken, _, err := b.Claim(now.Add(300*time.Millisecond), 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 1 || taken[0].URL != got[0].URL {
		t.Fatalf("b took over %v; want %v", taken, got)
	}
	now = now.Add(300 * time.Millisecond)
	// a's consumer, with nothing pending now, left the host's group in
	// the same call.
	raw := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer raw.Close()
	consumers := func() []string {
		t.Helper()
		cs, err := raw.XInfoConsumers(context.Background(), "greenfetch:{shared}:q:h", "w").Result()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return names
	}
	if cs := consumers(); len(cs) != 1 || cs[0] != b.consumer {
		t.Fatalf("consumers of the host's group %q; want only b's, %q", cs, b.consumer)
	}
	// Both complete it: one result is kept; a's late ack frees the slot once.
	if _, stored, err := b.Complete([]Completion{{Item: taken[0], Record: []byte(`{"b":1}`)}}); err != nil || stored != 1 {
		t.Fatalf("b complete: stored %v, %v", stored, err)
	}
	if _, stored, err := a.Complete([]Completion{{Item: got[0], Record: []byte(`{"a":1}`)}}); err != nil || stored != 0 {
		t.Fatalf("a complete: stored %v, %v; want not stored", stored, err)
	}
	for {
		n, err := b.Outstanding()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		items, wait, err := b.Claim(now, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 && wait <= 0 {
			t.Fatalf("%d outstanding, nothing claimable, no wait", n)
		}
		for _, it := range items {
			if _, _, err := b.Complete([]Completion{{Item: it, Record: []byte(it.URL)}}); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(wait)
	}
	var recs []string
	if err := a.ReadResults(context.Background(), true, func(rec []byte) error {
		recs = append(recs, string(rec))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0] != `{"b":1}` {
		t.Errorf("results %q; want b's record and two more", recs)
	}
	// b ends holding nothing: its consumer leaves the group too.
	b.Close()
	if cs := consumers(); len(cs) != 0 {
		t.Errorf("consumers left after b closed: %q", cs)
	}
}

// TestRedisUntimedClaims: a claim without a claim time, as a worker from
// before claim times were kept left one, is timed from the first claim
// that sees it, and taken over a claim timeout later: a crawl begun by
// such workers does not keep it forever.
func TestRedisUntimedClaims(t *testing.T) {
	r := testserver.StartRedis(t, testserver.RedisOptions{})
	o := StoreOptions{CrawlID: "untimed", PerHost: 1, ClaimTimeout: time.Minute}
	a, b := openTestRedis(t, r, o), openTestRedis(t, r, o)
	now := time.Unix(1_000_000, 0)
	it := Item{URL: "http://h/0", Key: Hash("http://h/0"), Host: "h"}
	if _, err := a.Push([]Item{it}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := a.Claim(now, 1); err != nil || len(got) != 1 {
		t.Fatalf("a.Claim = %v, %v; want 1", got, err)
	}
	raw := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer raw.Close()
	if err := raw.Del(context.Background(), a.prefix+"ct:h").Err(); err != nil { // as the old scripts left it
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	if got, _, err := b.Claim(later, 1); err != nil || len(got) != 0 {
		t.Fatalf("b.Claim an hour later = %v, %v; want none: an untimed claim is timed from now", got, err)
	}
	if got, _, err := b.Claim(later.Add(time.Minute), 1); err != nil || len(got) != 1 || got[0] != it {
		t.Fatalf("b.Claim a claim timeout after = %v, %v; want %v taken over", got, err, it)
	}
}

// TestRedisFrontierSetupErrors: a wrong password and a server that is no
// Redis are ErrStoreSetup at once; an unreachable one is retried, said.
func TestRedisFrontierSetupErrors(t *testing.T) {
	r := testserver.StartRedis(t, testserver.RedisOptions{Password: "sesame"})
	o := StoreOptions{CrawlID: "x", RetryFor: 2 * time.Second}
	_, err := OpenStore(context.Background(), r.URL(0, "wrong"), o)
	if !errors.Is(err, ErrStoreSetup) || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("wrong password: %v; want ErrStoreSetup, WRONGPASS", err)
	}
	if f, err := OpenStore(context.Background(), r.URL(0, "sesame"), o); err != nil {
		t.Errorf("right password: %v", err)
	} else {
		f.Close()
	}
	// An HTTP-ish server: answers garbage and closes.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for i := 0; i < 20; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	_, err = OpenStore(context.Background(), "redis://"+l.Addr().String()+"/0", o)
	if !errors.Is(err, ErrStoreSetup) {
		t.Errorf("not a Redis server: %v; want ErrStoreSetup", err)
	}
	var retries int
	_, err = OpenStore(context.Background(), "redis://127.0.0.1:1/0", StoreOptions{CrawlID: "x", RetryFor: time.Second, OnRetry: func(error, time.Duration) { retries++ }})
	if err == nil || errors.Is(err, ErrStoreSetup) || retries == 0 {
		t.Errorf("unreachable: %v after %d retries; want a retried, non-setup error", err, retries)
	}
}

// replyError is a Redis error reply, as go-redis reports one.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

// TestRedisRetryable: connection failures and the replies of a Redis
// that is loading, busy or failing over are retried; other replies not.
func TestRedisRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{replyError("LOADING Redis is loading the dataset in memory"), true},
		{replyError("BUSY Redis is busy running a script"), true},
		{replyError("READONLY You can't write against a read only replica."), true},
		{replyError("TRYAGAIN Multiple keys request during rehashing of slot"), true},
		{replyError("WRONGPASS invalid username-password pair"), false},
		{replyError("NOAUTH Authentication required."), false},
		{replyError("ERR Error running script"), false},
		{replyError("OOM command not allowed when used memory > 'maxmemory'."), false},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{fmt.Errorf("read: %w", io.EOF), true},
		{redis.ErrClosed, false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestRedisFrontierManyHosts: with more hosts than a claim visits, every
// claim still finds ready hosts, in turn, and the crawl drains.
func TestRedisFrontierManyHosts(t *testing.T) {
	r := testserver.StartRedis(t, testserver.RedisOptions{})
	f := openTestRedis(t, r, StoreOptions{CrawlID: "many", PerHost: 1})
	const hosts = 600
	var items []Item
	for i := 0; i < 2*hosts; i++ {
		h := fmt.Sprintf("h%d", i%hosts)
		u := fmt.Sprintf("http://%s/%d", h, i)
		items = append(items, Item{URL: u, Key: Hash(u), Host: h})
	}
	if pr, err := f.Push(items); err != nil || pr.Added != len(items) {
		t.Fatalf("push: %+v %v", pr, err)
	}
	claims, fetched := 0, 0
	for claims < 10*len(items) {
		got, wait, err := f.Claim(time.Now(), 8)
		if err != nil {
			t.Fatal(err)
		}
		claims++
		if len(got) == 0 {
			if n, _ := f.Outstanding(); n == 0 {
				break
			}
			t.Fatalf("claim %d found nothing (wait %v) with %d fetched of %d", claims, wait, fetched, len(items))
		}
		var done []Completion
		for _, it := range got {
			done = append(done, Completion{Item: it, Record: []byte(it.URL)})
		}
		if _, _, err := f.Complete(done); err != nil {
			t.Fatal(err)
		}
		fetched += len(got)
	}
	if fetched != len(items) {
		t.Errorf("fetched %d of %d", fetched, len(items))
	}
	if want := len(items)/8 + 1; claims > want {
		t.Errorf("%d claims; want at most %d (8 ready items each)", claims, want)
	}
}

// TestRedisFrontierRestrictedUser: a Redis user whose ACL leaves out
// @dangerous (no INFO) still opens the frontier, as a single server, and
// runs every step.
func TestRedisFrontierRestrictedUser(t *testing.T) {
	r := testserver.StartRedis(t, testserver.RedisOptions{})
	admin := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer admin.Close()
	if err := admin.Do(context.Background(), "ACL", "SETUSER", "w", "on", ">pw", "~*", "&*", "+@all", "-@dangerous").Err(); err != nil {
		t.Fatal(err)
	}
	f, err := OpenStore(context.Background(), "redis://w:pw@"+r.Addr+"/0", StoreOptions{CrawlID: "acl", RetryFor: 5 * time.Second})
	if err != nil {
		t.Fatalf("OpenStore as a user without @dangerous: %v", err)
	}
	defer f.Close()
	it := Item{URL: "http://h/a", Key: Hash("http://h/a"), Host: "h"}
	if pr, err := f.Push([]Item{it}); err != nil || pr.Added != 1 {
		t.Fatalf("push: %+v, %v", pr, err)
	}
	got, _, err := f.Claim(time.Now(), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v", got, err)
	}
	if _, stored, err := f.Complete([]Completion{{Item: got[0], Record: []byte("r")}}); err != nil || stored != 1 {
		t.Fatalf("complete: %d, %v", stored, err)
	}
}
