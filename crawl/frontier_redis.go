package crawl

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/greenfetch/greenfetch/fetcher"
)

func init() {
	RegisterStore("redis", openRedis)
	RegisterStore("rediss", openRedis)
}

// redisStore is the Store "redis://…" (or "rediss://…", TLS), which any
// number of worker processes, on any number of machines, share. Each
// host's queue is a Redis stream read through one consumer group
// (XREADGROUP): a claimed item stays in the group's pending list until its
// page is completed (XACK). A claim is a lease: its worker beats (a
// sorted set of consumers by last beat) at each claim and on its own
// between them, and a claim whose worker has not beaten for the claim
// timeout (it died) is taken over by the next worker that claims from
// that host (XCLAIM); a live worker's claims stay its own however long
// its fetches take. The store reads no clock of its own: claim times (a
// sorted set per host), beats and host delays are in the nows given to
// Claim (a beat between claims adds the time since the last one), so
// the workers' clocks must agree (NTP) to well within the claim timeout
// and the delays. Every script first checks the crawl's marker, set by
// each worker's open: a Redis that lost the crawl's keys (restarted
// without persistence) is ErrCrawlLost, not an empty crawl.
//
// Every step is one Lua script, atomic in Redis: Push tests and sets the
// visited key and enqueues; Claim takes items within the per-host bound
// and delay of the whole crawl (the host's claimed count and next start
// time are kept in the store: the per-host token), visiting the hosts
// with work in turn from a ring, a bounded number a call; Complete queues a
// page's links, keeps its result once (the first result of a URL wins)
// and acknowledges it; an outstanding counter (queued plus claimed) ends
// the crawl for every worker at once.
//
// All keys of a crawl are "greenfetch:{ID}:…": one Redis Cluster hash tag,
// one slot. The per-host stream keys are named inside the scripts, not
// declared to them (their hosts are known only there): fine on a single
// Redis, on a cluster it relies on all keys of the slot being local.
//
// Network errors and the replies a restarting Redis gives (LOADING,
// BUSY, TRYAGAIN, …) are retried with backoff for up to RetryFor, each
// announced through OnRetry; every script is safe to run twice.
type redisStore struct {
	opts      StoreOptions
	client    redis.UniversalClient // a *redis.Client, or a *redis.ClusterClient
	addr      string
	id        string
	prefix    string   // "greenfetch:{id}:"
	keys      []string // the declared keys of every script
	consumer  string
	claims    map[uint64]string   // key → stream entry ID, of items this worker claimed
	hosts     map[string]struct{} // the hosts this worker claimed from (its consumer is in their groups)
	idle      time.Duration       // the current poll interval while others hold the work
	reclaimed time.Time           // when Claim last looked for timed-out claims
	trips     atomic.Int64
	closed    bool
	// The worker's clock, as its calls give it (the nows of Claim): the
	// heartbeat stamps its beats with the last now given plus the time
	// since, so that a store driven by a clock of its own (crawltest)
	// beats in that clock.
	clock    sync.Mutex
	lastNow  time.Time // guarded by clock
	lastReal time.Time // guarded by clock: when lastNow was given
	beatStop chan struct{}
	beatDone chan struct{}
	// known holds keys this worker knows are in the crawl's visited set
	// (pushed, claimed or found there): their links are counted as
	// duplicates without being sent. A subset of the store's set as long
	// as the store keeps its writes (a Redis that loses them, restarted
	// without persistence, loses the crawl's queues and counters too), so
	// it keeps no new URL out; emptied past maxKnown.
	known VisitedSet
}

// maxKnown bounds redisStore.known (16 to 32 MiB).
const maxKnown = 1 << 21

// openRedis connects to the Redis of spec
// (redis://[user:pass@]host:port/db) for the crawl opts.CrawlID. A Redis
// Cluster is named by any one of its nodes (db 0), and may list more seed
// nodes: redis://[user:pass@]host:port[?addr=host2:port2&addr=host3:port3].
// A wrong password or a server that does not speak Redis is an error
// wrapping ErrStoreSetup; an unreachable server is retried as long as
// opts.RetryFor allows.
func openRedis(ctx context.Context, spec string, o StoreOptions) (Store, error) {
	opt, seeds, err := parseRedisURL(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStoreSetup, fetcher.MaskURL(spec), err)
	}
	id := o.CrawlID
	if id == "" || strings.ContainsAny(id, "{}") {
		return nil, fmt.Errorf("%w: crawl id %q: want a non-empty name without braces", ErrStoreSetup, id)
	}
	quietRedis.Do(func() { redis.SetLogger(quietLogger{}) })
	if opt.Password == "" {
		opt.Password = o.Password
	}
	opt.Protocol = 2
	opt.DisableIdentity = true
	opt.MaxRetries = -1 // our retry loop says so on stderr
	opt.DialTimeout = 5 * time.Second
	opt.ReadTimeout = 30 * time.Second
	opt.WriteTimeout = 30 * time.Second
	opt.PoolSize = 4
	// A command's context bounds its wait for a reply too (the open's
	// ping, so that Ctrl-C ends it at once); the store's own calls carry
	// no deadline, and ReadTimeout bounds them.
	opt.ContextTimeoutEnabled = true
	f := &redisStore{opts: o}
	f.client = newRedisClient(opt, seeds)
	f.client.AddHook(tripHook{&f.trips})
	f.addr = opt.Addr
	f.id = id
	f.prefix = "greenfetch:{" + id + "}:"
	f.keys = []string{f.prefix + "seen", f.prefix + "out"}
	f.consumer = consumerName()
	f.claims = map[uint64]string{}
	f.hosts = map[string]struct{}{}
	if err := f.reach(ctx); err != nil {
		f.client.Close()
		return nil, err
	}
	if !o.ReadOnly {
		// The crawl's marker: every script checks it (lua/lib_crawl.lua),
		// so that a worker notices the crawl's keys vanished.
		err := f.retry(ctx, func() error {
			return f.client.SetNX(ctx, f.prefix+"crawl", time.Now().UTC().Format(time.RFC3339), 0).Err()
		})
		if err != nil {
			f.client.Close()
			return nil, err
		}
		f.beat()
	}
	return f, nil
}

// beatsPerTimeout is how often a worker beats in a claim timeout (its lease):
// a few beats may be lost (a Redis restarting) before a live worker's
// claims look dead.
const beatsPerTimeout = 5

// beat starts the worker's heartbeat: every claim timeout /
// beatsPerTimeout it stamps its consumer in the crawl's hb set with its
// clock, so that its claims stay its own however long a fetch takes
// (each Claim beats too, in its script). A worker that dies stops
// beating, and its claims go to others a claim timeout later.
func (f *redisStore) beat() {
	f.beatStop, f.beatDone = make(chan struct{}), make(chan struct{})
	every := max(f.claimTimeout()/beatsPerTimeout, 10*time.Millisecond)
	go func() {
		defer close(f.beatDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-f.beatStop:
				return
			case <-t.C:
			}
			f.clock.Lock()
			given, now := !f.lastNow.IsZero(), f.lastNow.Add(time.Since(f.lastReal))
			f.clock.Unlock()
			if !given {
				continue // no claim yet, so no clock: nothing to keep
			}
			ctx, cancel := context.WithTimeout(context.Background(), every)
			// A beat lost (Redis away) is made up by the next.
			f.client.ZAddArgs(ctx, f.prefix+"hb", redis.ZAddArgs{GT: true, Members: []redis.Z{{Score: float64(now.UnixMilli()), Member: f.consumer}}})
			cancel()
		}
	}()
}

// tick records a now given by the worker (see beat).
func (f *redisStore) tick(now time.Time) {
	f.clock.Lock()
	f.lastNow, f.lastReal = now, time.Now()
	f.clock.Unlock()
}

// ErrCrawlLost is the error of a store whose crawl vanished while a
// worker ran it: its keys are gone from Redis (restarted without
// persistence, FLUSHALL or FLUSHDB, evicted). The worker stops rather
// than take the empty store for a crawl that is done.
var ErrCrawlLost = errors.New("the crawl's keys are gone from Redis (restarted without persistence, FLUSHALL/FLUSHDB, or evicted: use AOF or RDB, and maxmemory-policy noeviction): stopped, the crawl is not done")

// OpenReachFor is how long OpenStore tries to reach a Redis that has
// never answered (refused, silent, unknown host): then the store is
// unusable (ErrStoreSetup: a typo'd address is a usage error within
// seconds, not five minutes of retries). A Redis that answered and is
// busy (LOADING, …) is waited for as long as RetryFor allows, and one
// that went away after it answered is retried as every call is.
const OpenReachFor = 3 * time.Second

// reach pings the store until it answers, as OpenReachFor and RetryFor
// allow, or ctx ends (the error is then ctx's: an interrupt, not a
// store's failure).
func (f *redisStore) reach(ctx context.Context) error {
	start := time.Now()
	answered := false // a reply came from Redis, if not yet a good one
	wait := 50 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, OpenReachFor)
		if !answered {
			// Never answered yet: the whole budget of reaching it.
			pctx, cancel = context.WithDeadline(ctx, start.Add(OpenReachFor))
		}
		// The ping runs aside, so that an interrupt ends the wait for a
		// server that does not answer at once: closing the client ends
		// the ping's read.
		type pinged struct {
			cc  redis.UniversalClient
			err error
		}
		ch := make(chan pinged, 1)
		client := f.client
		go func() {
			cc, err := f.ping(pctx, client)
			ch <- pinged{cc, err}
		}()
		var p pinged
		select {
		case p = <-ch:
		case <-ctx.Done():
			client.Close()
			p = <-ch
		}
		cancel()
		if p.cc != nil {
			if ctx.Err() != nil {
				p.cc.Close()
			} else {
				client.Close()
				f.client = p.cc
			}
		}
		err := p.err
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("redis at %s: %w", f.addr, cerr)
		}
		if err == nil {
			return nil
		}
		var re redis.Error
		if errors.As(err, &re) {
			answered = true
		}
		if !retryable(err) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: redis at %s: %v", ErrStoreSetup, f.addr, err)
		}
		if !answered && time.Since(start)+wait > OpenReachFor {
			return fmt.Errorf("%w: redis at %s: not reached in %v (%v): is the address right, and the server up?",
				ErrStoreSetup, f.addr, OpenReachFor, unreached(err))
		}
		if answered && time.Since(start)+wait > f.opts.retryFor() {
			return fmt.Errorf("redis at %s: gave up after %v: %w", f.addr, f.opts.retryFor(), err)
		}
		if answered && f.opts.OnRetry != nil {
			f.opts.OnRetry(fmt.Errorf("redis at %s: %w", f.addr, err), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("redis at %s: %w", f.addr, ctx.Err())
		}
		wait = min(2*wait, time.Second)
	}
}

// unreached says why a Redis was not reached: the error of the dial, or
// that it did not answer.
func unreached(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return "no answer"
	}
	return err.Error()
}

// quietLogger silences go-redis's own log lines: the frontier says
// what failed, and that it retries, through OnRetry.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

var quietRedis sync.Once

func consumerName() string {
	h, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}

// Close implements Store: it takes this worker's consumer out of the
// consumer groups of the hosts it claimed from, where it holds nothing
// (one try, bounded by five seconds in all: a consumer left behind with
// claims is removed when another worker takes them over; one that held
// nothing stays, a few bytes, in the group of its host), and closes the
// connections.
func (f *redisStore) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.beatStop != nil {
		close(f.beatStop)
		<-f.beatDone
		// Gone: the claims it still holds (none, unless a call failed)
		// go to others a claim timeout after they were made.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		f.client.ZRem(ctx, f.prefix+"hb", f.consumer)
		cancel()
	}
	if len(f.hosts) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		args := []any{f.prefix, f.consumer}
		for h := range f.hosts {
			args = append(args, h)
			if len(args) == 1002 {
				redisRetire.Run(ctx, f.client, f.keys, args...)
				args = args[:2]
			}
		}
		if len(args) > 2 {
			redisRetire.Run(ctx, f.client, f.keys, args...)
		}
		cancel()
	}
	return f.client.Close()
}

// writable returns the error of a write to f, if it may not be written.
func (f *redisStore) writable() error {
	switch {
	case f.opts.ReadOnly:
		return fmt.Errorf("redis at %s: %w", f.addr, errReadOnly)
	case f.closed:
		return fmt.Errorf("redis at %s: %w", f.addr, redis.ErrClosed)
	}
	return nil
}

// Stats implements Store: RoundTrips counts the commands and scripts
// sent (each a round trip: the store sends no pipelines).
func (f *redisStore) Stats() StoreStats { return StoreStats{RoundTrips: f.trips.Load()} }

type tripHook struct{ n *atomic.Int64 }

func (h tripHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// permanent wraps an error not worth retrying.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }

// retryable tells a failure of the connection or of a Redis that is
// starting, failing over or busy from a reply that will not change.
func retryable(err error) bool {
	var re redis.Error
	if errors.As(err, &re) {
		for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "MISCONF"} {
			if strings.HasPrefix(re.Error(), p) {
				return true
			}
		}
		return false
	}
	if errors.Is(err, redis.ErrClosed) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	s := err.Error()
	return errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(s, "EOF") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe") ||
		strings.Contains(s, "connection refused") || strings.Contains(s, "pool timeout")
}

// retry runs fn until it succeeds, fails for good, or RetryFor has passed,
// backing off from 50 ms to 5 s.
func (f *redisStore) retry(ctx context.Context, fn func() error) error {
	limit := f.opts.retryFor()
	start := time.Now()
	wait := 50 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) || !retryable(err) {
			return err
		}
		if time.Since(start)+wait > limit {
			return fmt.Errorf("redis at %s: gave up after %v: %w", f.addr, limit, err)
		}
		if f.opts.OnRetry != nil {
			f.opts.OnRetry(fmt.Errorf("redis at %s: %w", f.addr, err), wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// run runs a script with retries; the frontier's calls are not canceled
// by the crawl's context (a stopped crawl still releases its claims).
func (f *redisStore) run(s *redis.Script, args ...any) (any, error) {
	var v any
	err := f.retry(context.Background(), func() error {
		var err error
		v, err = s.Run(context.Background(), f.client, f.keys, append([]any{f.prefix}, args...)...).Result()
		if err != nil && !retryable(err) {
			return permanent{err}
		}
		return err
	})
	var p permanent
	if errors.As(err, &p) {
		if strings.HasPrefix(p.err.Error(), "NOCRAWL") {
			err = fmt.Errorf("redis at %s: crawl %q: %w", f.addr, f.id, ErrCrawlLost)
		} else {
			err = fmt.Errorf("redis at %s: %w", f.addr, p.err)
		}
	}
	return v, err
}

func keyBytes(k uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], k)
	return string(b[:])
}

// pushArgs appends the bounds and the items (key, host, encoded item) to args,
// leaving out those known to be in the visited set: it returns how many
// it left out, and the keys it sent.
func (f *redisStore) pushArgs(args []any, items []Item) (_ []any, skipped int, sent []uint64) {
	i0 := len(args)
	args = append(args, f.opts.maxFrontier(), f.opts.maxFrontierBytes(), 0)
	for _, it := range items {
		if f.known.Has(it.Key) {
			skipped++
			continue
		}
		sent = append(sent, it.Key)
		args = append(args, keyBytes(it.Key), it.Host, string(appendItem(nil, it)))
	}
	args[i0+2] = len(sent)
	return args, skipped, sent
}

// learn adds keys the store now holds in its visited set to f.known.
func (f *redisStore) learn(keys ...uint64) {
	if f.known.Len()+len(keys) > maxKnown {
		f.known = VisitedSet{}
	}
	for _, k := range keys {
		f.known.Add(k)
	}
}

// pushed learns the keys of a push that dropped none (a dropped URL is not
// in the visited set; which were dropped is not told) and counts the
// skipped ones as duplicates.
func (f *redisStore) pushed(pr PushResult, skipped int, sent []uint64) PushResult {
	if pr.Dropped == 0 {
		f.learn(sent...)
	}
	pr.Duplicates += skipped
	return pr
}

// The scripts are in lua/*.lua, embedded: each names on its first line
// the files it needs ("-- uses: lib.lua lib_claim.lua"), which come
// before it in the source Redis runs. lua/lib.lua describes the keys.
//
//go:embed lua/*.lua
var luaFiles embed.FS

// luaSource returns the source of the script in lua/name: the files its
// first line names, then the script.
func luaSource(name string) string {
	read := func(name string) string {
		b, err := luaFiles.ReadFile("lua/" + name)
		if err != nil {
			panic("crawl: " + err.Error())
		}
		return string(b)
	}
	text := read(name)
	first, _, _ := strings.Cut(text, "\n")
	uses, ok := strings.CutPrefix(first, "-- uses:")
	if !ok {
		return text
	}
	var b strings.Builder
	for _, f := range strings.Fields(uses) {
		b.WriteString(read(f))
	}
	b.WriteString(text)
	return b.String()
}

var (
	redisPush          = redis.NewScript(luaSource("push.lua"))
	redisClaim         = redis.NewScript(luaSource("claim.lua"))
	redisComplete      = redis.NewScript(luaSource("complete.lua"))
	redisCompleteClaim = redis.NewScript(luaSource("complete_claim.lua"))
	redisRelease       = redis.NewScript(luaSource("release.lua"))
	redisRetire        = redis.NewScript(luaSource("retire.lua"))
	redisVisit         = redis.NewScript(luaSource("visit.lua"))
	redisSetDelay      = redis.NewScript(luaSource("set_delay.lua"))
	redisOutstanding   = redis.NewScript(luaSource("outstanding.lua"))
)

func ints(v any, n int) ([]int64, error) {
	a, ok := v.([]any)
	if !ok || len(a) < n {
		return nil, fmt.Errorf("redis: unexpected reply %v", v)
	}
	out := make([]int64, n)
	for i := range out {
		x, ok := a[i].(int64)
		if !ok {
			return nil, fmt.Errorf("redis: unexpected reply %v", v)
		}
		out[i] = x
	}
	return out, nil
}

// maxPushBatch bounds the items of one push script: a long list of seeds
// goes in several calls, none holding Redis for long.
const maxPushBatch = 1000

// Push implements Frontier.
func (f *redisStore) Push(items []Item) (PushResult, error) {
	if err := f.writable(); err != nil {
		return PushResult{}, err
	}
	if err := checkItems(items); err != nil {
		return PushResult{}, err
	}
	var total PushResult
	for len(items) > maxPushBatch {
		pr, err := f.push(items[:maxPushBatch])
		total = total.add(pr)
		if err != nil {
			return total, err
		}
		items = items[maxPushBatch:]
	}
	pr, err := f.push(items)
	return total.add(pr), err
}

func (f *redisStore) push(items []Item) (PushResult, error) {
	if len(items) == 0 {
		return PushResult{}, nil
	}
	args, skipped, sent := f.pushArgs(nil, items)
	if len(sent) == 0 {
		return PushResult{Duplicates: skipped}, nil
	}
	v, err := f.run(redisPush, args...)
	if err != nil {
		return PushResult{}, err
	}
	n, err := ints(v, 3)
	if err != nil {
		return PushResult{}, err
	}
	return f.pushed(PushResult{Added: int(n[0]), Duplicates: int(n[1]), Dropped: int(n[2])}, skipped, sent), nil
}

// Visit implements Frontier.
func (f *redisStore) Visit(key uint64) (bool, error) {
	if err := f.writable(); err != nil {
		return false, err
	}
	if f.known.Has(key) {
		return false, nil
	}
	v, err := f.run(redisVisit, keyBytes(key))
	if err != nil {
		return false, err
	}
	f.learn(key)
	return v == int64(1), nil
}

// Claim implements Frontier. When nothing is ready but other workers
// hold claims, it returns a poll interval: their claims may end, or time
// out.
func (f *redisStore) Claim(now time.Time, limit int) ([]Item, time.Duration, error) {
	if err := f.writable(); err != nil {
		return nil, 0, err
	}
	v, err := f.run(redisClaim, f.claimArgs(nil, now, limit)...)
	if err != nil {
		return nil, 0, err
	}
	return f.claimed(v)
}

// claimArgs appends the arguments of the claim function to args.
func (f *redisStore) claimArgs(args []any, now time.Time, limit int) []any {
	f.tick(now)
	perHost := f.opts.perHost()
	// Timed-out claims are looked for every tenth of the timeout, and
	// whenever this worker would otherwise wait.
	reclaim := 0
	if f.idle > 0 || now.Sub(f.reclaimed) >= f.claimTimeout()/10 {
		reclaim, f.reclaimed = 1, now
	}
	return append(args, f.consumer, limit, perHost, f.opts.Delay.Milliseconds(), f.claimTimeout().Milliseconds(), reclaim, now.UnixMilli())
}

func (f *redisStore) claimTimeout() time.Duration { return f.opts.claimTimeout() }

// claimed reads the reply of the claim function: the items claimed, or
// how long to wait before claiming again.
func (f *redisStore) claimed(v any) ([]Item, time.Duration, error) {
	n, err := ints(v, 2)
	if err != nil {
		return nil, 0, err
	}
	entries, _ := v.([]any)[2].([]any)
	var items []Item
	for i := 0; i+1 < len(entries); i += 2 {
		id, _ := entries[i].(string)
		enc, _ := entries[i+1].(string)
		it, err := decodeItem(enc)
		if err != nil {
			return items, 0, fmt.Errorf("redis at %s: %w", f.addr, err)
		}
		if _, mine := f.claims[it.Key]; mine {
			continue // our own claim, timed out while we fetch it: still ours
		}
		f.claims[it.Key] = id
		f.hosts[it.Host] = struct{}{}
		f.learn(it.Key)
		items = append(items, it)
	}
	wait := time.Duration(n[0]) * time.Millisecond
	if len(items) > 0 {
		f.idle = 0
		return items, 0, nil
	}
	if wait < 0 {
		wait = 0
	}
	if n[1] > 0 && wait == 0 {
		// Others hold the work: poll, from 10 ms up to 200 ms (or a
		// quarter of the claim timeout) while it stays so.
		f.idle = min(max(2*f.idle, 10*time.Millisecond), 200*time.Millisecond, max(f.claimTimeout()/4, 10*time.Millisecond))
		wait = f.idle
	}
	return nil, wait, nil
}

// Done implements Frontier: the item is finished without a result.
func (f *redisStore) Done(it Item) error {
	_, _, err := f.Complete([]Completion{{Item: it}})
	return err
}

// Complete implements Store, in one script call.
func (f *redisStore) Complete(done []Completion) (PushResult, int, error) {
	if err := f.writable(); err != nil {
		return PushResult{}, 0, err
	}
	if len(done) == 0 {
		return PushResult{}, 0, nil
	}
	args, skipped, sent, err := f.completeArgs(nil, done)
	if err != nil {
		return PushResult{}, 0, err
	}
	v, err := f.run(redisComplete, args...)
	if err != nil {
		return PushResult{}, 0, err
	}
	return f.completed(v, done, skipped, sent)
}

// CompleteClaim is Complete, then Claim, in one script call: one round
// trip where there would be two. Run uses it when a frontier has it.
func (f *redisStore) CompleteClaim(done []Completion, now time.Time, limit int) (PushResult, int, []Item, time.Duration, error) {
	if err := f.writable(); err != nil {
		return PushResult{}, 0, nil, 0, err
	}
	if len(done) == 0 {
		items, wait, err := f.Claim(now, limit)
		return PushResult{}, 0, items, wait, err
	}
	args, skipped, sent, err := f.completeArgs(f.claimArgs(nil, now, limit), done)
	if err != nil {
		return PushResult{}, 0, nil, 0, err
	}
	v, err := f.run(redisCompleteClaim, args...)
	if err != nil {
		return PushResult{}, 0, nil, 0, err
	}
	if a, ok := v.([]any); !ok || len(a) != 7 {
		return PushResult{}, 0, nil, 0, fmt.Errorf("redis: unexpected reply %v", v)
	}
	pr, stored, err := f.completed(v, done, skipped, sent)
	if err != nil {
		return pr, stored, nil, 0, err
	}
	items, wait, err := f.claimed(v.([]any)[4:])
	return pr, stored, items, wait, err
}

// completeArgs appends the arguments of the complete function to args.
func (f *redisStore) completeArgs(args []any, done []Completion) (_ []any, skipped int, sent []uint64, err error) {
	args = append(args, len(done))
	var links []Item
	for _, d := range done {
		id, ok := f.claims[d.Item.Key]
		if !ok {
			return nil, 0, nil, notClaimed(d.Item)
		}
		if err := checkItems(d.Links); err != nil {
			return nil, 0, nil, err
		}
		args = append(args, d.Item.Host, id, keyBytes(d.Item.Key), string(d.Record), ItemSize(d.Item))
		links = append(links, d.Links...)
	}
	args, skipped, sent = f.pushArgs(args, links)
	return args, skipped, sent, nil
}

// completed reads the reply of the complete function.
func (f *redisStore) completed(v any, done []Completion, skipped int, sent []uint64) (PushResult, int, error) {
	for _, d := range done {
		delete(f.claims, d.Item.Key)
	}
	n, err := ints(v, 4)
	if err != nil {
		return PushResult{}, 0, err
	}
	return f.pushed(PushResult{Added: int(n[0]), Duplicates: int(n[1]), Dropped: int(n[2])}, skipped, sent), int(n[3]), nil
}

// Release implements Store.
func (f *redisStore) Release(it Item) error {
	if err := f.writable(); err != nil {
		return err
	}
	id, ok := f.claims[it.Key]
	if !ok {
		return notClaimed(it)
	}
	if _, err := f.run(redisRelease, it.Host, id, string(appendItem(nil, it))); err != nil {
		return err
	}
	delete(f.claims, it.Key)
	return nil
}

// SetHostDelay implements Frontier: the delay holds for every worker.
func (f *redisStore) SetHostDelay(host string, d time.Duration) error {
	if err := f.writable(); err != nil {
		return err
	}
	_, err := f.run(redisSetDelay, host, d.Milliseconds())
	return err
}

// Outstanding implements Frontier: queued plus claimed, over all workers.
func (f *redisStore) Outstanding() (int, error) {
	v, err := f.run(redisOutstanding)
	if err != nil {
		return 0, err
	}
	n, _ := v.(int64)
	return int(n), nil
}

// Exists implements Store: the Redis holds the crawl (or list) when it
// has its URLs seen or results stored.
func (f *redisStore) Exists(ctx context.Context) error {
	var n int64
	err := f.retry(ctx, func() error {
		v, err := f.client.Do(ctx, "EXISTS", f.prefix+"seen", f.prefix+"results").Result()
		n, _ = v.(int64)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: redis at %s holds no crawl %q", ErrNoCrawl, f.addr, f.id)
	}
	return nil
}

// ReadResults implements Store. With follow, it waits for more until the
// crawl has nothing outstanding (or ctx ends), asking every 200 ms.
func (f *redisStore) ReadResults(ctx context.Context, follow bool, fn func(record []byte) error) error {
	last := "-"
	key := f.prefix + "results"
	for {
		var entries []any
		start := last
		if start != "-" {
			start = "(" + start
		}
		err := f.retry(ctx, func() error {
			v, err := f.client.Do(ctx, "XRANGE", key, start, "+", "COUNT", 1000).Result()
			entries, _ = v.([]any)
			return err
		})
		if err != nil {
			return err
		}
		// An entry is the records of one Complete: ID, {"r", record, …}.
		for _, e := range entries {
			idFields, _ := e.([]any)
			if len(idFields) != 2 {
				return fmt.Errorf("redis at %s: unexpected results entry %v", f.addr, e)
			}
			last, _ = idFields[0].(string)
			fields, _ := idFields[1].([]any)
			for i := 1; i < len(fields); i += 2 {
				r, _ := fields[i].(string)
				if err := fn([]byte(r)); err != nil {
					return err
				}
			}
		}
		if len(entries) == 1000 {
			continue
		}
		if !follow {
			return nil
		}
		n, err := f.Outstanding()
		if err != nil {
			return err
		}
		if n == 0 {
			// Results stored before the count reached zero are all in:
			// read once more, then stop.
			follow = false
			continue
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
