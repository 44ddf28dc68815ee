package dnsresolver

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// resolve tries name with the search list (resolv.conf(5): names with
// fewer than ndots dots go through the search domains first) and returns
// the answer or the error, and how long either may be cached.
func (r *Async) resolve(name, host string, fam Family, c *call) (Answer, time.Duration, error) {
	var first error
	var firstTTL time.Duration
	for _, fq := range r.candidates(name, host) {
		ans, ttl, err := r.resolveFQDN(fq, host, fam, c)
		if err == nil {
			return ans, ttl, nil
		}
		if first == nil {
			first, firstTTL = err, ttl
		}
		if !errors.Is(err, ErrNoSuchHost) {
			return Answer{}, ttl, err // server trouble: the next name would meet it too
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

// familyResult is what the questions of one family (A or AAAA) came to
// for one name, at the end of its alias chain.
type familyResult struct {
	typ    dnsmessage.Type
	name   string // the name asked now: fq, or where an alias chain led
	depth  int    // aliases followed across queries
	addrs  []netip.Addr
	ttl    time.Duration // of the records used, the aliases included
	cname  string        // the canonical name, with its dot ("" if no alias)
	err    error         // nil when addrs came
	nx     bool          // err is NXDOMAIN (else NODATA, when ErrNoSuchHost)
	negTTL time.Duration // RFC 2308: how long the denial may be cached (0: no SOA)
}

// resolveFQDN asks for fq's addresses in every family of fam at once, each
// family on its own: one that has addresses is the answer whatever
// happened to the others (NODATA, NXDOMAIN, REFUSED, SERVFAIL, FORMERR,
// timeout, forged or garbled replies), as glibc and Go resolve. It follows
// the alias chains that an answer left unfinished. It returns the answer,
// or the error when no family has an address, and how long either may be
// cached: an answer for its records' TTL, bounded, for each family that
// failed, by that failure's negative TTL (an SOA-backed NODATA or NXDOMAIN,
// RFC 2308) or by failureTTL (any other failure); an error for the SOA's
// negative TTL when every family is NODATA or NXDOMAIN, else for
// failureTTL, except that a failure in which a server timed out is not
// cached.
func (r *Async) resolveFQDN(fq, host string, fam Family, c *call) (Answer, time.Duration, error) {
	var resBuf [2]familyResult
	res := resBuf[:0]
	if fam != V6 {
		res = append(res, familyResult{typ: dnsmessage.TypeA, name: fq, ttl: r.maxTTL})
	}
	if fam != V4 {
		res = append(res, familyResult{typ: dnsmessage.TypeAAAA, name: fq, ttl: r.maxTTL})
	}
	var idxBuf [2]int
	pending := idxBuf[:0]
	for i := range res {
		pending = append(pending, i)
	}
	var server string
	var qBuf [2]question
	for len(pending) > 0 {
		qs := qBuf[:0]
		for _, i := range pending {
			qs = append(qs, question{name: res[i].name, typ: res[i].typ})
		}
		replies, s := r.query(qs, c)
		if s != "" {
			server = s
		}
		next := pending[:0]
		for k, i := range pending {
			f, rp := &res[i], replies[k]
			switch {
			case rp.err == nil && len(rp.addrs) > 0:
				f.addrs, f.ttl = rp.addrs, min(f.ttl, rp.ttl)
				if rp.cname != "" {
					f.cname = rp.cname
				}
			case rp.err == nil && rp.cname != "":
				// The chain goes on beyond this answer: ask for its end.
				f.ttl, f.cname = min(f.ttl, rp.ttl), rp.cname
				if f.depth >= maxCNAMEChain {
					f.err = errCNAMELoop
					break
				}
				f.depth++
				f.name = rp.cname // fully qualified
				next = append(next, i)
			case rp.err == nil: // no address, no alias: a reply that says nothing
				f.err = ErrNoSuchHost
			default:
				f.err, f.nx, f.negTTL = rp.err, rp.nx, rp.negTTL
			}
		}
		pending = next
		if len(pending) > 0 && c != nil {
			for i := range res {
				if f := &res[i]; f.err == nil && len(f.addrs) > 0 {
					c.publish(reply{addrs: f.addrs, ttl: f.ttl, cname: f.cname}) // the others follow their aliases
				}
			}
		}
		if len(pending) > 0 && c != nil && c.late(r.resDelay) {
			for _, i := range pending {
				res[i].err = errTimeout // the lookup did not wait for the rest of the chain
			}
			pending = nil
		}
	}

	var ans Answer
	failTTL := r.maxTTL
	ttl := r.maxTTL
	for i := range res {
		f := &res[i]
		r.stats.family(f.typ).count(f)
		if f.err == nil {
			ans.Addrs = append(ans.Addrs, f.addrs...)
			ttl = min(ttl, f.ttl)
			if ans.CNAME == "" && f.cname != "" {
				ans.CNAME = strings.TrimSuffix(f.cname, ".")
			}
			continue
		}
		switch {
		case errors.Is(f.err, ErrNoSuchHost) && f.negTTL > 0:
			failTTL = min(failTTL, f.negTTL)
		default:
			failTTL = min(failTTL, r.failureTTL)
		}
	}
	if len(ans.Addrs) > 0 {
		ans.TTL = ttl
		return ans, min(ttl, failTTL), nil
	}
	return Answer{}, r.failureCacheTTL(res), r.familyError(host, server, res)
}

// failureCacheTTL is how long a lookup that found no address may be
// cached: for the smallest SOA negative TTL when every family says the
// name or its addresses do not exist (not at all without an SOA, RFC 2308
// 5); not at all when a server timed out; else (REFUSED, SERVFAIL, ...)
// for failureTTL.
func (r *Async) failureCacheTTL(res []familyResult) time.Duration {
	allDenied := true
	ttl := r.maxNeg
	for _, f := range res {
		if errors.Is(f.err, errTimeout) {
			return 0
		}
		if errors.Is(f.err, ErrNoSuchHost) {
			ttl = min(ttl, f.negTTL)
		} else {
			allDenied = false
		}
	}
	if allDenied {
		return ttl
	}
	return min(ttl, r.failureTTL)
}

// familyError is the error of a lookup none of whose families had an
// address: ErrNoSuchHost when every family says so (NXDOMAIN or NODATA);
// the one cause when every family met the same one, or only one was
// asked; else a *FamilyError that says what each family got.
func (r *Async) familyError(host, server string, res []familyResult) error {
	e := &Error{Name: host, Server: server}
	same, denied := true, true
	for _, f := range res {
		same = same && f.err == res[0].err
		denied = denied && errors.Is(f.err, ErrNoSuchHost)
	}
	switch {
	case denied:
		e.Err = ErrNoSuchHost
	case same:
		e.Err = res[0].err
	default:
		fe := &FamilyError{}
		for _, f := range res {
			fe.Families = append(fe.Families, FamilyOutcome{Type: f.typ.String()[4:], Outcome: outcomeName(f), Err: f.err})
		}
		e.Err = fe
	}
	e.IsNotFound = denied
	e.IsTimeout = true
	for _, f := range res {
		if !errors.Is(f.err, errTimeout) {
			e.IsTimeout = false
		}
		if isTransient(f.err) && !errors.Is(f.err, errCNAMELoop) {
			e.IsTemporary = true
		}
	}
	return e
}

// FamilyError is the cause of a lookup that found no address when its
// families failed in different ways: what each got, as in
// "A: REFUSED; AAAA: timed out". errors.Is(err, target) holds when it
// holds for one of the families' errors (never for ErrNoSuchHost, which
// a lookup reports only when every family says the name has no address).
type FamilyError struct {
	Families []FamilyOutcome
}

// FamilyOutcome is what the query of one family came to.
type FamilyOutcome struct {
	Type    string // "A" or "AAAA"
	Outcome string // "NODATA", "NXDOMAIN", "REFUSED", "SERVFAIL", "FORMERR", "timed out", ...
	Err     error
}

// Error lists each family's outcome: "A: REFUSED; AAAA: timed out".
func (e *FamilyError) Error() string {
	var b strings.Builder
	for i, f := range e.Families {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Type + ": " + f.Outcome)
	}
	return b.String()
}

// Is reports whether one family's error is target.
func (e *FamilyError) Is(target error) bool {
	if target == ErrNoSuchHost {
		return false
	}
	for _, f := range e.Families {
		if errors.Is(f.Err, target) {
			return true
		}
	}
	return false
}

// outcomeName names what a family's query came to, short.
func outcomeName(f familyResult) string {
	switch {
	case f.err == nil:
		return "answered"
	case errors.Is(f.err, ErrNoSuchHost) && f.nx:
		return "NXDOMAIN"
	case errors.Is(f.err, ErrNoSuchHost):
		return "NODATA"
	case f.err == errRefused:
		return "REFUSED"
	case f.err == errServerFailure:
		return "SERVFAIL"
	case f.err == errFormat:
		return "FORMERR"
	}
	return f.err.Error()
}
