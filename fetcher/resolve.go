package fetcher

import (
	"fmt"

	"github.com/greenfetch/greenfetch/dnsresolver"
)

// newDefaultResolver returns the resolver of a Config without one, new for
// every client so that every run starts with a cold cache: dnsresolver's
// async client (its own DNS client on the hub's cooperative sockets, with
// resolv.conf, /etc/hosts and a cache), asking only for family.
func newDefaultResolver(family Family) (Resolver, error) {
	r, err := dnsresolver.NewAsync(dnsresolver.Config{Family: family})
	if err != nil {
		return nil, fmt.Errorf("fetcher: default resolver: %w", err)
	}
	return r, nil
}
