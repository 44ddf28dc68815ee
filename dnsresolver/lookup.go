package dnsresolver

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// call is one query in flight, shared by every caller of its name.
type call struct {
	done scheduler.Event
	ans  Answer
	err  error
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
	// The query is shared: a caller that gives up leaves it running for
	// the others. The leader needs no bound: its query runs in a task of
	// its own hub (if that hub closes, the leader is woken too) or in a
	// goroutine. A follower may wait on another hub's query task, which
	// never runs if that hub closes first: the budget bounds its wait, on
	// the hub's timer when the caller has no deadline of its own.
	if leader {
		if err := c.done.WaitContext(ctx); err != nil {
			return Answer{}, &Error{Name: host, Err: err, IsTimeout: errors.Is(err, context.DeadlineExceeded)}
		}
		return c.ans, c.err
	}
	if ctx.Done() == nil {
		if !c.done.Wait(r.budget()) {
			return Answer{}, &Error{Name: host, Err: errTimeout, IsTimeout: true}
		}
		return c.ans, c.err
	}
	wctx, cancel := context.WithTimeout(ctx, r.budget())
	defer cancel()
	if err := c.done.WaitContext(wctx); err != nil {
		return Answer{}, &Error{Name: host, Err: err, IsTimeout: errors.Is(err, context.DeadlineExceeded)}
	}
	return c.ans, c.err
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
		ans, ttl, err := r.resolve(key.name, host, key.fam)
		if err == nil {
			ttl = min(ans.TTL, r.maxTTL)
		} else {
			ttl = min(ttl, r.maxNeg)
		}
		r.cache.put(key, ans, err, ttl)
		r.mu.Lock()
		delete(r.inflight, key)
		r.mu.Unlock()
		c.ans, c.err = ans, err
		c.done.Set()
	}
	if t := scheduler.Current(); t != nil {
		task := t.Hub().Spawn(func(*scheduler.Task) (any, error) { run(); return nil, nil })
		if !task.Dead() {
			return
		}
	}
	go run()
}
