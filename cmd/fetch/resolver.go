package main

import (
	"errors"

	"github.com/greenfetch/greenfetch/fetcher"
)

// errNoAsyncResolver is the usage error of --resolver async and
// --dns-server while the dnsresolver package is not part of the build.
var errNoAsyncResolver = errors.New("the async resolver (--resolver async, --dns-server) is not in this build yet; use --resolver pool")

// asyncResolverBuilt reports whether --resolver async can be honoured.
const asyncResolverBuilt = false

// defaultResolverName is the --resolver default: async once the dnsresolver
// package is built in, pool until then.
const defaultResolverName = "pool"

// newResolver returns the resolver of one run, new for every run so that
// each run starts with a cold cache, or nil for the fetcher's own: the
// system resolver on the scheduler's worker threads, with a cache, which
// is what --resolver pool asks for.
func newResolver(o *Options) (fetcher.Resolver, error) {
	if o.Resolver == "async" || len(o.DNSServers) > 0 {
		return nil, errNoAsyncResolver
	}
	return nil, nil
}
