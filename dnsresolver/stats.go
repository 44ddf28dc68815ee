package dnsresolver

import (
	"errors"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

type counters struct {
	queries, answers, timeouts, dropped atomic.Int64
	retransmits                         atomic.Int64
	hits, misses, negHits               atomic.Int64
	a, aaaa                             familyCounters
}

// familyCounters count the outcomes of one family's questions.
type familyCounters struct {
	answered, nodata, nxdomain, refused, servfail, formerr, timeout, other atomic.Int64
}

func (c *counters) family(t dnsmessage.Type) *familyCounters {
	if t == dnsmessage.TypeAAAA {
		return &c.aaaa
	}
	return &c.a
}

// count adds the outcome of f.
func (fc *familyCounters) count(f *familyResult) {
	switch {
	case f.err == nil:
		fc.answered.Add(1)
	case errors.Is(f.err, ErrNoSuchHost) && f.nx:
		fc.nxdomain.Add(1)
	case errors.Is(f.err, ErrNoSuchHost):
		fc.nodata.Add(1)
	case f.err == errRefused:
		fc.refused.Add(1)
	case f.err == errServerFailure:
		fc.servfail.Add(1)
	case f.err == errFormat:
		fc.formerr.Add(1)
	case errors.Is(f.err, errTimeout):
		fc.timeout.Add(1)
	default:
		fc.other.Add(1)
	}
}

func (fc *familyCounters) snapshot() FamilyStats {
	return FamilyStats{
		Answered: fc.answered.Load(), NoData: fc.nodata.Load(), NXDomain: fc.nxdomain.Load(),
		Refused: fc.refused.Load(), ServFail: fc.servfail.Load(), FormErr: fc.formerr.Load(),
		Timeout: fc.timeout.Load(), Other: fc.other.Load(),
	}
}

// FamilyStats count what the questions of one family (A or AAAA) came to:
// one outcome per name asked (each search-list candidate), after the
// retries across servers and attempts and at the end of its alias chain.
type FamilyStats struct {
	Answered int64 // addresses came
	NoData   int64 // the name exists, without an address of this family
	NXDomain int64 // the name does not exist
	Refused  int64 // REFUSED, at every server asked
	ServFail int64 // SERVFAIL, at every server asked
	FormErr  int64 // FORMERR, with and without EDNS0
	Timeout  int64 // no answer in time (or not waited for: the other family answered)
	Other    int64 // garbled answers, socket errors, alias chains too long
}

type serverCounters struct {
	udp, tcp, answers, timeouts atomic.Int64
	latencySum, latencyN        atomic.Int64 // ns and count of answered UDP exchanges
}

// Stats is a snapshot of an Async resolver's counters.
type Stats struct {
	Queries      int64       // DNS messages sent, every server and transport
	Answers      int64       // replies that matched a query
	Timeouts     int64       // exchanges that got no answer in time
	Retransmits  int64       // UDP queries sent again within an attempt
	Dropped      int64       // replies dropped as not matching (forged, late, malformed)
	CacheHits    int64       // lookups answered from the cache, hosts or literals
	CacheMisses  int64       // lookups that needed a query (or joined one in flight)
	NegativeHits int64       // cache hits on a cached failure
	A, AAAA      FamilyStats // each family's outcomes
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

// Stats returns a snapshot of the counters.
func (r *Async) Stats() Stats {
	s := Stats{
		Queries: r.stats.queries.Load(), Answers: r.stats.answers.Load(),
		Timeouts: r.stats.timeouts.Load(), Dropped: r.stats.dropped.Load(),
		Retransmits: r.stats.retransmits.Load(),
		CacheHits:   r.stats.hits.Load(), CacheMisses: r.stats.misses.Load(),
		NegativeHits: r.stats.negHits.Load(),
		A:            r.stats.a.snapshot(), AAAA: r.stats.aaaa.snapshot(),
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
