package fetcher

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// logRequest writes the request head in buf (CRLF lines, as sent) to
// RunConfig.Verbose, as curl -v does: "* URL", then each line after "> ",
// credentials masked. One Write per head.
func (c *Client) logRequest(url string, head []byte) {
	if c.cfg.Verbose == nil {
		return
	}
	var b bytes.Buffer
	b.WriteString("* ")
	b.WriteString(url)
	b.WriteByte('\n')
	for _, line := range strings.SplitAfter(strings.TrimSuffix(string(head), "\r\n"), "\r\n") {
		line = strings.TrimSuffix(line, "\r\n")
		b.WriteString("> ")
		b.WriteString(maskHeaderLine(line))
		b.WriteByte('\n')
	}
	c.writeVerbose(b.Bytes())
}

// logResponse writes the head of resp to RunConfig.Verbose, as curl -v does:
// "* URL", then the status line and the header fields (sorted by name)
// after "< ", then "< " alone. One Write per head.
func (c *Client) logResponse(url string, resp *http.Response) {
	if c.cfg.Verbose == nil {
		return
	}
	var b bytes.Buffer
	b.WriteString("* ")
	b.WriteString(url)
	b.WriteByte('\n')
	b.WriteString("< ")
	b.WriteString(resp.Proto)
	b.WriteByte(' ')
	b.WriteString(resp.Status)
	b.WriteByte('\n')
	keys := slices.Sorted(maps.Keys(resp.Header))
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			b.WriteString("< ")
			b.WriteString(maskHeaderLine(k + ": " + v))
			b.WriteByte('\n')
		}
	}
	b.WriteString("<\n")
	c.writeVerbose(b.Bytes())
}

// writeVerbose writes p to RunConfig.Verbose in one Write, one head at a
// time.
func (c *Client) writeVerbose(p []byte) {
	c.verboseMu.Lock()
	defer c.verboseMu.Unlock()
	c.cfg.Verbose.Write(p)
}

// maskHeaderLine masks credentials in a header line: the value of
// Authorization and Proxy-Authorization after its scheme, and passwords
// in URLs (a Location, say).
func maskHeaderLine(line string) string {
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return MaskURL(line)
	}
	switch http.CanonicalHeaderKey(strings.TrimSpace(name)) {
	case "Authorization", "Proxy-Authorization":
		value = strings.TrimSpace(value)
		if scheme, _, ok := strings.Cut(value, " "); ok {
			return name + ": " + scheme + " ***"
		}
		return name + ": ***"
	}
	return MaskURL(line)
}
