package dnsresolver

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

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
