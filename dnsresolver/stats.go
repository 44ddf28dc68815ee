package dnsresolver

import (
	"sync/atomic"
	"time"
)

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
