package fetcher

// The request's header list, built once per client: HTTP/1.1 writes it
// (appendRequestHead), HTTP/2 encodes it with HPACK (encodeRequestHead),
// and RunConfig.Verbose prints it (logRequest, from appendRequestHead),
// whatever the protocol. The list holds the fields every request sends;
// each request adds what depends on it: Host (HTTP/2's :authority), the
// Basic credentials of the URL, and with a body its Content-Length.

import (
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2/hpack"
)

// reqField is one field of the list.
type reqField struct {
	name  string // canonical, as HTTP/1.1 writes it ("User-Agent")
	value string
	creds bool // Authorization, Cookie, Proxy-Authorization: sent to the URL's own host only
	body  bool // sent with a request body only (Content-Type)
}

// reqHeaders is a client's header list, and the renderings of it that
// each request copies: made once, by newReqHeaders, from fields alone.
type reqHeaders struct {
	fields  []reqField // in the order sent
	host    string     // a Host override for the URL's own host; "" if none
	hasAuth bool       // an Authorization field is given: the URL's credentials are not sent

	// For HTTP/1.1, "Name: value\r\n" lines: the fields without body
	// (all, and those without credentials), and those with a body.
	h1, h1NoCreds, h1Body []byte
	// For HTTP/2, likewise: names lowercased (RFC 9113 8.2.1), the
	// connection-specific fields left out (8.2.2).
	h2, h2NoCreds, h2Body []hpack.HeaderField
}

// newReqHeaders builds the list of cfg: User-Agent and Accept (unless the
// user gives them or removes them), Accept-Encoding with Compressed, the
// user's fields (Headers by name, then HeaderLines), and with a body
// (body) Content-Type unless the user gives one.
func newReqHeaders(cfg *Config, body bool) (*reqHeaders, error) {
	hs, err := cfg.headerSet()
	if err != nil {
		return nil, err
	}
	h := &reqHeaders{host: hs.host, hasAuth: hs.has("Authorization")}
	if !hs.has("User-Agent") {
		ua := cfg.UserAgent
		if ua == "" {
			ua = DefaultUserAgent
		}
		h.fields = append(h.fields, reqField{name: "User-Agent", value: ua})
	}
	if !hs.has("Accept") {
		h.fields = append(h.fields, reqField{name: "Accept", value: "*/*"})
	}
	if cfg.Compressed && !hs.has("Accept-Encoding") {
		h.fields = append(h.fields, reqField{name: "Accept-Encoding", value: "gzip, deflate"})
	}
	for _, f := range hs.fields {
		h.fields = append(h.fields, reqField{name: f.name, value: f.value, creds: f.creds})
	}
	if body && !hs.has("Content-Type") {
		h.fields = append(h.fields, reqField{name: "Content-Type", value: "application/x-www-form-urlencoded", body: true})
	}
	for _, f := range h.fields {
		line := f.name + ": " + f.value + "\r\n"
		hf, h2ok := h2Field(f)
		switch {
		case f.body:
			h.h1Body = append(h.h1Body, line...)
			if h2ok {
				h.h2Body = append(h.h2Body, hf)
			}
		default:
			h.h1 = append(h.h1, line...)
			if h2ok {
				h.h2 = append(h.h2, hf)
			}
			if !f.creds {
				h.h1NoCreds = append(h.h1NoCreds, line...)
				if h2ok {
					h.h2NoCreds = append(h.h2NoCreds, hf)
				}
			}
		}
	}
	return h, nil
}

// h2Field is f as HTTP/2 sends it: the name lowercased (RFC 9113 8.2.1);
// ok is false for the connection-specific fields, which HTTP/2 does not
// send (8.2.2: TE only as "trailers").
func h2Field(f reqField) (hf hpack.HeaderField, ok bool) {
	name := strings.ToLower(f.name)
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host":
		return hf, false
	case "te":
		if !strings.EqualFold(f.value, "trailers") {
			return hf, false
		}
	}
	return hpack.HeaderField{Name: name, Value: f.value}, true
}

// authority is the Host of a request for u (HTTP/2's :authority): the
// override for the URL's own host (creds), else the URL's.
func (h *reqHeaders) authority(u *url.URL, creds bool) string {
	if creds && h.host != "" {
		return h.host
	}
	return hostHeader(u)
}

// urlAuth is the Authorization value made of u's user and password, sent
// to the URL's own host (creds) unless the list has an Authorization.
func (h *reqHeaders) urlAuth(u *url.URL, creds bool) (string, bool) {
	if !creds || u.User == nil || h.hasAuth {
		return "", false
	}
	pw, _ := u.User.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)), true
}

// appendRequestHead renders the head of req for u into b as HTTP/1.1
// writes it, with proto on the request line ("HTTP/1.1"; -v prints an
// HTTP/2 request with "HTTP/2"). Through an HTTP proxy p (nil: none) the
// target is in absolute form, with the proxy's credentials.
func (c *Client) appendRequestHead(b []byte, u *url.URL, req *request, proto string, p *proxySpec) []byte {
	h := c.hdr
	b = append(b, req.method...)
	b = append(b, ' ')
	if p != nil {
		b = append(b, u.Scheme...)
		b = append(b, "://"...)
		b = append(b, hostHeader(u)...)
	}
	b = append(b, u.RequestURI()...)
	b = append(b, ' ')
	b = append(b, proto...)
	b = append(b, "\r\n"...)
	if p != nil && p.auth != "" {
		b = append(b, "Proxy-Authorization: "...)
		b = append(b, p.auth...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Host: "...)
	b = append(b, h.authority(u, req.creds)...)
	b = append(b, "\r\n"...)
	if req.creds {
		b = append(b, h.h1...)
		if auth, ok := h.urlAuth(u, true); ok {
			b = append(b, "Authorization: "...)
			b = append(b, auth...)
			b = append(b, "\r\n"...)
		}
	} else {
		b = append(b, h.h1NoCreds...)
	}
	if req.body {
		b = append(b, h.h1Body...)
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(c.data)), 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// encodeRequestHead encodes the head of req for u, with a body of n bytes
// when req has one, as HTTP/2 sends it (RFC 9113 8.3.1): the pseudo-
// header fields, then the list in the order HTTP/1.1 writes it.
func (c *Client) encodeRequestHead(enc *hpack.Encoder, u *url.URL, req *request, n int) {
	h := c.hdr
	enc.WriteField(hpack.HeaderField{Name: ":method", Value: req.method})
	enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: u.Scheme})
	enc.WriteField(hpack.HeaderField{Name: ":authority", Value: h.authority(u, req.creds)})
	enc.WriteField(hpack.HeaderField{Name: ":path", Value: u.RequestURI()})
	fields := h.h2NoCreds
	if req.creds {
		fields = h.h2
	}
	for _, f := range fields {
		enc.WriteField(f)
	}
	if auth, ok := h.urlAuth(u, req.creds); ok {
		enc.WriteField(hpack.HeaderField{Name: "authorization", Value: auth, Sensitive: true})
	}
	if req.body {
		for _, f := range h.h2Body {
			enc.WriteField(f)
		}
		enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(n)})
	}
}

// headerField is one request header the user asked for.
type headerField struct {
	name  string // canonical
	value string
	creds bool // Authorization, Cookie, Proxy-Authorization: first host only
}

// headerSet is the request headers of a Config, checked.
type headerSet struct {
	fields []headerField // in order: Headers (sorted by name), then HeaderLines
	host   string        // a Host override; "" if none
	drop   []string      // canonical names of client headers not to send ("Name:")
}

// has reports whether the user gives the header name (canonical).
func (h *headerSet) has(name string) bool {
	return slices.ContainsFunc(h.fields, func(f headerField) bool { return f.name == name }) || slices.Contains(h.drop, name)
}

// headerSet checks Headers and HeaderLines and returns them in the order
// they are sent. Its error is a *FieldError of Headers or HeaderLines.
func (cfg Config) headerSet() (headerSet, error) {
	var hs headerSet
	field := "Headers"
	bad := func(shown, format string, a ...any) error {
		return fieldErrorf(field, strconv.Quote(shown), format, a...)
	}
	add := func(shown, name, value string) error {
		if !validToken(name) {
			return bad(shown, "header name %q is not valid (a token: letters, digits and !#$%%&'*+-.^_`|~)", name)
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return bad(shown, "the value has control bytes or a line break")
		}
		cn := http.CanonicalHeaderKey(name)
		switch cn {
		case "Host":
			if value == "" {
				return bad(shown, "an empty Host header cannot be sent")
			}
			hs.host = value
			return nil
		case "Content-Length":
			return bad(shown, "Content-Length is set by the client; use Config.Data to send a body")
		case "Transfer-Encoding":
			return bad(shown, "Transfer-Encoding is set by the client; use Config.Data to send a body, Config.Compressed for a compressed answer")
		case "Connection":
			return bad(shown, "Connection is managed by the client (it keeps connections alive and closes them itself)")
		case "Accept-Encoding":
			if !cfg.Compressed {
				return bad(shown, "use Config.Compressed, which sends Accept-Encoding and decodes the body")
			}
		}
		creds := cn == "Authorization" || cn == "Cookie" || cn == "Proxy-Authorization"
		hs.fields = append(hs.fields, headerField{cn, value, creds})
		return nil
	}
	keys := slices.Sorted(maps.Keys(cfg.Headers))
	for _, k := range keys {
		for _, v := range cfg.Headers[k] {
			if err := add(k+": "+v, k, v); err != nil {
				return hs, err
			}
		}
	}
	field = "HeaderLines"
	for _, line := range cfg.HeaderLines {
		name, value, ok := strings.Cut(line, ":")
		empty := false
		if !ok {
			// curl's "Name;" sends the header with no value.
			if n, rest, semi := strings.Cut(line, ";"); semi && strings.TrimSpace(rest) == "" {
				name, ok, empty = n, true, true
			}
		}
		if !ok {
			return hs, bad(line, "want \"Name: value\"")
		}
		name = strings.TrimSpace(name)
		value = strings.Trim(value, " \t")
		if value == "" && !empty {
			// curl's "Name:" removes a header the client would send.
			if !validToken(name) {
				return hs, bad(line, "header name %q is not valid", name)
			}
			cn := http.CanonicalHeaderKey(name)
			switch cn {
			case "Host", "Content-Length", "Transfer-Encoding", "Connection":
				return hs, bad(line, "%s is the client's to send", cn)
			}
			hs.drop = append(hs.drop, cn)
			continue
		}
		if err := add(line, name, value); err != nil {
			return hs, err
		}
	}
	return hs, nil
}
