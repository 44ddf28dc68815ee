package fetcher

// RFC 6724 destination address selection: the order in which a host's
// addresses are tried, before Happy Eyeballs interleaves the families
// (happyeyeballs.go). net keeps its addrselect.go beside dial.go too.

import (
	"net/netip"
	"slices"
)

// rfc6724Policy is RFC 6724's default policy table (section 2.1): prefix
// and precedence, longest prefixes first.
var rfc6724Policy = []struct {
	prefix     netip.Prefix
	precedence int
}{
	{netip.MustParsePrefix("::1/128"), 50},
	{netip.MustParsePrefix("::ffff:0:0/96"), 35},
	{netip.MustParsePrefix("::/96"), 1},
	{netip.MustParsePrefix("2001::/32"), 5},
	{netip.MustParsePrefix("2002::/16"), 30},
	{netip.MustParsePrefix("3ffe::/16"), 1},
	{netip.MustParsePrefix("fec0::/10"), 1},
	{netip.MustParsePrefix("fc00::/7"), 3},
	{netip.MustParsePrefix("::/0"), 40},
}

// precedence is the RFC 6724 precedence of a (IPv4 as ::ffff:a.b.c.d).
func precedence(a netip.Addr) int {
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	for _, p := range rfc6724Policy {
		if p.prefix.Contains(a) {
			return p.precedence
		}
	}
	return 1
}

// scope is the RFC 6724 scope of a: 1 interface-local, 2 link-local, 5
// site-local, 14 global (IPv4 loopback and link-local count as link-local,
// RFC 6724 section 3.2).
func scope(a netip.Addr) int {
	a = a.Unmap()
	switch {
	case a.IsInterfaceLocalMulticast():
		return 1
	case a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return 2
	case a.Is6() && netip.MustParsePrefix("fec0::/10").Contains(a):
		return 5
	}
	return 14
}

// sortRFC6724 orders destination addresses by the rules of RFC 6724
// section 6 that need no source address: higher precedence first (rule
// 6: global IPv6 before IPv4, IPv4 before ULAs and 6to4's leftovers), then
// smaller scope (rule 8), otherwise as given (rule 10). The rules that
// need the source address (1, 2, 3, 5, 9) are left to the connect
// attempts: an unusable destination fails at once and Happy Eyeballs
// moves on. The resolver's order is kept when it already sorts (the
// system resolver does), since the sort is stable.
func sortRFC6724(addrs []netip.Addr) []netip.Addr {
	if len(addrs) < 2 {
		return addrs
	}
	out := slices.Clone(addrs)
	slices.SortStableFunc(out, func(a, b netip.Addr) int {
		if pa, pb := precedence(a), precedence(b); pa != pb {
			return pb - pa
		}
		return scope(a) - scope(b)
	})
	return out
}
