package dnsresolver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits and defaults of resolv.conf(5).
const (
	maxNameservers  = 3 // MAXNS
	defaultNdots    = 1
	maxNdots        = 15
	defaultTimeout  = 5 * time.Second
	maxTimeout      = 30 * time.Second
	defaultAttempts = 2
	maxAttempts     = 5
	maxConfLine     = 4096 // longer lines of resolv.conf and hosts are skipped
)

// lineReader reads the lines of a configuration file, skipping (not
// stopping at) lines longer than maxConfLine, as the C library skips
// what it cannot parse.
type lineReader struct {
	br *bufio.Reader
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxConfLine)}
}

// next returns the next line without its end, and false at the end of the
// input or on a read error.
func (l *lineReader) next() (string, bool) {
	for {
		line, isPrefix, err := l.br.ReadLine()
		if err != nil {
			return "", false
		}
		if !isPrefix {
			return string(line), true
		}
		for isPrefix && err == nil { // too long: drop the rest of it
			_, isPrefix, err = l.br.ReadLine()
		}
	}
}

// resolvConf is what /etc/resolv.conf says.
type resolvConf struct {
	servers  []string // host:port
	search   []string // lowercase, no trailing dot
	ndots    int
	timeout  time.Duration
	attempts int
	rotate   bool
	edns0    bool
	reopen   bool // single-request-reopen: a socket per query
}

// parseResolvConf reads resolv.conf(5). Unknown keywords and broken lines
// are ignored, as the C library does; the last of "search" and "domain"
// wins. Without a nameserver line the local server is used.
func parseResolvConf(r io.Reader) *resolvConf {
	c := &resolvConf{ndots: defaultNdots, timeout: defaultTimeout, attempts: defaultAttempts}
	lines := newLineReader(r)
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 1 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) > 1 && len(c.servers) < maxNameservers {
				if s, err := serverAddr(f[1]); err == nil {
					c.servers = append(c.servers, s)
				}
			}
		case "domain":
			if len(f) > 1 {
				c.search = searchList(f[1:2])
			}
		case "search":
			c.search = searchList(f[1:])
		case "options":
			for _, opt := range f[1:] {
				key, val, _ := strings.Cut(opt, ":")
				n, nerr := strconv.Atoi(val)
				switch key {
				case "ndots":
					if nerr == nil && n >= 0 {
						c.ndots = min(n, maxNdots)
					}
				case "timeout":
					if nerr == nil && n >= 1 {
						c.timeout = min(time.Duration(n)*time.Second, maxTimeout)
					}
				case "attempts":
					if nerr == nil && n >= 1 {
						c.attempts = min(n, maxAttempts)
					}
				case "rotate":
					c.rotate = true
				case "edns0":
					c.edns0 = true
				case "single-request-reopen":
					c.reopen = true
				}
			}
		}
	}
	if len(c.servers) == 0 {
		c.servers = []string{"127.0.0.1:53", "[::1]:53"}
	}
	return c
}

func searchList(domains []string) []string {
	var out []string
	for _, d := range domains {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if d != "" && validName(d) {
			out = append(out, d)
		}
	}
	return out
}

// ParseServer parses the address of a DNS server as users write it: an IP
// address with an optional port, "192.0.2.1", "192.0.2.1:53", "2001:db8::1",
// "[2001:db8::1]", "[2001:db8::1]:5353"; port 53 when none is given. An
// IPv6 address may carry a zone (an interface name or index, letters, digits,
// '.', '-' and '_', at most 15 bytes, as Linux names interfaces):
// "fe80::1%eth0". Host names are refused: a resolver cannot look up its own
// server. It reads no file and builds nothing, so options can be checked
// with it before any resolver exists; its errors name the address and say
// what is wrong, to be shown to the user as they are.
func ParseServer(s string) (netip.AddrPort, error) {
	bad := func(why string) (netip.AddrPort, error) {
		return netip.AddrPort{}, fmt.Errorf("DNS server %q: %s", s, why)
	}
	if s == "" {
		return bad("empty; want an IP address, optionally with a port (192.0.2.1, 192.0.2.1:53, [2001:db8::1]:5353)")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return bad("contains white space; want an IP address, optionally with a port")
	}
	host, port := s, "" // a bare IPv4 address, or IPv6 (more than one colon)
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		host = s[1 : len(s)-1] // "[::1]": brackets, no port
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1:
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			return bad("want an IP address, optionally with a port (192.0.2.1, 192.0.2.1:53, [2001:db8::1]:5353)")
		}
		host, port = h, p
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if strings.ContainsAny(host, ":%") || strings.Trim(host, "0123456789.") == "" {
			return bad("not a valid IP address")
		}
		return bad("not an IP address (a DNS server is given by address, not by name)")
	}
	if z := ip.Zone(); z != "" && !validZone(z) {
		return bad(fmt.Sprintf("zone %q: want an interface name or index (letters, digits, '.', '-', '_'; at most 15 bytes)", z))
	}
	ip = ip.Unmap() // ::ffff:192.0.2.1 is an IPv4 server
	p := uint64(53)
	if port != "" {
		if p, err = strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return bad(fmt.Sprintf("port %q: want 1 to 65535", port))
		}
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// maxZoneLength is the longest IPv6 zone accepted: Linux's IFNAMSIZ less
// its terminating zero.
const maxZoneLength = 15

// validZone reports whether z can be an interface name or index. Anything
// else ("]0", spaces, '%', '/') is refused, so the address never turns into
// a string that no longer parses (netip accepts any bytes in a zone).
func validZone(z string) bool {
	if z == "" || len(z) > maxZoneLength {
		return false
	}
	for i := 0; i < len(z); i++ {
		c := z[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// serverAddr is ParseServer in the host:port form the resolver dials and
// names servers by.
func serverAddr(s string) (string, error) {
	ap, err := ParseServer(s)
	if err != nil {
		return "", err
	}
	return ap.String(), nil
}

// parseHosts reads hosts(5): an address, then a canonical name and
// aliases; # starts a comment; names match case-insensitively; broken lines
// are skipped.
func parseHosts(r io.Reader) map[string][]netip.Addr {
	m := make(map[string][]netip.Addr)
	lines := newLineReader(r)
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		ip = ip.Unmap() // ::ffff:192.0.2.9 is an IPv4 address
		for _, name := range f[1:] {
			n, err := normalizeName(name)
			if err != nil {
				continue
			}
			if !containsAddr(m[n], ip) {
				m[n] = append(m[n], ip)
			}
		}
	}
	return m
}

func containsAddr(addrs []netip.Addr, a netip.Addr) bool {
	for _, x := range addrs {
		if x == a {
			return true
		}
	}
	return false
}
