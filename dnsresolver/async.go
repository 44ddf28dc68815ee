package dnsresolver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Config configures an Async resolver. Its zero value reads
// /etc/resolv.conf and /etc/hosts.
type Config struct {
	// Servers override the nameservers of resolv.conf: IP literals, with
	// an optional port ("10.0.0.1", "[::1]:5353"). If empty, resolv.conf's
	// are used.
	Servers []string
	// ResolvConf is the resolv.conf(5) file read for servers, search list,
	// ndots, timeout, attempts, rotate and single-request-reopen (EDNS0 is
	// always sent, so options edns0 changes nothing). If empty,
	// /etc/resolv.conf; a missing file means the defaults and the local
	// server, as in the C library.
	ResolvConf string
	// HostsFile is the hosts(5) file answered without a query. If empty,
	// /etc/hosts; "-" means none.
	HostsFile string
	// Timeout bounds one attempt at one server. If zero, resolv.conf's
	// (5s by default).
	Timeout time.Duration
	// Attempts is how many times every server is tried. If zero,
	// resolv.conf's (2 by default).
	Attempts int
	// Family chooses A, AAAA or both (the zero value).
	Family Family
	// MaxInFlight bounds the exchanges in flight at once. If zero, 256.
	MaxInFlight int
	// CacheSize bounds the cached names (LRU). If zero, 10,000; negative
	// disables the cache.
	CacheSize int
	// MaxTTL caps how long an answer is cached. If zero, 1h.
	MaxTTL time.Duration
	// MaxNegativeTTL caps how long a failure is cached (RFC 2308: the SOA
	// minimum, when the answer has an SOA; without one it is not cached).
	// If zero, 5m.
	MaxNegativeTTL time.Duration
	// Dial opens the sockets ("udp" and "tcp" to an IP:port). If nil: the
	// scheduler's cooperative sockets when the caller is a task,
	// net.Dialer otherwise. UDP is dialed with context.Background
	// (connecting a UDP socket never blocks) and bounded by the socket's
	// deadline; TCP with a context that ends at the attempt's deadline.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock of the cache, for tests. If nil, the monotonic
	// clock.
	Now func() time.Time
}

// Async is greenfetch's own DNS client (gevent's c-ares resolver). Safe for
// concurrent use by tasks of any hub and by goroutines.
type Async struct {
	servers  []string
	search   []string
	ndots    int
	timeout  time.Duration
	attempts int
	rotate   bool
	reopen   bool // a socket per query (options single-request-reopen)
	family   Family
	maxTTL   time.Duration
	maxNeg   time.Duration
	hosts    map[string][]netip.Addr
	dial     func(ctx context.Context, network, address string) (net.Conn, error)

	sem      *scheduler.Semaphore
	cache    *cache
	next     atomic.Uint32 // rotation
	mu       sync.Mutex    // guards inflight
	inflight map[cacheKey]*call

	stats    counters
	perServe map[string]*serverCounters
}

// call is one query in flight, shared by every caller of its name.
type call struct {
	done scheduler.Event
	ans  Answer
	err  error
}

type counters struct {
	queries, answers, timeouts, dropped atomic.Int64
	retransmits                         atomic.Int64
	hits, misses, negHits               atomic.Int64
}

type serverCounters struct {
	udp, tcp, answers, timeouts atomic.Int64
	latencySum, latencyN        atomic.Int64 // ns and count of answered UDP exchanges
}

// Stats is a snapshot of an Async resolver's counters.
type Stats struct {
	Queries      int64 // DNS messages sent, every server and transport
	Answers      int64 // replies that matched a query
	Timeouts     int64 // exchanges that got no answer in time
	Retransmits  int64 // UDP queries sent again within an attempt
	Dropped      int64 // replies dropped as not matching (forged, late, malformed)
	CacheHits    int64 // lookups answered from the cache, hosts or literals
	CacheMisses  int64 // lookups that needed a query (or joined one in flight)
	NegativeHits int64 // cache hits on a cached failure
	Servers      []ServerStats
}

// ServerStats are the counters of one server.
type ServerStats struct {
	Server     string
	UDP, TCP   int64 // messages sent over each transport
	Answers    int64
	Timeouts   int64
	AvgLatency time.Duration // of answered exchanges
}

// NewAsync returns a resolver configured by cfg and the system's files.
func NewAsync(cfg Config) (*Async, error) {
	path := cfg.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	rc := parseResolvConf(bytes.NewReader(readFile(path)))
	r := &Async{
		servers: rc.servers, search: rc.search, ndots: rc.ndots, timeout: rc.timeout,
		attempts: rc.attempts, rotate: rc.rotate, reopen: rc.reopen, family: cfg.Family,
		maxTTL: cfg.MaxTTL, maxNeg: cfg.MaxNegativeTTL, dial: cfg.Dial,
		inflight: make(map[cacheKey]*call), perServe: make(map[string]*serverCounters),
	}
	if len(cfg.Servers) > 0 {
		r.servers = nil
		for _, s := range cfg.Servers {
			a, err := serverAddr(s)
			if err != nil {
				return nil, &Error{Name: s, Err: errors.New("bad DNS server address (want an IP, or IP:port): " + err.Error())}
			}
			r.servers = append(r.servers, a)
		}
	}
	for _, s := range r.servers {
		r.perServe[s] = new(serverCounters)
	}
	if cfg.Timeout > 0 {
		r.timeout = cfg.Timeout
	}
	if cfg.Attempts > 0 {
		r.attempts = cfg.Attempts
	}
	if r.maxTTL <= 0 {
		r.maxTTL = time.Hour
	}
	if r.maxNeg <= 0 {
		r.maxNeg = 5 * time.Minute
	}
	if r.dial == nil {
		r.dial = defaultDial
	}
	inflight := cfg.MaxInFlight
	if inflight <= 0 {
		inflight = 256
	}
	r.sem = scheduler.NewSemaphore(inflight)
	size := cfg.CacheSize
	if size == 0 {
		size = 10000
	}
	r.cache = newCache(size, cfg.Now)
	r.hosts = map[string][]netip.Addr{}
	if cfg.HostsFile != "-" {
		hp := cfg.HostsFile
		if hp == "" {
			hp = "/etc/hosts"
		}
		r.hosts = parseHosts(bytes.NewReader(readFile(hp)))
	}
	return r, nil
}

// readFile reads a small configuration file, on a worker thread when the
// caller is a task. A missing file reads as empty, as the C library treats
// it.
func readFile(path string) []byte {
	b, _ := scheduler.Blocking(func() ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, 1<<20))
	})
	return b
}

func defaultDial(ctx context.Context, network, address string) (net.Conn, error) {
	if scheduler.Current() != nil {
		return scheduler.DialContext(ctx, network, address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// LookupHost returns the addresses of host in the resolver's families.
func (r *Async) LookupHost(ctx context.Context, host string) (Answer, error) {
	return r.lookup(ctx, host, r.family)
}

// LookupNetIP returns the addresses of host: the fetcher's Resolver.
func (r *Async) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	ans, err := r.lookup(ctx, host, r.family)
	return ans.Addrs, err
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
	addrs = filterFamily(addrs, fam)
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

// resolve tries name with the search list (resolv.conf(5): names with
// fewer than ndots dots go through the search domains first) and returns
// the answer, or the error and how long it may be cached.
func (r *Async) resolve(name, host string, fam Family) (Answer, time.Duration, error) {
	var first error
	var firstTTL time.Duration
	for _, fq := range r.candidates(name, host) {
		ans, negTTL, err := r.resolveFQDN(fq, host, fam, 0)
		if err == nil {
			return ans, 0, nil
		}
		if first == nil {
			first, firstTTL = err, negTTL
		}
		if !errors.Is(err, ErrNoSuchHost) {
			return Answer{}, 0, err // server trouble: the next name would meet it too
		}
	}
	return Answer{}, firstTTL, first
}

func (r *Async) candidates(name, host string) []string {
	if strings.HasSuffix(host, ".") || len(r.search) == 0 {
		return []string{name + "."}
	}
	var out []string
	absoluteFirst := strings.Count(name, ".") >= r.ndots
	if absoluteFirst {
		out = append(out, name+".")
	}
	for _, d := range r.search {
		if len(name)+1+len(d) <= maxNameLength {
			out = append(out, name+"."+d+".")
		}
	}
	if !absoluteFirst {
		out = append(out, name+".")
	}
	return out
}

// resolveFQDN asks for fq's addresses, continuing an alias chain that an
// answer left unfinished.
func (r *Async) resolveFQDN(fq, host string, fam Family, depth int) (Answer, time.Duration, error) {
	types := []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA}
	switch fam {
	case V4:
		types = types[:1]
	case V6:
		types = types[1:]
	}
	replies, server, err := r.query(fq, types)
	if err != nil {
		return Answer{}, 0, r.wrap(host, server, err)
	}
	var ans Answer
	ttl := r.maxTTL
	negTTL := r.maxNeg
	cname := ""
	for _, rp := range replies {
		if rp.err == nil {
			ans.Addrs = append(ans.Addrs, rp.addrs...)
			ttl = min(ttl, rp.ttl)
			if rp.cname != "" {
				cname = rp.cname
			}
			if len(rp.addrs) > 0 && rp.cname != "" {
				ans.CNAME = strings.TrimSuffix(rp.cname, ".")
			}
			continue
		}
		negTTL = min(negTTL, rp.negTTL)
	}
	if len(ans.Addrs) > 0 {
		ans.TTL = ttl
		return ans, 0, nil
	}
	if cname != "" {
		if depth >= maxCNAMEChain {
			return Answer{}, 0, r.wrap(host, server, errCNAMELoop)
		}
		a, neg, err := r.resolveFQDN(cname, host, fam, depth+1) // cname is fully qualified
		if err == nil && a.CNAME == "" {
			a.CNAME = strings.TrimSuffix(cname, ".")
		}
		if err == nil {
			a.TTL = min(a.TTL, ttl)
		}
		return a, neg, err
	}
	return Answer{}, negTTL, r.wrap(host, server, ErrNoSuchHost)
}

func (r *Async) wrap(host, server string, err error) error {
	e := &Error{Name: host, Server: server, Err: err}
	switch {
	case errors.Is(err, ErrNoSuchHost):
		e.IsNotFound = true
	case errors.Is(err, errTimeout):
		e.IsTimeout = true
	case errors.Is(err, errServerFailure), errors.Is(err, errRefused):
		e.IsTemporary = true
	}
	return e
}

// query asks the servers in turn, attempts times round, until one gives
// an answer that is not a server failure or refusal.
func (r *Async) query(fq string, types []dnsmessage.Type) ([]reply, string, error) {
	if len(r.servers) == 0 {
		return nil, "", ErrNoServers
	}
	start := 0
	if r.rotate {
		start = int(r.next.Add(1)-1) % len(r.servers)
	}
	var lastErr error
	var lastServer string
	for a := 0; a < r.attempts; a++ {
		for i := range r.servers {
			s := r.servers[(start+i)%len(r.servers)]
			if err := r.sem.Acquire(context.Background()); err != nil {
				return nil, s, err
			}
			replies, err := r.exchange(s, fq, types, true)
			if err == nil && hasErr(replies, errFormat) {
				// A server that does not know EDNS0 may answer FORMERR
				// to the OPT record: ask it again without (RFC 6891 7).
				replies, err = r.exchange(s, fq, types, false)
			}
			r.sem.Release()
			lastServer = s
			if err == nil {
				for _, rp := range replies {
					if isTransient(rp.err) {
						err = rp.err
						break
					}
				}
			}
			if err == nil {
				return replies, s, nil
			}
			if errors.Is(err, scheduler.ErrKilled) || errors.Is(err, scheduler.ErrHubClosed) {
				return nil, s, err
			}
			lastErr = err
		}
	}
	return nil, lastServer, lastErr
}

// exchange asks server for fq's records of every type in types over UDP
// and returns one reply per type, in order.
//
// All the queries are in flight at once. By default they share one
// connected UDP socket, as glibc's resolver does: a lookup of both
// families costs one socket, not two. With resolv.conf's "options
// single-request-reopen" every query gets a socket of its own, for the
// middleboxes that answer only one of two queries arriving from one port.
// Every socket is fresh, so the kernel picks a random source port, and
// every query carries a fresh random ID.
//
// A reply is accepted only when it arrives on the connected socket (so
// from server), parses, has QR set, and carries the ID, type, class and
// name of a query still waiting on that socket; anything else may be a
// forgery (issue 13281) and is dropped while reading goes on until the
// attempt's deadline. A query still unanswered after rto is sent again,
// with rto doubling, within the deadline: a busy server's socket buffer
// drops datagrams long before the server is slow. Truncated answers are
// asked again over TCP (RFC 7766).
func (r *Async) exchange(server, fq string, types []dnsmessage.Type, edns bool) ([]reply, error) {
	sc := r.perServe[server]
	begin := time.Now()
	deadline := begin.Add(r.timeout)

	var qs [2]udpQuery // A and AAAA: no allocation for the common case
	queries := qs[:0]
	if len(types) > len(qs) {
		queries = make([]udpQuery, 0, len(types))
	}
	var conns [2]net.Conn
	socks := conns[:0]
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	for i, typ := range types {
		if i == 0 || r.reopen {
			// Connecting a UDP socket sends nothing and never blocks: no
			// context deadline (and its timer) is needed; the socket's
			// deadline bounds the exchange.
			c, err := r.dial(context.Background(), "udp", server)
			if err != nil {
				return nil, err
			}
			socks = append(socks, c)
			c.SetDeadline(deadline)
		}
		id := newID()
		for hasID(queries, id) { // distinct IDs on one socket
			id = newID()
		}
		msg, err := buildQuery(id, fq, typ, edns)
		if err != nil {
			return nil, err
		}
		queries = append(queries, udpQuery{id: id, typ: typ, msg: msg[2:], sock: len(socks) - 1})
	}
	for i := range queries {
		if _, err := socks[queries[i].sock].Write(queries[i].msg); err != nil {
			return nil, err
		}
		r.stats.queries.Add(1)
		sc.udp.Add(1)
	}

	replies := make([]reply, len(types))
	bp := bufPool.Get().(*[maxDNSPacketSize]byte)
	defer bufPool.Put(bp)
	buf := bp[:]
	for s, c := range socks {
		rto := r.rto()
		for waiting := countWaiting(queries, s); waiting > 0; {
			wait := time.Now().Add(rto)
			if wait.After(deadline) {
				wait = deadline
			}
			c.SetReadDeadline(wait)
			n, err := c.Read(buf)
			if err != nil {
				if !isTimeoutErr(err) {
					return nil, err
				}
				if !time.Now().Before(deadline) {
					r.stats.timeouts.Add(1)
					sc.timeouts.Add(1)
					return nil, errTimeout
				}
				for i := range queries {
					if q := &queries[i]; q.sock == s && !q.done {
						if _, err := c.Write(q.msg); err != nil {
							return nil, err
						}
						r.stats.queries.Add(1)
						r.stats.retransmits.Add(1)
						sc.udp.Add(1)
					}
				}
				rto *= 2
				continue
			}
			matched := false
			for i := range queries {
				q := &queries[i]
				if q.sock != s || q.done {
					continue
				}
				if p, h, ok := matchReply(buf[:n], q.id, fq, q.typ); ok {
					replies[i] = readReply(&p, h, fq, q.typ)
					q.done, matched = true, true
					waiting--
					break
				}
			}
			if !matched {
				r.stats.dropped.Add(1)
			}
		}
	}
	r.stats.answers.Add(int64(len(types)))
	sc.answers.Add(int64(len(types)))
	sc.latencySum.Add(int64(time.Since(begin)))
	sc.latencyN.Add(1)
	for i := range replies {
		if replies[i].trunc {
			rp, err := r.exchangeTCP(server, fq, types[i], edns, deadline)
			if err != nil {
				return nil, err
			}
			replies[i] = rp
		}
	}
	return replies, nil
}

func hasErr(replies []reply, err error) bool {
	for _, rp := range replies {
		if rp.err == err {
			return true
		}
	}
	return false
}

// bufPool holds the buffers UDP answers are read into.
var bufPool = sync.Pool{New: func() any { return new([maxDNSPacketSize]byte) }}

// udpQuery is one question of an exchange: its ID, the message sent,
// the socket (index) it went out on and whether its answer came.
type udpQuery struct {
	id   uint16
	typ  dnsmessage.Type
	msg  []byte
	sock int
	done bool
}

func hasID(qs []udpQuery, id uint16) bool {
	for _, q := range qs {
		if q.id == id {
			return true
		}
	}
	return false
}

func countWaiting(qs []udpQuery, sock int) int {
	n := 0
	for _, q := range qs {
		if q.sock == sock && !q.done {
			n++
		}
	}
	return n
}

// newID returns a random query ID. math/rand/v2's global source is
// ChaCha8, seeded from the system's randomness, and safe for concurrent
// use: an off-path attacker cannot predict it.
func newID() uint16 { return uint16(rand.Uint32()) }

// rto is the first retransmission timeout of an attempt: a sixteenth of
// the attempt, at least minRTO.
func (r *Async) rto() time.Duration {
	return max(r.timeout/16, minRTO)
}

// minRTO bounds how soon a UDP query is sent again.
const minRTO = 25 * time.Millisecond

func (r *Async) exchangeTCP(server, fq string, typ dnsmessage.Type, edns bool, deadline time.Time) (reply, error) {
	sc := r.perServe[server]
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c, err := r.dial(ctx, "tcp", server)
	if err != nil {
		return reply{}, err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	id := newID()
	q, err := buildQuery(id, fq, typ, edns)
	if err != nil {
		return reply{}, err
	}
	if _, err := c.Write(q); err != nil {
		return reply{}, err
	}
	r.stats.queries.Add(1)
	sc.tcp.Add(1)
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return reply{}, tcpErr(err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return reply{}, tcpErr(err)
	}
	p, h, ok := matchReply(msg, id, fq, typ)
	if !ok {
		r.stats.dropped.Add(1)
		return reply{}, errMalformed
	}
	r.stats.answers.Add(1)
	sc.answers.Add(1)
	rp := readReply(&p, h, fq, typ)
	if rp.trunc {
		return reply{}, errMalformed // TC over TCP makes no sense
	}
	return rp, nil
}

func tcpErr(err error) error {
	if isTimeoutErr(err) {
		return errTimeout
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errMalformed // EOF inside a message
	}
	return err
}

func isTimeoutErr(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// Stats returns a snapshot of the counters.
func (r *Async) Stats() Stats {
	s := Stats{
		Queries: r.stats.queries.Load(), Answers: r.stats.answers.Load(),
		Timeouts: r.stats.timeouts.Load(), Dropped: r.stats.dropped.Load(),
		Retransmits: r.stats.retransmits.Load(),
		CacheHits:   r.stats.hits.Load(), CacheMisses: r.stats.misses.Load(),
		NegativeHits: r.stats.negHits.Load(),
	}
	for _, name := range r.servers {
		c := r.perServe[name]
		ss := ServerStats{Server: name, UDP: c.udp.Load(), TCP: c.tcp.Load(), Answers: c.answers.Load(), Timeouts: c.timeouts.Load()}
		if n := c.latencyN.Load(); n > 0 {
			ss.AvgLatency = time.Duration(c.latencySum.Load() / n)
		}
		s.Servers = append(s.Servers, ss)
	}
	return s
}

var _ Resolver = (*Async)(nil)
