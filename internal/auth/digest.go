package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// MaxRetries is how many times a client resends one request because of
// Digest answers: once after the first challenge, and once more when the
// server says the nonce was stale. A server that keeps asking past that
// (one that lies about stale nonces) gets its 401 reported.
const MaxRetries = 2

// algorithm is a Digest hash of RFC 7616 §3.2 (or MD5 of RFC 2617).
type algorithm struct {
	name     string // as the challenge spells it, canonical case
	strength int
	new      func() hash.Hash
	sess     bool
}

// algorithms we answer, by lowercased name.
var algorithms = map[string]algorithm{
	"md5":              {"MD5", 1, md5.New, false},
	"md5-sess":         {"MD5-sess", 1, md5.New, true},
	"sha-256":          {"SHA-256", 2, sha256.New, false},
	"sha-256-sess":     {"SHA-256-sess", 2, sha256.New, true},
	"sha-512-256":      {"SHA-512-256", 3, sha512.New512_256, false},
	"sha-512-256-sess": {"SHA-512-256-sess", 3, sha512.New512_256, true},
}

// DigestError is a 401 whose Digest challenges this client cannot answer.
type DigestError struct{ Msg string }

func (e *DigestError) Error() string { return "Digest authentication: " + e.Msg }

// digestChallenge is the challenge a Digest answers, chosen from a 401.
type digestChallenge struct {
	alg       algorithm
	algGiven  bool // the challenge named its algorithm (echoed back then)
	realm     string
	nonce     string
	opaque    string
	hasOpaque bool
	qop       string // "auth", or "" for RFC 2069 (no qop offered)
	userhash  bool
}

// Digest answers HTTP Digest challenges (RFC 7616; RFC 2617 and RFC 2069
// servers too) for one user on one host or protection space. It is safe
// for concurrent use: requests sent at once each get their own nonce
// count.
//
// Use: send the request without credentials (or with Authorization when
// Authorization has a value); on a 401, pass its WWW-Authenticate fields
// to Challenge, and resend while it says to, at most MaxRetries times.
type Digest struct {
	Username string
	Password string

	// CNonce makes a client nonce. If nil, 16 bytes from crypto/rand, in
	// hex. Tests set it to replay the RFC's examples.
	CNonce func() (string, error)

	mu   sync.Mutex
	ch   *digestChallenge
	nc   uint32 // requests sent with ch.nonce
	sent bool   // an Authorization was made since ch was taken
}

// Challenge takes the WWW-Authenticate field values of a 401 and picks,
// among its Digest challenges, the strongest this client answers
// (SHA-512-256, then SHA-256, then MD5; a -sess variant as strong as its
// hash; a challenge offering qop must offer "auth"). It reports whether
// resending the request may succeed: yes for the first challenge, and
// for one that says stale=true (the nonce expired, the credentials were
// right); no for a fresh challenge after credentials were sent, which
// means they were wrong. The error says why no challenge could be
// answered.
func (d *Digest) Challenge(fields []string) (retry bool, err error) {
	cs, perr := ParseChallenges(fields...)
	var best *digestChallenge
	var refused []string
	for _, c := range cs {
		if !c.Is("Digest") || c.Params == nil {
			continue
		}
		dc, why := pickDigest(c)
		if dc == nil {
			refused = append(refused, why)
			continue
		}
		if best == nil || dc.alg.strength > best.alg.strength {
			best = dc
		}
	}
	if best == nil {
		switch {
		case len(refused) > 0:
			return false, &DigestError{Msg: strings.Join(refused, "; ")}
		case perr != nil:
			return false, &DigestError{Msg: perr.Error()}
		}
		return false, &DigestError{Msg: "the server offers no Digest challenge"}
	}
	stale := false
	for _, c := range cs {
		if c.Is("Digest") && strings.EqualFold(c.Params["stale"], "true") {
			stale = true
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	retry = !d.sent || stale
	if d.ch == nil || d.ch.nonce != best.nonce {
		d.nc = 0
	}
	d.ch = best
	d.sent = false
	return retry, nil
}

// pickDigest reads a Digest challenge, or says why it cannot be answered.
func pickDigest(c Challenge) (*digestChallenge, string) {
	p := c.Params
	nonce, ok := p["nonce"]
	if !ok {
		return nil, "a challenge without a nonce"
	}
	realm, ok := p["realm"]
	if !ok {
		return nil, "a challenge without a realm"
	}
	dc := &digestChallenge{realm: realm, nonce: nonce}
	dc.opaque, dc.hasOpaque = p["opaque"]
	name, given := p["algorithm"]
	if !given {
		name = "MD5"
	}
	alg, ok := algorithms[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Sprintf("algorithm %q is not supported", name)
	}
	dc.alg, dc.algGiven = alg, given
	if qops, ok := p["qop"]; ok {
		for _, q := range strings.Split(qops, ",") {
			if strings.EqualFold(strings.TrimSpace(q), "auth") {
				dc.qop = "auth"
			}
		}
		if dc.qop == "" {
			return nil, fmt.Sprintf("qop %q is not supported (only auth)", qops)
		}
	}
	dc.userhash = strings.EqualFold(p["userhash"], "true")
	return dc, ""
}

// Authorization returns the Authorization field value for a request of
// method to uri (the request-target as sent: "/dir/index.html?q=1"), and
// false before any challenge was taken. Each call counts a request on the
// nonce (nc).
func (d *Digest) Authorization(method, uri string) (string, bool, error) {
	d.mu.Lock()
	ch := d.ch
	if ch == nil {
		d.mu.Unlock()
		return "", false, nil
	}
	d.nc++
	nc := d.nc
	d.sent = true
	d.mu.Unlock()

	cnonce := ""
	if ch.qop != "" || ch.alg.sess {
		var err error
		if cnonce, err = d.cnonce(); err != nil {
			return "", false, &DigestError{Msg: "making a client nonce: " + err.Error()}
		}
	}
	return d.header(ch, method, uri, nc, cnonce), true, nil
}

func (d *Digest) cnonce() (string, error) {
	if d.CNonce != nil {
		return d.CNonce()
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// header computes the response (RFC 7616 §3.4.1) and writes the field.
func (d *Digest) header(ch *digestChallenge, method, uri string, nc uint32, cnonce string) string {
	h := func(s string) string {
		x := ch.alg.new()
		x.Write([]byte(s))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(d.Username + ":" + ch.realm + ":" + d.Password)
	if ch.alg.sess {
		ha1 = h(ha1 + ":" + ch.nonce + ":" + cnonce)
	}
	ha2 := h(method + ":" + uri)
	ncs := fmt.Sprintf("%08x", nc)
	var response string
	if ch.qop != "" {
		response = h(ha1 + ":" + ch.nonce + ":" + ncs + ":" + cnonce + ":" + ch.qop + ":" + ha2)
	} else {
		response = h(ha1 + ":" + ch.nonce + ":" + ha2) // RFC 2069
	}
	user := d.Username
	if ch.userhash {
		user = h(d.Username + ":" + ch.realm)
	}

	b := paramWriter{}
	b.WriteString("Digest ")
	b.param("username", user, true)
	b.param("realm", ch.realm, true)
	b.param("nonce", ch.nonce, true)
	b.param("uri", uri, true)
	if ch.algGiven {
		b.param("algorithm", ch.alg.name, false)
	}
	b.param("response", response, true)
	if ch.hasOpaque {
		b.param("opaque", ch.opaque, true)
	}
	if ch.qop != "" {
		b.param("qop", ch.qop, false)
		b.param("nc", ncs, false)
		b.param("cnonce", cnonce, true)
	} else if ch.alg.sess {
		b.param("cnonce", cnonce, true)
	}
	if ch.userhash {
		b.param("userhash", "true", false)
	}
	return b.String()
}

// paramWriter writes auth-params, comma-separated.
type paramWriter struct {
	strings.Builder
	n int
}

// param appends name=value, quoted (with backslash escapes) when quote is
// set.
func (b *paramWriter) param(name, value string, quote bool) {
	if b.n > 0 {
		b.WriteString(", ")
	}
	b.n++
	b.WriteString(name)
	b.WriteByte('=')
	if !quote {
		b.WriteString(value)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
}
