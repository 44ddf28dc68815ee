// Package dnsresolver resolves host names for greenfetch without ever
// stalling a hub, the way gevent resolves with c-ares or a thread pool.
//
// Async is a DNS client of its own: it builds and parses messages with
// golang.org/x/net/dns/dnsmessage and talks to the servers of
// /etc/resolv.conf (or explicit ones, see ParseServer) over the
// scheduler's cooperative UDP and TCP sockets when called from a task,
// and over ordinary sockets when called from a goroutine. It asks for A
// and AAAA at once on one fresh UDP socket (a random source port per
// lookup, a random ID per query), follows CNAME chains, sends EDNS0,
// retries over TCP when an answer is truncated, and drops every reply that
// does not match the query it sent (ID, QR, question, and the server,
// through the connected socket).
//
// The families are independent: addresses of one family are the answer
// whatever happened to the other's query (NODATA, NXDOMAIN, REFUSED,
// SERVFAIL, FORMERR, timeout, forged or garbled replies), as glibc and Go
// resolve; each question goes on to the next server on its own. When one
// family has addresses the lookup waits for the other at most
// Config.ResolutionDelay (RFC 8305, 50ms). A lookup fails only when no
// family has an address; its error then says what each family got
// ("A: REFUSED; AAAA: timed out", a *FamilyError), and it is
// ErrNoSuchHost only when every family says the name or its addresses do
// not exist. A Family of V4 or V6 asks only that family's question.
//
// Answers are cached by their TTL, failures by the SOA minimum (RFC
// 2308) or, when no SOA backs them, for Config.FailureTTL at most (5s),
// in a bounded LRU cache; however many tasks ask for one name at once,
// one query is in flight. Stats counts queries, answers, timeouts and
// cache hits per server and transport, and each family's outcomes.
//
// Pool runs the system resolver (getaddrinfo and nsswitch) on the
// scheduler's worker threads, for hosts that need it. Both report a name
// that does not exist alike: errors.Is(err, ErrNoSuchHost).
//
// Both are safe for concurrent use by tasks of any hub and by goroutines.
//
// The files: async.go (Config, NewAsync), lookup.go (a lookup: literals,
// hosts, cache, one query in flight per name, the resolution delay),
// search.go (search list, families, alias chains, errors), exchange.go
// (servers, attempts, UDP and TCP on the wire), message.go (building and
// reading messages), cache.go, stats.go, conf.go (resolv.conf, hosts,
// ParseServer), pool.go (Pool), resolver.go (the shared types).
package dnsresolver

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Resolver looks up the addresses of a host name.
type Resolver interface {
	// LookupHost returns the addresses of host and how long they may be
	// cached. The Answer's Addrs must not be modified: they may be shared
	// with the cache.
	LookupHost(ctx context.Context, host string) (Answer, error)
}

// Answer is the result of a lookup.
type Answer struct {
	Addrs []netip.Addr  // IPv4 addresses first, then IPv6
	TTL   time.Duration // how long the answer may be cached
	// CNAME is the canonical name when the query name was an alias.
	CNAME string
	// Cached reports that the answer came from the cache, /etc/hosts or an
	// IP literal, with no query.
	Cached bool
}

// Family chooses which address families a lookup asks for.
type Family uint8

const (
	Both Family = iota // A and AAAA, in parallel
	V4                 // A only
	V6                 // AAAA only
)

var familyNames = map[Family]string{Both: "both", V4: "ipv4", V6: "ipv6"}

// String returns "both", "ipv4" or "ipv6".
func (f Family) String() string {
	if s, ok := familyNames[f]; ok {
		return s
	}
	return "family(" + string(rune('0'+f)) + ")"
}

// Errors callers branch on; an *Error wraps them.
var (
	// ErrNoSuchHost: the name does not exist (NXDOMAIN), or has no address
	// of the families asked for (NODATA).
	ErrNoSuchHost = errors.New("no such host")
	// ErrInvalidName: the name cannot be a host name; no query was sent.
	ErrInvalidName = errors.New("invalid host name")
	// ErrNoServers: no server to ask.
	ErrNoServers = errors.New("no DNS servers configured")
)

// Causes an *Error may wrap.
var (
	errServerFailure = errors.New("server failure (SERVFAIL)")
	errRefused       = errors.New("query refused (REFUSED)")
	errFormat        = errors.New("server could not parse the query (FORMERR)")
	errMisbehaving   = errors.New("server misbehaving")
	errMalformed     = errors.New("malformed answer")
	errCNAMELoop     = errors.New("CNAME chain too long or looping")
	errTimeout       = timeoutError{}
)

// timeoutError is the cause of a lookup that got no answer in time. Like
// the standard library's deadline errors it reports Timeout, and
// errors.Is(err, os.ErrDeadlineExceeded) holds, so code written for net
// errors treats it alike.
type timeoutError struct{}

func (timeoutError) Error() string        { return "timed out" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Temporary() bool      { return true }
func (timeoutError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

// Error is a failed lookup: which name, which server, what happened.
type Error struct {
	Name        string // the name looked up
	Server      string // the server that answered last, or "" when none was asked
	Err         error
	IsTimeout   bool // no answer in time
	IsTemporary bool // worth trying again later
	IsNotFound  bool // the name does not exist, or has no address
}

// Error says which name, on which server, and what happened:
// "lookup NAME on SERVER: CAUSE".
func (e *Error) Error() string {
	s := "lookup " + e.Name
	if e.Server != "" {
		s += " on " + e.Server
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause, so errors.Is(err, ErrNoSuchHost) works.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports that no answer came in time, as net errors do.
func (e *Error) Timeout() bool { return e.IsTimeout }

// Temporary reports that trying again later may succeed.
func (e *Error) Temporary() bool { return e.IsTemporary || e.IsTimeout }

// Bounds of names, RFC 1035 2.3.4.
const (
	maxLabelLength = 63
	maxNameLength  = 253 // in text form, without the trailing dot
)

// normalizeName turns host into the lowercase ASCII form queries use
// (IDNA for international names) and checks it. IP literals are left to
// the caller. Lowercase ASCII names, the common case, are not copied.
func normalizeName(host string) (string, error) {
	name := strings.TrimSuffix(host, ".")
	if name == "" {
		return "", ErrInvalidName
	}
	if validName(name) { // already lowercase ASCII: the common case
		return name, nil
	}
	ascii, lower := true, true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			lower = false
		}
	}
	if !ascii {
		a, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", ErrInvalidName
		}
		name = a
	} else if !lower {
		name = strings.ToLower(name)
	}
	if !validName(name) {
		return "", ErrInvalidName
	}
	return name, nil
}

// validName checks a lowercase ASCII name: labels of 1 to 63 letters,
// digits, hyphens and underscores (seen in the wild), not starting or
// ending with a hyphen; 253 characters at most.
func validName(name string) bool {
	if len(name) == 0 || len(name) > maxNameLength {
		return false
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '.' {
			n := i - start
			if n == 0 || n > maxLabelLength || name[start] == '-' || name[i-1] == '-' {
				return false
			}
			start = i + 1
			continue
		}
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isLocalhost reports names that are always this host (RFC 6761 6.3).
func isLocalhost(name string) bool {
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

var localhostAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}

// FilterFamily returns the addresses of addrs in family f: addrs itself
// for Both, else a new slice (nil when none is left); addrs is not
// modified. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) counts as
// IPv4.
func FilterFamily(addrs []netip.Addr, f Family) []netip.Addr {
	if f == Both {
		return addrs
	}
	var out []netip.Addr
	for _, a := range addrs {
		if a.Unmap().Is4() == (f == V4) {
			out = append(out, a)
		}
	}
	return out
}

// parseLiteral returns host as an IP address if it is one ("[::1]" too).
// It tries the parse only when it could succeed, because a failed
// netip.ParseAddr allocates its error, and a cache hit must not allocate:
// an IPv4 literal ends in a digit, which no top-level domain does, and an
// IPv6 one holds a colon.
func parseLiteral(host string) (netip.Addr, bool) {
	if host == "" {
		return netip.Addr{}, false
	}
	if c := host[len(host)-1]; !('0' <= c && c <= '9') && strings.IndexByte(host, ':') < 0 {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return ip, err == nil
}
