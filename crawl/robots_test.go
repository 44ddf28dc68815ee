package crawl

import (
	"strings"
	"testing"
	"time"
)

// rfcSimple is the example of RFC 9309 section 5.1.
const rfcSimple = `User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
`

func TestRobotsRFCExamples(t *testing.T) {
	tests := []struct {
		name, robots, agent, path string
		want                      bool
	}{
		// 5.1: each bot gets its own group, others get *.
		{"5.1 foobot page", rfcSimple, "foobot", "/example/page.html", true},
		{"5.1 foobot allowed.gif", rfcSimple, "foobot", "/example/allowed.gif", true},
		{"5.1 foobot other", rfcSimple, "foobot", "/example/other.html", false},
		{"5.1 foobot root", rfcSimple, "foobot", "/", false},
		{"5.1 barbot page", rfcSimple, "barbot", "/example/page.html", false},
		{"5.1 bazbot page", rfcSimple, "bazbot", "/example/page.html", false},
		{"5.1 barbot other", rfcSimple, "barbot", "/example/other.html", true},
		{"5.1 quxbot empty group", rfcSimple, "quxbot", "/example/page.html", true},
		{"5.1 star gif", rfcSimple, "otherbot", "/a/b.gif", false},
		{"5.1 star gif not at end", rfcSimple, "otherbot", "/a/b.gif?x", true},
		{"5.1 star example", rfcSimple, "otherbot", "/example/x", false},
		{"5.1 star publications", rfcSimple, "otherbot", "/publications/x", true},
		{"5.1 case-insensitive agent", rfcSimple, "FooBot", "/example/page.html", true},
		// 5.2: the longest match wins.
		{"5.2 allow dir", "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", "foobot", "/example/page/", true},
		{"5.2 disallow longer", "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", "foobot", "/example/page/disallowed.gif", false},
		// 2.2.2: Allow on a tie.
		{"tie allow", "User-agent: *\nDisallow: /page\nAllow: /page\n", "x", "/page", true},
		{"tie allow order", "User-agent: *\nAllow: /page\nDisallow: /page\n", "x", "/page", true},
		// 2.2.3: special characters.
		{"dollar exact", "User-agent: *\nDisallow: /\nAllow: /this/path/exactly$\n", "x", "/this/path/exactly", true},
		{"dollar longer", "User-agent: *\nDisallow: /\nAllow: /this/path/exactly$\n", "x", "/this/path/exactly/more", false},
		{"star middle", "User-agent: *\nDisallow: /\nAllow: /this/*/exactly\n", "x", "/this/is/exactly", true},
		{"star middle no", "User-agent: *\nDisallow: /\nAllow: /this/*/exactly\n", "x", "/this/is/not", false},
		{"comment", "User-agent: * # all\nDisallow: /a # not /b\n", "x", "/a", false},
		{"comment rest", "User-agent: * # all\nDisallow: /a # not /b\n", "x", "/b", true},
		// 2.2.2: percent-encoding.
		{"utf8 pattern", "User-agent: *\nDisallow: /foo/bar/ツ\n", "x", "/foo/bar/%E3%83%84", false},
		{"encoded pattern", "User-agent: *\nDisallow: /foo/bar/%E3%83%84\n", "x", "/foo/bar/%e3%83%84", false},
		{"unreserved escapes", "User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "x", "/foo/bar/baz", false},
		{"query", "User-agent: *\nDisallow: /foo/bar?baz=quz\n", "x", "/foo/bar?baz=quz", false},
		// 2.2.1: groups for one agent merge; * only without a match.
		{"merge groups 1", "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", "examplebot", "/baz", false},
		{"merge groups 2", "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", "examplebot", "/foo", false},
		{"own group beats star", "User-agent: *\nDisallow: /\n\nUser-agent: greenfetch\nAllow: /\n", "greenfetch", "/x", true},
		{"no group no star", "User-agent: other\nDisallow: /\n", "greenfetch", "/x", true},
		{"empty disallow", "User-agent: *\nDisallow:\n", "x", "/x", true},
		{"robots.txt always", "User-agent: *\nDisallow: /\n", "x", "/robots.txt", true},
		{"rule before group ignored", "Disallow: /\nUser-agent: *\nAllow: /x\n", "x", "/y", true},
		{"crlf and cr", "User-agent: *\r\nDisallow: /a\rDisallow: /b\r\n", "x", "/b", false},
		{"bom", "\xef\xbb\xbfUser-agent: *\nDisallow: /a\n", "x", "/a", false},
		{"unknown lines keep group", "User-agent: a\nFoo: bar\nUser-agent: b\nDisallow: /z\n", "a", "/z", false},
		{"missing slash", "User-agent: *\nDisallow: private\n", "x", "/private", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := ParseRobots(strings.NewReader(tt.robots), tt.agent)
			if err != nil {
				t.Fatal(err)
			}
			if got := rb.Allowed(tt.path); got != tt.want {
				t.Errorf("Allowed(%q) for %q = %v; want %v", tt.path, tt.agent, got, tt.want)
			}
		})
	}
}

func TestRobotsCrawlDelayAndSitemaps(t *testing.T) {
	tests := []struct {
		name, robots string
		delay        time.Duration
		sitemaps     int
	}{
		{"plain", "User-agent: *\nCrawl-delay: 1.5\nSitemap: http://h/s.xml\n", 1500 * time.Millisecond, 1},
		{"capped", "User-agent: *\nCrawl-delay: 3600\n", MaxCrawlDelay, 0},
		{"negative ignored", "User-agent: *\nCrawl-delay: -1\n", 0, 0},
		{"junk ignored", "User-agent: *\nCrawl-delay: soon\n", 0, 0},
		{"other group", "User-agent: other\nCrawl-delay: 5\n", 0, 0},
		{"sitemap outside groups", "Sitemap: http://h/a.xml\nUser-agent: x\nSitemap: http://h/b.xml\n", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := ParseRobots(strings.NewReader(tt.robots), "greenfetch")
			if err != nil {
				t.Fatal(err)
			}
			if rb.CrawlDelay != tt.delay || len(rb.Sitemaps) != tt.sitemaps {
				t.Errorf("got delay %v, %d sitemaps; want %v, %d", rb.CrawlDelay, len(rb.Sitemaps), tt.delay, tt.sitemaps)
			}
		})
	}
}

// TestRobotsSizeCap: rules past 500 KiB are not read; an overlong line
// does not end the parse.
func TestRobotsSizeCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("User-agent: *\nDisallow: /early\n")
	for b.Len() < MaxRobotsSize {
		b.WriteString("# padding padding padding padding padding padding\n")
	}
	b.WriteString("Disallow: /late\n")
	rb, err := ParseRobots(strings.NewReader(b.String()), "x")
	if err != nil {
		t.Fatal(err)
	}
	if rb.Allowed("/early") || !rb.Allowed("/late") {
		t.Errorf("early allowed %v, late allowed %v; want false, true", rb.Allowed("/early"), rb.Allowed("/late"))
	}
	long := "User-agent: *\nDisallow: /" + strings.Repeat("a", 100<<10) + "\nDisallow: /b\n"
	rb, err = ParseRobots(strings.NewReader(long), "x")
	if err != nil {
		t.Fatal(err)
	}
	if rb.Allowed("/b") {
		t.Error("a rule after an overlong line was lost")
	}
}

func TestProductToken(t *testing.T) {
	for in, want := range map[string]string{"greenfetch/0.1": "greenfetch", "Bot": "Bot", "a b/1": "a", "": ""} {
		if got := ProductToken(in); got != want {
			t.Errorf("ProductToken(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"/", "/anything", true},
		{"/a*", "/a", true},
		{"/*.php$", "/x/y.php", true},
		{"/*.php$", "/x/y.php5", false},
		{"/*.php", "/x/y.php5", true},
		{"/a*b*c$", "/aXbYc", true},
		{"/a*b*c$", "/aXbYcZ", false},
		{"/a*bc$", "/abc", true},
		{"/a*c*c$", "/ac", false},
		{"/$", "/", true},
		{"/$", "/x", false},
		{"*", "/x", true},
		{"/fish*", "/Fish", false},
	}
	for _, tt := range tests {
		t.Run(tt.pat+" "+tt.s, func(t *testing.T) {
			if got := matchPattern(normalizePattern(tt.pat), tt.s); got != tt.want {
				t.Errorf("matchPattern(%q, %q) = %v; want %v", tt.pat, tt.s, got, tt.want)
			}
		})
	}
}

// FuzzRobots: any input parses and Allowed never panics; a file of only
// Allow rules allows everything; an exact "Allow: path$" added to any
// file allows that path (it is the longest match, or ties and wins).
func FuzzRobots(f *testing.F) {
	f.Add(rfcSimple, "/example/page.html")
	f.Add("User-agent: *\nDisallow: /*$*$\n", "/a$")
	f.Add("User-agent: *\nAllow: /%\nDisallow: /%zz\n", "/%zz")
	f.Add("User-agent:\nuser-agent: *\n\ndisallow: /\r\nallow: /*.html$", "/x.html")
	f.Fuzz(func(t *testing.T, robots, path string) {
		rb, err := ParseRobots(strings.NewReader(robots), "greenfetch")
		if err != nil {
			t.Fatal(err)
		}
		rb.Allowed(path)
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "*$") {
			return
		}
		onlyAllow := &Robots{}
		for _, r := range rb.rules {
			onlyAllow.rules = append(onlyAllow.rules, robotsRule{allow: true, pattern: r.pattern})
		}
		if !onlyAllow.Allowed(path) {
			t.Errorf("only Allow rules, yet %q is disallowed", path)
		}
		rb.rules = append(rb.rules, robotsRule{allow: true, pattern: normalizeEscapes(path, true) + "$"})
		if !rb.Allowed(path) {
			t.Errorf("an exact Allow of %q does not win", path)
		}
	})
}
