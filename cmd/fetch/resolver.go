package main

import (
	"errors"

	"github.com/greenfetch/greenfetch/dnsresolver"
	"github.com/greenfetch/greenfetch/fetcher"
)

// defaultResolverName is the --resolver default: greenfetch's own DNS
// client on the hubs.
const defaultResolverName = "async"

// errPoolServers is the usage error of --dns-server with --resolver pool:
// the system resolver asks the servers the system names.
var errPoolServers = errors.New("--dns-server needs --resolver async: the pool resolver asks the system's servers")

// newResolver returns the resolver of one run, new for every run so that
// each run starts with a cold cache: the async DNS client (resolv.conf and
// /etc/hosts, or the --dns-server list), or the system resolver on the
// scheduler's worker threads for --resolver pool.
func newResolver(o *Options) (fetcher.Resolver, error) {
	fam := o.Family // fetcher.Family is dnsresolver.Family
	if o.Resolver == "pool" {
		if len(o.DNSServers) > 0 {
			return nil, errPoolServers
		}
		return dnsresolver.NewPool(dnsresolver.PoolConfig{Family: fam}), nil
	}
	return dnsresolver.NewAsync(dnsresolver.Config{Servers: o.DNSServers, Family: fam})
}
