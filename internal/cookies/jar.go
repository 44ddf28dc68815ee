// Package cookies is the cookie jar of fetch: RFC 6265 rules and the
// public suffix list, as net/http/cookiejar applies them with
// golang.org/x/net/publicsuffix, and the Netscape cookie file that curl
// (-b FILE, -c FILE) and wget (--load-cookies, --save-cookies) read and
// write.
//
// # Why cookiejar, and how the jar is saved
//
// net/http/cookiejar is the standard library's, kept with Go itself, and
// does every domain, path and public-suffix decision; this package writes
// no domain matching of its own. It cannot list what it holds, so a Jar
// keeps beside it a table of the cookies it accepted, with their
// attributes as cookiejar stores them (domain, host-only, path, secure,
// HttpOnly, expiry), keyed as cookiejar keys them (domain, path, name).
// Whether cookiejar accepts a cookie, and under which domain, is asked of
// cookiejar itself: each cookie is first set into an empty scratch jar,
// which is then asked for the cookies of the domain and path the cookie
// would have; only a cookie found there goes into the real jar and the
// table, so the two never disagree. No well-kept jar that can list its
// cookies is among the modules this project may use (the brief allows
// cookiejar and publicsuffix), which is why the table is ours: a map and
// a sequence number, with every decision still cookiejar's.
//
// On top of cookiejar, a Jar applies what curl and RFC 6265bis add and
// cookiejar lacks: a Secure cookie is refused from a URL that is not
// https; the __Secure- and __Host- name prefixes are enforced; a response
// sets at most 50 cookies (curl's bound) of at most 4096 bytes of name and
// value; and the jar holds at most Options.MaxCookies, dropping expired
// cookies first and then the oldest, so a hostile site cannot grow it
// without bound.
//
// A Jar is safe for concurrent use by many fetches. Export and Import
// move a whole jar as bytes (the Netscape format, session cookies
// included), for a crawl that shares its jar through a store.
package cookies

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Bounds of a Jar.
const (
	// DefaultMaxCookies is Options.MaxCookies when it is 0: what browsers
	// keep at most.
	DefaultMaxCookies = 3000
	// MaxPerResponse is how many cookies one response may set; curl stops
	// at 50 too.
	MaxPerResponse = 50
	// MaxCookieSize bounds a cookie's name and value together, as curl
	// does.
	MaxCookieSize = 4096
)

// Options configures New. The zero value is usable.
type Options struct {
	// MaxCookies bounds the cookies the jar holds; 0 means
	// DefaultMaxCookies.
	MaxCookies int
}

// Entry is one cookie of a jar, with its attributes as stored.
type Entry struct {
	Name, Value string
	Domain      string // lowercased, no leading dot; the host for host-only cookies
	HostOnly    bool   // sent to Domain only, not its subdomains
	Path        string // as matched (RFC 6265 default-path when none was given)
	Secure      bool
	HttpOnly    bool
	Expires     time.Time // zero for a session cookie

	filePath   string // the path as a Netscape file writes it (curl's form)
	fileDomain string // the domain as written: the attribute's case, as curl keeps it
	seq        uint64 // creation order
}

// Jar is a cookie jar; see the package doc. Its zero value is not usable:
// see New. It implements http.CookieJar.
type Jar struct {
	max int
	now func() time.Time // time.Now; tests move it ahead (cookiejar keeps its own)

	mu    sync.Mutex
	inner *cookiejar.Jar
	table map[string]*Entry // by key(domain, path, name)
	seq   uint64
	fixed []Pair // sent to every URL: -b 'n=v' strings, domain-less file cookies
}

var _ http.CookieJar = (*Jar)(nil)

// New returns an empty jar.
func New(opts *Options) *Jar {
	if opts == nil {
		opts = &Options{}
	}
	j := &Jar{max: opts.MaxCookies, now: time.Now, table: map[string]*Entry{}}
	if j.max <= 0 {
		j.max = DefaultMaxCookies
	}
	j.inner = newInner()
	return j
}

func newInner() *cookiejar.Jar {
	cj, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		panic("cookies: cookiejar.New: " + err.Error()) // it never fails
	}
	return cj
}

func key(domain, path, name string) string { return domain + ";" + path + ";" + name }

// SetCookies stores the cookies a response from u set, as RFC 6265 and
// the package doc say: some may be refused, and some delete cookies.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return
	}
	if len(cookies) > MaxPerResponse {
		cookies = cookies[:MaxPerResponse]
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	for _, c := range cookies {
		j.add(u, c, now, "")
	}
}

// SetCookieHeaders parses the Set-Cookie field values of a response from
// u (net/http's parser) and stores them as SetCookies does; a value that
// does not parse is skipped, as browsers and curl skip it.
func (j *Jar) SetCookieHeaders(u *url.URL, values []string) {
	cs := make([]*http.Cookie, 0, len(values))
	for _, v := range values {
		if len(cs) == MaxPerResponse {
			break
		}
		if c, err := http.ParseSetCookie(v); err == nil {
			cs = append(cs, c)
		}
	}
	j.SetCookies(u, cs)
}

// Cookies returns the cookies of the jar to send to u, in RFC 6265 order
// (longer paths first, then older first), without the fixed ones.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	return j.inner.Cookies(u)
}

// Header returns the Cookie field value for a request to u: the jar's
// cookies, then the fixed ones (as curl puts its -b string after its
// cookie engine's), or "" when there are none.
func (j *Jar) Header(u *url.URL) string {
	var b strings.Builder
	for _, c := range j.inner.Cookies(u) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		if c.Quoted {
			b.WriteString(`"` + c.Value + `"`)
		} else {
			b.WriteString(c.Value)
		}
	}
	j.mu.Lock()
	fixed := j.fixed
	j.mu.Unlock()
	for _, p := range fixed {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Name + "=" + p.Value)
	}
	return b.String()
}

// AddFixed adds cookies sent with every request whatever its URL, as curl
// sends its -b 'name=value' string; they are not written to a jar file.
// A name given again replaces the earlier value.
func (j *Jar) AddFixed(pairs []Pair) {
	j.mu.Lock()
	defer j.mu.Unlock()
next:
	for _, p := range pairs {
		for i := range j.fixed {
			if j.fixed[i].Name == p.Name {
				j.fixed[i].Value = p.Value
				continue next
			}
		}
		j.fixed = append(j.fixed, p)
	}
}

// Len returns the number of cookies the jar holds (expired ones not yet
// dropped included; fixed ones not).
func (j *Jar) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.table)
}

// Entries returns the jar's unexpired cookies, ordered by domain, path and
// name.
func (j *Jar) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	out := make([]Entry, 0, len(j.table))
	for _, e := range j.table {
		if !e.Expires.IsZero() && !e.Expires.After(now) {
			continue
		}
		out = append(out, *e)
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := &out[a], &out[b]
		if x.Domain != y.Domain {
			return x.Domain < y.Domain
		}
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		return x.Name < y.Name
	})
	return out
}

// canonicalHost is the host of u as cookiejar keys it: lowercased, no
// port, IDNA ASCII.
func canonicalHost(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if a, err := idna.Lookup.ToASCII(h); err == nil && net.ParseIP(h) == nil {
		h = a
	}
	return h
}

// hostForURL makes a URL host of a jar domain. An IPv6 address gets
// brackets and a port: cookiejar keys "[::1]:443" as "::1", as it keys a
// request to [::1]:8080, but "[::1]" with its brackets.
func hostForURL(h string) string {
	if strings.IndexByte(h, ':') >= 0 {
		return "[" + h + "]:443"
	}
	return h
}

// defaultPath is RFC 6265 §5.1.4's default-path of a request path.
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// add stores c, set by a response from u, when cookiejar accepts it.
// filePath, when not "", is the path a Netscape file gave (kept for
// writing). It reports whether c was stored or deleted a cookie. j.mu is
// held.
func (j *Jar) add(u *url.URL, c *http.Cookie, now time.Time, filePath string) bool {
	if c == nil || c.Name == "" || len(c.Name)+len(c.Value) > MaxCookieSize {
		return false
	}
	secureOrigin := u.Scheme == "https"
	if c.Secure && !secureOrigin {
		return false // RFC 6265bis §5.7 step 14; curl does the same
	}
	switch {
	case hasPrefixFold(c.Name, "__Secure-"):
		if !c.Secure {
			return false
		}
	case hasPrefixFold(c.Name, "__Host-"):
		if !c.Secure || c.Domain != "" || c.Path != "/" {
			return false
		}
	}
	remove := c.MaxAge < 0 || (c.MaxAge == 0 && !c.Expires.IsZero() && !c.Expires.After(now))

	host := canonicalHost(u)
	domain, hostOnly, spelled := host, true, host
	if c.Domain != "" && net.ParseIP(host) == nil {
		spelled = strings.TrimPrefix(c.Domain, ".")
		domain = strings.ToLower(spelled)
		if a, err := idna.Lookup.ToASCII(domain); err == nil {
			domain = a
		}
		if !strings.EqualFold(spelled, domain) {
			spelled = domain
		}
		hostOnly = false
	}
	if !isHostName(domain) {
		return false
	}
	path, explicit := c.Path, true
	if path == "" || path[0] != '/' {
		path, explicit = defaultPath(u.Path), false
	}

	// Ask cookiejar: set the cookie (alive, for a deletion) into an empty
	// jar, and look for it where it would be stored.
	probe := *c
	if remove {
		probe.MaxAge, probe.Expires = 0, time.Time{}
	}
	scratch := newInner()
	scratch.SetCookies(u, []*http.Cookie{&probe})
	found := false
	for _, got := range scratch.Cookies(&url.URL{Scheme: "https", Host: hostForURL(domain), Path: path}) {
		if got.Name == c.Name {
			found = true
		}
	}
	if !found {
		return false
	}
	if !hostOnly {
		// cookiejar keeps some domain cookies host-only (one set by a
		// public suffix for itself): ask it whether a subdomain gets it.
		hostOnly = true
		for _, got := range scratch.Cookies(&url.URL{Scheme: "https", Host: "sub." + domain, Path: path}) {
			if got.Name == c.Name {
				hostOnly = false
			}
		}
		if hostOnly {
			spelled = domain
		}
	}

	k := key(domain, path, c.Name)
	j.inner.SetCookies(u, []*http.Cookie{c})
	if remove {
		delete(j.table, k)
		return true
	}
	e := &Entry{
		Name: c.Name, Value: c.Value, Domain: domain, HostOnly: hostOnly, Path: path,
		Secure: c.Secure, HttpOnly: c.HttpOnly, fileDomain: spelled,
	}
	if c.Quoted {
		e.Value = `"` + c.Value + `"`
	}
	switch {
	case c.MaxAge > 0:
		e.Expires = now.Add(time.Duration(c.MaxAge) * time.Second).Truncate(time.Second)
	case !c.Expires.IsZero():
		e.Expires = c.Expires.Truncate(time.Second)
	}
	switch {
	case filePath != "":
		e.filePath = filePath
	case explicit || path == "/":
		e.filePath = path
	default:
		e.filePath = path + "/" // curl writes a default path with its slash
	}
	if old, ok := j.table[k]; ok {
		e.seq = old.seq
	} else {
		j.seq++
		e.seq = j.seq
	}
	j.table[k] = e
	if len(j.table) > j.max {
		j.evict(now)
	}
	return true
}

// evict drops expired cookies, then the oldest, until the jar holds at
// most j.max. j.mu is held.
func (j *Jar) evict(now time.Time) {
	for k, e := range j.table {
		if !e.Expires.IsZero() && !e.Expires.After(now) {
			j.drop(k, e)
		}
	}
	if len(j.table) <= j.max {
		return
	}
	all := make([]*Entry, 0, len(j.table))
	for _, e := range j.table {
		all = append(all, e)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].seq < all[b].seq })
	for _, e := range all[:len(all)-j.max] {
		j.drop(key(e.Domain, e.Path, e.Name), e)
	}
}

// drop deletes e from the table and from cookiejar (by setting it again,
// expired). j.mu is held.
func (j *Jar) drop(k string, e *Entry) {
	delete(j.table, k)
	c := &http.Cookie{Name: e.Name, Path: e.Path, MaxAge: -1, Secure: e.Secure}
	if !e.HostOnly {
		c.Domain = e.Domain
	}
	j.inner.SetCookies(&url.URL{Scheme: "https", Host: hostForURL(e.Domain), Path: e.Path}, []*http.Cookie{c})
}
