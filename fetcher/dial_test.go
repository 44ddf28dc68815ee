package fetcher

import (
	"context"
	"net/netip"
)

// staticResolver answers from a map, and fails other names.
type staticResolver map[string][]netip.Addr

func (r staticResolver) LookupNetIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return nil, &noSuchHost{host}
}

type noSuchHost struct{ host string }

func (e *noSuchHost) Error() string { return "lookup " + e.host + ": no such host (test resolver)" }
