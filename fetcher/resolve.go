package fetcher

import (
	"github.com/greenfetch/greenfetch/dnsresolver"
)

// newDefaultResolver returns the resolver of a Config without one, new for
// every client so that every run starts with a cold cache: dnsresolver's
// async client (its own DNS client on the hub's cooperative sockets, with
// /etc/hosts and a cache), or, when it cannot be configured (no
// resolv.conf), the system resolver on worker threads (dnsresolver.Pool).
func newDefaultResolver() Resolver {
	if r, err := dnsresolver.NewAsync(dnsresolver.Config{}); err == nil {
		return r
	}
	return dnsresolver.NewPool(dnsresolver.PoolConfig{})
}
