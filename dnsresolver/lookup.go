package dnsresolver

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// call is one lookup in flight, shared by every caller of its name.
type call struct {
	ready scheduler.Event // set when a family has addresses, or when done
	done  scheduler.Event // set when the lookup ended: ans and err hold
	ans   Answer
	err   error

	mu        sync.Mutex // guards partial and partialAt
	partial   Answer     // the addresses of the family that answered first
	partialAt time.Time  // when they came; zero until then
}

// publish records the first addresses that came for the lookup, and when.
func (c *call) publish(rp reply) {
	c.mu.Lock()
	first := c.partialAt.IsZero()
	if first {
		c.partial = Answer{Addrs: rp.addrs, TTL: rp.ttl, CNAME: strings.TrimSuffix(rp.cname, ".")}
		c.partialAt = time.Now()
	}
	c.mu.Unlock()
	if first {
		c.ready.Set()
	}
}

// late reports whether a family has had addresses for delay or longer:
// the lookup's callers no longer wait for the other families.
func (c *call) late(delay time.Duration) bool {
	if delay < 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.partialAt.IsZero() && time.Since(c.partialAt) >= delay
}

// answered reports whether a family has had addresses.
func (c *call) answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.partialAt.IsZero()
}

// finish records the lookup's result and wakes every caller.
func (c *call) finish(ans Answer, err error) {
	c.ans, c.err = ans, err
	c.done.Set()
	c.ready.Set()
}

func (r *Async) lookup(ctx context.Context, host string, fam Family) (Answer, error) {
	if ip, ok := parseLiteral(host); ok {
		r.stats.hits.Add(1)
		return localAnswer(host, []netip.Addr{ip}, fam, r.maxTTL)
	}
	name, err := normalizeName(host)
	if err != nil {
		return Answer{}, &Error{Name: host, Err: err}
	}
	if addrs, ok := r.hostsAddrs(name); ok {
		r.stats.hits.Add(1)
		return localAnswer(host, addrs, fam, r.maxTTL)
	}
	key := cacheKey{name, fam}
	if ans, err, ok := r.cache.get(key); ok {
		r.stats.hits.Add(1)
		if err != nil {
			r.stats.negHits.Add(1)
		}
		return ans, err
	}
	r.stats.misses.Add(1)
	r.mu.Lock()
	c := r.inflight[key]
	leader := c == nil
	if leader {
		c = new(call)
		r.inflight[key] = c
	}
	r.mu.Unlock()
	if leader {
		r.start(key, host, c)
	}
	return r.wait(ctx, c, host, leader)
}

// wait waits for the lookup c and returns its answer: the whole answer,
// or, when one family had addresses the resolution delay ago and another is
// still asked, those addresses (RFC 8305 section 3).
//
// The query is shared: a caller that gives up leaves it running for the
// others. The leader needs no bound: its query runs in a task of its own
// hub (if that hub closes, the leader is woken too) or in a goroutine. A
// follower may wait on another hub's query task, which never runs if that
// hub closes first: the budget bounds its wait, on the hub's timer when
// the caller has no deadline of its own.
func (r *Async) wait(ctx context.Context, c *call, host string, leader bool) (Answer, error) {
	ev := &c.ready
	if r.resDelay < 0 {
		ev = &c.done // wait for every family
	}
	switch {
	case leader:
		if err := ev.WaitContext(ctx); err != nil {
			return Answer{}, ctxError(host, err)
		}
	case ctx.Done() == nil:
		if !ev.Wait(r.budget()) {
			return Answer{}, &Error{Name: host, Err: errTimeout, IsTimeout: true}
		}
	default:
		wctx, cancel := context.WithTimeout(ctx, r.budget())
		err := ev.WaitContext(wctx)
		cancel()
		if err != nil {
			return Answer{}, ctxError(host, err)
		}
	}
	if c.done.IsSet() {
		return c.ans, c.err
	}
	c.mu.Lock()
	partial, at := c.partial, c.partialAt
	c.mu.Unlock()
	if remain := r.resDelay - time.Since(at); remain > 0 {
		dctx, cancel := context.WithTimeout(ctx, remain)
		err := c.done.WaitContext(dctx)
		cancel()
		if err == nil {
			return c.ans, c.err
		}
		if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return Answer{}, ctxError(host, err)
		}
	}
	if c.done.IsSet() {
		return c.ans, c.err
	}
	return partial, nil
}

// ctxError is the error of a caller that stopped waiting: its context
// ended, its task was killed or its hub closed.
func ctxError(host string, err error) error {
	return &Error{Name: host, Err: err, IsTimeout: errors.Is(err, context.DeadlineExceeded)}
}

// budget is the longest a query can take: every attempt at every server,
// over UDP and then TCP, and the aliases followed.
func (r *Async) budget() time.Duration {
	return time.Duration(2*r.attempts*max(len(r.servers), 1)*(maxCNAMEChain+1))*r.timeout + time.Second
}

// hostsAddrs returns the addresses of name in the hosts file, or of
// localhost and its subdomains (RFC 6761 6.3), which never go to a
// server.
func (r *Async) hostsAddrs(name string) ([]netip.Addr, bool) {
	if addrs, ok := r.hosts[name]; ok {
		return addrs, true
	}
	if isLocalhost(name) {
		return localhostAddrs, true
	}
	return nil, false
}

// localAnswer is the answer for addresses known without a query: an IP
// literal, the hosts file, localhost.
func localAnswer(host string, addrs []netip.Addr, fam Family, ttl time.Duration) (Answer, error) {
	addrs = FilterFamily(addrs, fam)
	if len(addrs) == 0 {
		return Answer{}, &Error{Name: host, Err: ErrNoSuchHost, IsNotFound: true}
	}
	return Answer{Addrs: addrs, TTL: ttl, Cached: true}, nil
}

// start runs the query for key in a task of the caller's hub (so it uses
// that hub's sockets) or, from a goroutine, in a goroutine of its own. It
// is not bound by any caller's context.
func (r *Async) start(key cacheKey, host string, c *call) {
	run := func() {
		ans, ttl, err := r.resolve(key.name, host, key.fam, c)
		if err == nil {
			ttl = min(ttl, r.maxTTL)
		} else {
			ttl = min(ttl, r.maxNeg)
		}
		r.cache.put(key, ans, err, ttl)
		r.mu.Lock()
		delete(r.inflight, key)
		r.mu.Unlock()
		c.finish(ans, err)
	}
	if t := scheduler.Current(); t != nil {
		task := t.Hub().Spawn(func(*scheduler.Task) (any, error) { run(); return nil, nil })
		if !task.Dead() {
			return
		}
	}
	go run()
}
