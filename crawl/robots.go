package crawl

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// Robots limits of RFC 9309 and of this crawler.
const (
	// MaxRobotsSize is how much of a robots.txt is parsed: RFC 9309 2.5
	// asks for at least 500 KiB; what follows is ignored.
	MaxRobotsSize = 500 << 10
	// MaxCrawlDelay caps a Crawl-delay: a site asking for more gets 10s
	// between request starts, not a crawl that never ends.
	MaxCrawlDelay = 10 * time.Second
	// MaxRobotsRedirects is how many redirects a robots.txt fetch follows
	// (RFC 9309 2.3.1.2: at least five).
	MaxRobotsRedirects = 5
	// RobotsRetryAfter is how long a robots.txt that failed with a 5xx or
	// could not be reached keeps its origin disallowed before it is
	// fetched again (RFC 9309 2.3.1.4).
	RobotsRetryAfter = 5 * time.Minute
)

// Robots is a parsed robots.txt, reduced to the rules of one user agent
// (RFC 9309): the groups naming its product token, or if none does the
// groups of "*", merged. The zero value allows everything.
type Robots struct {
	rules      []robotsRule
	CrawlDelay time.Duration // the group's Crawl-delay, capped at MaxCrawlDelay; 0 if none
	Sitemaps   []string      // every Sitemap line of the file, whatever the group
}

type robotsRule struct {
	allow   bool
	pattern string // percent-encoding normalized; '*' wildcards; a final '$' anchors
}

// ProductToken returns the token robots.txt groups are matched against:
// the user agent up to its first '/' or space ("greenfetch/0.1" gives
// "greenfetch").
func ProductToken(userAgent string) string {
	if i := strings.IndexAny(userAgent, "/ "); i >= 0 {
		userAgent = userAgent[:i]
	}
	return userAgent
}

// ParseRobots parses a robots.txt body for the product token agent (case
// insensitive; see ProductToken). It reads at most MaxRobotsSize bytes of
// r; lines it does not understand are ignored, as RFC 9309 asks, so every
// input parses.
func ParseRobots(r io.Reader, agent string) (*Robots, error) {
	agent = strings.ToLower(agent)
	sc := bufio.NewScanner(io.LimitReader(r, MaxRobotsSize))
	sc.Buffer(make([]byte, 0, 4096), MaxRobotsSize+1)
	sc.Split(scanRobotsLines)
	type group struct {
		agents []string
		rules  []robotsRule
		delay  time.Duration
		hasDly bool
	}
	var (
		groups   []*group
		cur      *group
		inAgents bool // the last meaningful line was a user-agent line
		rb       Robots
	)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			first = false
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(string(bytes.TrimSpace(k)))
		val := string(bytes.TrimSpace(v))
		switch key {
		case "user-agent", "useragent", "user agent":
			if !inAgents || cur == nil {
				cur = &group{}
				groups = append(groups, cur)
			}
			inAgents = true
			cur.agents = append(cur.agents, strings.ToLower(val))
		case "allow", "disallow":
			inAgents = false
			if cur == nil || val == "" {
				continue // a rule outside a group, or "Disallow:" (nothing)
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: normalizePattern(val)})
		case "crawl-delay":
			inAgents = false
			if cur == nil {
				continue
			}
			if f, err := strconv.ParseFloat(val, 64); err == nil && f >= 0 && f < 1e9 {
				cur.delay = min(time.Duration(f*float64(time.Second)), MaxCrawlDelay)
				cur.hasDly = true
			}
		case "sitemap":
			if val != "" && len(rb.Sitemaps) < maxSitemapsPerRobots {
				rb.Sitemaps = append(rb.Sitemaps, val)
			}
		default:
			// Other records do not end a run of user-agent lines
			// (RFC 9309 2.2.1 lets crawlers ignore them).
		}
	}
	if err := sc.Err(); err != nil && err != bufio.ErrTooLong {
		return nil, err
	}
	pick := func(match func(string) bool) bool {
		found := false
		for _, g := range groups {
			for _, a := range g.agents {
				if match(a) {
					found = true
					rb.rules = append(rb.rules, g.rules...)
					if g.hasDly {
						rb.CrawlDelay = max(rb.CrawlDelay, g.delay)
					}
					break
				}
			}
		}
		return found
	}
	if agent == "" || !pick(func(a string) bool { return a == agent }) {
		pick(func(a string) bool { return a == "*" })
	}
	return &rb, nil
}

// maxSitemapsPerRobots bounds the Sitemap lines kept from one robots.txt.
const maxSitemapsPerRobots = 50

// scanRobotsLines splits on LF, CR or CRLF (RFC 9309 2.2: EOL), and cuts a
// line longer than the buffer rather than failing.
func scanRobotsLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // a CRLF may be split
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	if len(data) >= 64<<10 { // an overlong line: take it as it is
		return len(data), data, nil
	}
	return 0, nil, nil
}

// normalizePattern normalizes the percent-encoding of a rule's path, as
// the URL paths it is matched against are (RFC 9309 2.2.2), keeping '*'
// and '$'.
func normalizePattern(p string) string {
	if p == "" || p[0] != '/' && p[0] != '*' {
		p = "/" + p
	}
	return normalizeEscapes(p, true)
}

// Allowed reports whether the path and query of a URL (its escaped
// "/path?query", as Normalize spells it) may be fetched: the rule with the
// longest pattern that matches decides, Allow winning a tie; no rule means
// allowed. "/robots.txt" is always allowed.
func (rb *Robots) Allowed(pathQuery string) bool {
	if rb == nil || len(rb.rules) == 0 || pathQuery == "/robots.txt" {
		return true
	}
	pathQuery = normalizeEscapes(pathQuery, true)
	best, allow := -1, true
	for _, r := range rb.rules {
		if len(r.pattern) < best || (len(r.pattern) == best && allow) {
			continue
		}
		if matchPattern(r.pattern, pathQuery) {
			if len(r.pattern) > best || r.allow {
				allow = r.allow
			}
			best = len(r.pattern)
		}
	}
	return allow
}

// matchPattern matches a rule pattern ('*' any run of bytes, a final '$'
// the end) against the start of s, in linear time: each '*' segment is
// taken at its leftmost occurrence, which is enough for a pattern whose
// only operator is '*'.
func matchPattern(pat, s string) bool {
	anchored := strings.HasSuffix(pat, "$")
	if anchored {
		pat = pat[:len(pat)-1]
	}
	segs := strings.Split(pat, "*")
	if !strings.HasPrefix(s, segs[0]) {
		return false
	}
	if len(segs) == 1 {
		return !anchored || len(s) == len(segs[0])
	}
	pos := len(segs[0])
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s[pos:], seg)
		if i < 0 {
			return false
		}
		pos += i + len(seg)
	}
	last := segs[len(segs)-1]
	if anchored {
		return len(s)-pos >= len(last) && strings.HasSuffix(s, last)
	}
	return strings.Contains(s[pos:], last)
}
