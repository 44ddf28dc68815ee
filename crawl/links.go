package crawl

import (
	"errors"
	"io"
	"iter"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Limits of the link extractor.
const (
	// MaxLinksPerPage is the default bound of the links taken from one
	// page (LinkExtractor.MaxLinks, Config.MaxLinksPerPage,
	// --max-links-per-page): well above real index pages (the Python
	// docs' genindex-all has 17,242 links). The rest of the page is still
	// read; the links past the bound are counted (Capped).
	MaxLinksPerPage = 100000
	// MaxURLLength bounds a link's length (its href, and the URL it
	// resolves to); a longer one is skipped. With MaxLinksPerPage it bounds
	// what one page can make the crawler hold.
	MaxURLLength = 4096
	// maxTokenBytes bounds one HTML token (a tag and its attributes) the
	// tokenizer may buffer; a longer one ends the extraction of the page.
	maxTokenBytes = 256 << 10
)

// IsHTML reports whether a Content-Type header names HTML (text/html or
// application/xhtml+xml), the only bodies links are taken from.
func IsHTML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
		mt = strings.TrimSpace(mt)
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// LinkExtractor takes the links of an HTML page from its body, written to
// it as it streams in, with golang.org/x/net/html's tokenizer: never the
// whole page in memory and never a DOM. It takes a[href], area[href] and
// link[href] with rel alternate, next or prev; resolves them against the
// first <base href> and the page's URL; drops fragments; skips links with
// rel=nofollow, every link when <meta name=robots> says nofollow, and
// schemes other than http and https. Links are returned absolute, by
// Links after Close. Write never fails, so a body cut short (by a cap or
// an error) still yields the links read so far.
//
// The tokenizer runs as a coroutine (iter.Pull) of the goroutine that
// writes: each Write hands it the bytes and runs it until it has taken
// them all, so the tokenizing is done when Write returns, on the writer's
// own thread, with no goroutine to wake and nothing buffered beyond the
// tokenizer's own token buffer. Write and Close must be called from one
// goroutine at a time (as fetcher.Config.OnBody's writer is), and Close
// exactly once or more; Links, Skipped and Err after Close, from any
// goroutine that Close happens before.
type LinkExtractor struct {
	// MaxLinks bounds the links taken; set it before the first Write.
	// If zero, MaxLinksPerPage.
	MaxLinks int

	page *url.URL

	next     func() (struct{}, bool)
	stop     func()
	yield    func(struct{}) bool
	in       []byte // bytes given by Write, not yet taken by the tokenizer
	eof      bool
	closed   bool
	finished bool // the tokenizer returned

	links    []*url.URL
	skipped  int // links over MaxLinks or MaxURLLength
	capped   int // of skipped, those over MaxLinks
	base     *url.URL
	nofollow bool
	err      error
}

// NewLinkExtractor returns an extractor for the page whose final URL (after
// redirects) is page.
func NewLinkExtractor(page *url.URL) *LinkExtractor {
	e := &LinkExtractor{page: page}
	e.next, e.stop = iter.Pull(func(yield func(struct{}) bool) {
		e.yield = yield
		e.extract(readerFunc(e.read))
		e.finished = true
	})
	return e
}

// Write hands body bytes to the tokenizer and runs it over them. It never
// fails.
func (e *LinkExtractor) Write(p []byte) (int, error) {
	if e.closed || e.finished || len(p) == 0 {
		return len(p), nil
	}
	e.in = p // taken (copied into the tokenizer's buffer) before next returns
	e.next()
	e.in = nil
	return len(p), nil
}

// Close ends the body: the tokenizer reads to the end of what it was given.
// It always returns nil (it is an io.Closer for fetcher.Config.OnBody) and
// may be called more than once.
func (e *LinkExtractor) Close() error {
	if e.closed {
		return nil
	}
	e.closed, e.eof = true, true
	if !e.finished {
		e.next()
	}
	e.stop()
	return nil
}

// Links returns the links found: none when the page said nofollow in a
// robots meta tag. Call it after Close.
func (e *LinkExtractor) Links() []*url.URL {
	if e.nofollow {
		return nil
	}
	return e.links
}

// Skipped returns how many links were skipped for the bounds
// (MaxLinksPerPage, MaxURLLength); 0 after a robots nofollow, which skips
// everything on purpose. Call it after Close.
func (e *LinkExtractor) Skipped() int {
	if e.nofollow {
		return 0
	}
	return e.skipped
}

// Capped returns how many of the links Skipped counts were past
// MaxLinks; 0 after a robots nofollow. Call it after Close.
func (e *LinkExtractor) Capped() int {
	if e.nofollow {
		return 0
	}
	return e.capped
}

// Err returns why the tokenizer stopped before the end of the body (a
// token over the size bound); nil when it read everything. Call it after
// Close.
func (e *LinkExtractor) Err() error { return e.err }

// read is the tokenizer's reader: what Write gave, and when that is taken,
// a switch back to the writer for more (or io.EOF after Close).
func (e *LinkExtractor) read(p []byte) (int, error) {
	for len(e.in) == 0 {
		if e.eof || !e.yield(struct{}{}) {
			return 0, io.EOF
		}
	}
	n := copy(p, e.in)
	e.in = e.in[n:]
	return n, nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

var errTokenTooLong = errors.New("an HTML token longer than 256 KiB")

// extract runs the tokenizer over r to its end.
func (e *LinkExtractor) extract(r io.Reader) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxTokenBytes)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				if errors.Is(err, html.ErrBufferExceeded) {
					err = errTokenTooLong
				}
				e.err = err
			}
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			// TagName copies the name: look at the raw bytes first, and
			// only for the few tags that matter ask the tokenizer.
			if !linkTag(z.Raw()) {
				continue
			}
			name, hasAttr := z.TagName()
			if !hasAttr {
				continue
			}
			switch string(name) {
			case "a", "area", "link", "base", "meta":
				e.tag(string(name), z)
			}
		}
	}
}

// linkTag reports whether the raw start tag raw ("<A href=...>") may be
// one of a, area, link, base or meta, ASCII case-insensitively.
func linkTag(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '<' {
		return true // let the tokenizer decide
	}
	end := 1
	for end < len(raw) {
		switch raw[end] {
		case ' ', '\t', '\n', '\r', '\f', '/', '>':
			goto done
		}
		end++
	}
done:
	name := raw[1:end]
	switch len(name) {
	case 1:
		return name[0]|0x20 == 'a'
	case 4:
		return asciiEqualFold(name, "area") || asciiEqualFold(name, "link") || asciiEqualFold(name, "base") || asciiEqualFold(name, "meta")
	}
	return false
}

func asciiEqualFold(b []byte, lower string) bool {
	for i := range b {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// tag handles one tag that may carry a link.
func (e *LinkExtractor) tag(name string, z *html.Tokenizer) {
	var href, rel, metaName, content string
	hasHref := false
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "href":
			if !hasHref {
				href, hasHref = string(v), true
			}
		case "rel":
			rel = string(v)
		case "name":
			metaName = string(v)
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	switch name {
	case "meta":
		if strings.EqualFold(strings.TrimSpace(metaName), "robots") && hasToken(content, "nofollow", ",") {
			e.nofollow = true
		}
		if strings.EqualFold(strings.TrimSpace(metaName), "robots") && hasToken(content, "none", ",") {
			e.nofollow = true
		}
		return
	case "base":
		if e.base == nil && hasHref {
			if u, err := e.page.Parse(cleanHref(href)); err == nil {
				e.base = u
			}
		}
		return
	case "link":
		if !hasToken(rel, "alternate", " ") && !hasToken(rel, "next", " ") && !hasToken(rel, "prev", " ") {
			return
		}
	}
	if !hasHref || hasToken(rel, "nofollow", " ") {
		return
	}
	limit := e.MaxLinks
	if limit <= 0 {
		limit = MaxLinksPerPage
	}
	if len(e.links) >= limit {
		e.skipped++
		e.capped++
		return
	}
	if len(href) > MaxURLLength {
		e.skipped++
		return
	}
	base := e.base
	if base == nil {
		base = e.page
	}
	href = cleanHref(href)
	if href == "" {
		return
	}
	u, err := base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return
	}
	u.Fragment, u.RawFragment = "", ""
	if len(u.Host)+len(u.Path)+len(u.RawPath)+len(u.RawQuery) > MaxURLLength {
		e.skipped++
		return
	}
	e.links = append(e.links, u)
}

// cleanHref strips what a browser strips from a URL attribute: leading
// and trailing ASCII whitespace and C0 controls, and tabs and newlines
// anywhere (WHATWG URL parsing).
func cleanHref(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	return s
}

// hasToken reports whether list, split on any of seps and spaces, holds
// tok (ASCII case-insensitively).
func hasToken(list, tok, seps string) bool {
	for _, f := range strings.FieldsFunc(list, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || strings.ContainsRune(seps, r)
	}) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// ExtractLinks returns the links of a whole HTML page read from r, as a
// LinkExtractor would yield them.
func ExtractLinks(page *url.URL, r io.Reader) []*url.URL {
	e := &LinkExtractor{page: page}
	e.extract(r)
	return e.Links()
}
