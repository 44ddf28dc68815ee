package crawl

import (
	"errors"
	"io"
	"mime"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/net/html"
)

// Limits of the link extractor.
const (
	// MaxLinksPerPage bounds the links taken from one page; the rest of
	// the page is still read but yields nothing more.
	MaxLinksPerPage = 10000
	// MaxURLLength bounds a link's length (its href, and the URL it
	// resolves to); a longer one is skipped. With MaxLinksPerPage it bounds
	// what one page can make the crawler hold.
	MaxURLLength = 4096
	// maxTokenBytes bounds one HTML token (a tag and its attributes) the
	// tokenizer may buffer; a longer one ends the extraction of the page.
	maxTokenBytes = 256 << 10
	// maxPending bounds the body bytes written and not yet tokenized.
	maxPending = 256 << 10
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
// Close. Write never fails, so a body cut short (by a cap or an error)
// still yields the links read so far.
//
// It runs the tokenizer on a goroutine of its own, fed through a bounded
// buffer: Write waits only when that goroutine is maxPending bytes behind.
// Close must be called once, and ends the goroutine.
type LinkExtractor struct {
	page *url.URL

	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte // written, not yet read by the tokenizer
	closed  bool   // no more writes
	stopped bool   // the tokenizer ended: writes are dropped
	done    chan struct{}

	// Owned by the tokenizer goroutine until done is closed.
	links    []*url.URL
	skipped  int // links over MaxLinksPerPage or MaxURLLength
	base     *url.URL
	nofollow bool
	err      error
}

// NewLinkExtractor returns an extractor for the page whose final URL (after
// redirects) is page.
func NewLinkExtractor(page *url.URL) *LinkExtractor {
	e := &LinkExtractor{page: page, done: make(chan struct{})}
	e.cond.L = &e.mu
	go e.run()
	return e
}

// Write hands body bytes to the tokenizer. It never fails.
func (e *LinkExtractor) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.buf) >= maxPending && !e.stopped {
		e.cond.Wait()
	}
	if !e.stopped && !e.closed {
		e.buf = append(e.buf, p...)
		e.cond.Broadcast()
	}
	return len(p), nil
}

// Close ends the body. It does not wait for the tokenizer (Links and Err
// do), so that a hub task closing it never waits on another goroutine's
// work. It always returns nil (it is an io.Closer for
// fetcher.Config.OnBody) and may be called more than once.
func (e *LinkExtractor) Close() error {
	e.mu.Lock()
	e.closed = true
	e.cond.Broadcast()
	e.mu.Unlock()
	return nil
}

// Links waits for the tokenizer to finish the body and returns the links
// found: none when the page said nofollow in a robots meta tag. Call it
// after Close.
func (e *LinkExtractor) Links() []*url.URL {
	<-e.done
	if e.nofollow {
		return nil
	}
	return e.links
}

// Skipped waits for the tokenizer and returns how many links were
// skipped for the bounds (MaxLinksPerPage, MaxURLLength); 0 after a robots
// nofollow, which skips everything on purpose. Call it after Close.
func (e *LinkExtractor) Skipped() int {
	<-e.done
	if e.nofollow {
		return 0
	}
	return e.skipped
}

// Err waits for the tokenizer and returns why it stopped before the end
// of the body (a token over the size bound); nil when it read everything.
// Call it after Close.
func (e *LinkExtractor) Err() error {
	<-e.done
	return e.err
}

// Read is the tokenizer's side of the buffer.
func (e *LinkExtractor) read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.buf) == 0 && !e.closed {
		e.cond.Wait()
	}
	if len(e.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	if len(e.buf) == 0 {
		e.buf = e.buf[:0:0] // let the backing array go between writes
	}
	e.cond.Broadcast()
	return n, nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

var errTokenTooLong = errors.New("an HTML token longer than 256 KiB")

func (e *LinkExtractor) run() {
	defer func() {
		e.mu.Lock()
		e.stopped = true
		e.buf = nil
		e.cond.Broadcast()
		e.mu.Unlock()
		close(e.done)
	}()
	e.extract(readerFunc(e.read))
}

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
	if len(e.links) >= MaxLinksPerPage || len(href) > MaxURLLength {
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
	e := &LinkExtractor{page: page, done: make(chan struct{})}
	e.extract(r)
	close(e.done)
	return e.Links()
}
