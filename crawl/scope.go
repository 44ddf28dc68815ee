package crawl

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// ScopeKind is how far from its seeds a crawl may go.
type ScopeKind uint8

// The scopes.
const (
	ScopeHost   ScopeKind = iota // the seed's host and port
	ScopeDomain                  // the seed's registrable domain (public suffix list), any port and scheme
	ScopePrefix                  // the seed's scheme, host, port and path up to its last '/'
)

// String returns "host", "domain" or "prefix".
func (k ScopeKind) String() string {
	switch k {
	case ScopeDomain:
		return "domain"
	case ScopePrefix:
		return "prefix"
	}
	return "host"
}

// ParseScope returns the scope named s.
func ParseScope(s string) (ScopeKind, error) {
	switch s {
	case "host", "":
		return ScopeHost, nil
	case "domain":
		return ScopeDomain, nil
	case "prefix":
		return ScopePrefix, nil
	}
	return 0, fmt.Errorf("unknown scope %q (want host, domain or prefix)", s)
}

// Scope decides which URLs a crawl may fetch: those within the scope of
// any seed (or matching Regex when set), matching Include when set, and
// not matching Exclude. URLs are given normalized (see Normalize).
type Scope struct {
	Kind    ScopeKind
	Regex   *regexp.Regexp // if set, replaces Kind: a URL is in scope when it matches
	Include *regexp.Regexp // if set, a URL must match it too
	Exclude *regexp.Regexp // if set, a URL matching it is out of scope

	hosts    map[string]bool // host[:port] of the seeds, normalized
	domains  map[string]bool
	prefixes []string
}

// AddSeed widens the scope to a seed URL (normalized).
func (s *Scope) AddSeed(u *url.URL) {
	if s.hosts == nil {
		s.hosts, s.domains = map[string]bool{}, map[string]bool{}
	}
	n, err := Normalize(u)
	if err != nil {
		return
	}
	nu, _ := url.Parse(n)
	s.hosts[nu.Host] = true
	s.domains[registrableDomain(nu.Hostname())] = true
	p := n
	if i := strings.LastIndexByte(p[len(nu.Scheme)+3:], '/'); i >= 0 {
		p = p[:len(nu.Scheme)+3+i+1]
	}
	if j := strings.IndexByte(p, '?'); j >= 0 {
		p = p[:j]
	}
	s.prefixes = append(s.prefixes, p)
}

// registrableDomain is a host's eTLD+1, or the host itself (an IP
// address, a public suffix, a single label).
func registrableDomain(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// In reports whether the normalized URL n (parsed as u) is in scope.
func (s *Scope) In(n string, u *url.URL) bool {
	if s.Exclude != nil && s.Exclude.MatchString(n) {
		return false
	}
	if s.Include != nil && !s.Include.MatchString(n) {
		return false
	}
	if s.Regex != nil {
		return s.Regex.MatchString(n)
	}
	switch s.Kind {
	case ScopeDomain:
		return s.domains[registrableDomain(u.Hostname())]
	case ScopePrefix:
		for _, p := range s.prefixes {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
		return false
	}
	return s.hosts[hostKey(u)]
}

// hostKey is a URL's host and port as Normalize spells them (no default
// port), the key of per-host politeness.
func hostKey(u *url.URL) string {
	h := strings.ToLower(u.Host)
	if hh, port, err := net.SplitHostPort(h); err == nil {
		if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
			if strings.Contains(hh, ":") {
				return "[" + hh + "]"
			}
			return hh
		}
	}
	return strings.TrimSuffix(h, ":")
}
