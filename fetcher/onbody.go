package fetcher

import (
	"io"
	"net/url"
)

// BodyFunc is the type of RunConfig.OnBody: it is called once for each final
// response with a 2xx status (never for a redirect, an error page or a
// HEAD request), after its head and
// before its body, with the job, the URL that answered (after redirects)
// and its Content-Type header. The decoded body bytes are written to the
// writer it returns, as they arrive and up to Config.MaxBody (a body cut
// by the cap has delivered everything before the cut); nil means the body
// goes nowhere but its usual sinks. A write error stops the writes to that
// writer but never fails the fetch. If the writer is an io.Closer, Close
// is called when the body ends, however it ends, before the Result is
// delivered.
//
// It is called concurrently, from engine tasks and goroutines: like an
// Observer it must be quick and must never block for long, and so must
// its writer.
type BodyFunc func(job Job, finalURL *url.URL, contentType string) io.Writer

// RedirectFunc is the type of RunConfig.OnRedirect: it is called before a
// redirect from from to to is followed, and the redirect is followed only
// if it returns true. When it returns false the 3xx response is the final
// result of the fetch (its body is drained; OnBody is not called).
// It is called concurrently, like BodyFunc.
type RedirectFunc func(job Job, from, to *url.URL) bool

// CrawlInfo is what a crawl (package crawl) adds to the result of a page:
// its depth from the seeds, the page that first linked to it, and how many
// links it yielded. It is embedded in Result by pointer, so its fields
// appear in a result's JSON only in crawl mode.
type CrawlInfo struct {
	Depth  int    `json:"depth"`            // 0 for a seed
	Parent string `json:"parent,omitempty"` // the page that first linked to it; "" for a seed
	Links  int    `json:"links"`            // links the page yielded (in scope or not)
}

// bodyHook is the writer of RunConfig.OnBody for one body, which goes quiet
// after its first error.
type bodyHook struct {
	w   io.Writer
	err error
}

func (h *bodyHook) Write(p []byte) {
	if h.w == nil || h.err != nil || len(p) == 0 {
		return
	}
	_, h.err = h.w.Write(p)
}

func (h *bodyHook) close() {
	if c, ok := h.w.(io.Closer); ok {
		c.Close()
	}
}

// bodyHookFor returns the hook writer of the final response of st, or nil.
func (st *fetchState) bodyHookFor(u *url.URL, contentType string) *bodyHook {
	if st.c.cfg.OnBody == nil || st.res.Status < 200 || st.res.Status > 299 {
		return nil
	}
	w := st.c.cfg.OnBody(*st.job, u, contentType)
	if w == nil {
		return nil
	}
	return &bodyHook{w: w}
}

// followRedirect asks RunConfig.OnRedirect whether to follow a redirect.
func (st *fetchState) followRedirect(from, to *url.URL) bool {
	return st.c.cfg.OnRedirect == nil || st.c.cfg.OnRedirect(*st.job, from, to)
}
