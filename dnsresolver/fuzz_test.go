package dnsresolver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The query every FuzzParseAnswer input is matched against.
const (
	fuzzID   = 0x1234
	fuzzName = "x.example."
)

// raw builds DNS messages byte by byte, for seeds dnsmessage's Builder
// refuses to make (loops, bad lengths, lying counts).
type raw struct{ b []byte }

func (r *raw) u16(v uint16) *raw { r.b = binary.BigEndian.AppendUint16(r.b, v); return r }
func (r *raw) u32(v uint32) *raw { r.b = binary.BigEndian.AppendUint32(r.b, v); return r }
func (r *raw) bytes(p ...byte) *raw {
	r.b = append(r.b, p...)
	return r
}

// header: ID, flags, then the four section counts.
func (r *raw) header(flags uint16, qd, an, ns, ar uint16) *raw {
	return r.u16(fuzzID).u16(flags).u16(qd).u16(an).u16(ns).u16(ar)
}

// name appends an uncompressed name.
func (r *raw) name(n string) *raw {
	for _, l := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		r.b = append(append(r.b, byte(len(l))), l...)
	}
	r.b = append(r.b, 0)
	return r
}

// question appends the fuzz question, x.example. A IN, which starts at
// offset 12 (a compression pointer to it is 0xc0 0x0c).
func (r *raw) question() *raw { return r.name(fuzzName).u16(1).u16(1) }

// rr appends a record header (owner name bytes already appended) and data.
func (r *raw) rr(typ uint16, ttl uint32, data []byte) *raw {
	return r.u16(typ).u16(1).u32(ttl).u16(uint16(len(data))).bytes(data...)
}

const flagsQR, flagsTC, rcodeNX = 0x8180, 0x0200, 0x0003

// wireLimitSeeds are replies at the edges of the wire format. They are in
// testdata/fuzz/FuzzParseAnswer too, under these names.
func wireLimitSeeds() map[string][]byte {
	seeds := map[string][]byte{}

	// The largest reply we read, 1232 bytes (maxDNSPacketSize): 74 A
	// records and a TXT of 21 bytes fill it exactly.
	r := new(raw).header(flagsQR, 1, 75, 0, 0).question()
	for i := 0; i < 74; i++ {
		r.bytes(0xc0, 12).rr(1, 300, []byte{192, 0, 2, byte(i)})
	}
	r.bytes(0xc0, 12).rr(16, 300, append([]byte{8}, "12345678"...))
	if len(r.b) != maxDNSPacketSize {
		panic(fmt.Sprintf("max-udp seed is %d bytes; want %d", len(r.b), maxDNSPacketSize))
	}
	seeds["max-udp-1232-bytes"] = r.b

	// Alias chains of exactly maxCNAMEChain hops (followed) and one more
	// (an error).
	for _, hops := range []int{maxCNAMEChain, maxCNAMEChain + 1} {
		r := new(raw).header(flagsQR, 1, uint16(hops+1), 0, 0).question()
		owner := fuzzName
		for i := 1; i <= hops; i++ {
			target := fmt.Sprintf("c%d.example.", i)
			var data raw
			data.name(target)
			r.name(owner).rr(5, 60, data.b)
			owner = target
		}
		r.name(owner).rr(1, 60, []byte{192, 0, 2, 1})
		seeds[fmt.Sprintf("cname-chain-%d", hops)] = r.b
	}

	// A name of 255 octets on the wire (RFC 1035 2.3.4), labels of 63.
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61) + "."
	var longData raw
	longData.name(long)
	if len(longData.b) != 255 {
		panic(fmt.Sprintf("long name is %d octets; want 255", len(longData.b)))
	}
	r = new(raw).header(flagsQR, 1, 2, 0, 0).question()
	r.bytes(0xc0, 12).rr(5, 60, longData.b)
	r.name(long).rr(1, 60, []byte{192, 0, 2, 2})
	seeds["name-255-octets"] = r.b

	// A label length of 64: the top bits 01 are reserved (RFC 6891 dropped
	// extended labels).
	seeds["label-64-reserved"] = new(raw).header(flagsQR, 1, 1, 0, 0).question().
		bytes(64).bytes(bytes.Repeat([]byte{'x'}, 64)...).bytes(0).rr(1, 60, []byte{192, 0, 2, 3}).b

	// A compression pointer to itself, and one pointing forward.
	r = new(raw).header(flagsQR, 1, 1, 0, 0).question()
	self := len(r.b)
	seeds["pointer-loop"] = r.bytes(0xc0|byte(self>>8), byte(self)).rr(1, 60, []byte{192, 0, 2, 4}).b
	r = new(raw).header(flagsQR, 1, 1, 0, 0).question()
	seeds["pointer-forward"] = r.bytes(0xc0, byte(len(r.b)+20)).rr(1, 60, []byte{192, 0, 2, 5}).b

	// Counts that lie: 65535 answers announced, none there.
	seeds["ancount-65535-empty"] = new(raw).header(flagsQR, 1, 0xffff, 0, 0).question().b

	// Record data that runs past the end of the message.
	r = new(raw).header(flagsQR, 1, 1, 0, 0).question().bytes(0xc0, 12).u16(1).u16(1).u32(60).u16(4).bytes(192, 0)
	seeds["rdlength-past-end"] = r.b

	// A TTL with the top bit set counts as 0 (RFC 2181 8).
	seeds["ttl-top-bit"] = new(raw).header(flagsQR, 1, 1, 0, 0).question().
		bytes(0xc0, 12).rr(1, 0x80000000, []byte{192, 0, 2, 6}).b

	// NXDOMAIN whose SOA holds the largest TTL and minimum (2^31-1).
	var soa raw
	soa.name("ns.example.").name("h.example.").u32(1).u32(1).u32(1).u32(1).u32(0x7fffffff)
	seeds["nxdomain-soa-max"] = new(raw).header(flagsQR|rcodeNX, 1, 0, 1, 0).question().
		name("example.").rr(6, 0x7fffffff, soa.b).b

	// A header one byte short, and TC with answers anyway.
	seeds["header-11-bytes"] = new(raw).header(flagsQR, 1, 0, 0, 0).b[:11]
	seeds["tc-with-answers"] = new(raw).header(flagsQR|flagsTC, 1, 1, 0, 0).question().
		bytes(0xc0, 12).rr(1, 60, []byte{192, 0, 2, 7}).b
	return seeds
}

// FuzzParseAnswer feeds arbitrary bytes to the reply path, as a reply to
// the query fuzzID / x.example. / A. Matching and reading must never
// panic; a reply that matches has the query's ID and QR; what it yields
// is well formed (A addresses only, no addresses with an error, TTLs in
// range). Round trip: a reply dnsmessage can unpack and pack again means
// the same to the resolver in both forms.
func FuzzParseAnswer(f *testing.F) {
	q := dnsmessage.Message{Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(fuzzName), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
	q.Header.ID = fuzzID
	f.Add(answer(q, answerOpts{addrs: []string{"192.0.2.1"}}))
	f.Add(answer(q, answerOpts{cname: "y.example.", addrs: []string{"192.0.2.2"}}))
	f.Add(answer(q, answerOpts{rcode: dnsmessage.RCodeNameError, soaMin: 30}))
	f.Add(answer(q, answerOpts{tc: true}))
	f.Add(make([]byte, maxDNSPacketSize)) // the largest reply we read, all zero
	for _, s := range wireLimitSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, matched, malformed := parseFuzzReply(t, msg)
		var m dnsmessage.Message
		if m.Unpack(msg) != nil {
			return
		}
		packed, err := m.Pack()
		if err != nil {
			return
		}
		if malformed && !bytes.Equal(packed, msg) {
			// dnsmessage unpacks what the resolver rightly refuses (a
			// compression pointer forward, an NS record read past its
			// RDLENGTH) and packs it repaired: the repair may well mean
			// something. A reply dnsmessage packs back unchanged is still
			// held to the same reading.
			return
		}
		again, matchedAgain, _ := parseFuzzReply(t, packed)
		if matched != matchedAgain || got != again {
			t.Fatalf("got %v (matched %v) from the reply and %v (matched %v) from it unpacked and packed again; want the same", got, matched, again, matchedAgain)
		}
	})
}

// parseFuzzReply matches and reads msg, checks what every reply must
// hold, and returns the reply in words, whether it matched, and whether
// it was read as malformed.
func parseFuzzReply(t *testing.T, msg []byte) (string, bool, bool) {
	p, h, ok := matchReply(msg, fuzzID, fuzzName, dnsmessage.TypeA)
	if !ok {
		return "", false, false
	}
	if h.ID != fuzzID || !h.Response {
		t.Fatalf("matched a reply with ID %#x, QR %v", h.ID, h.Response)
	}
	rp := readReply(&p, h, fuzzName, dnsmessage.TypeA)
	for _, a := range rp.addrs {
		if !a.Is4() {
			t.Fatalf("got %v for an A question", a)
		}
	}
	if rp.err != nil && len(rp.addrs) > 0 {
		t.Fatalf("got addresses %v with error %v", rp.addrs, rp.err)
	}
	if rp.ttl < 0 || rp.ttl > maxTTL*time.Second || rp.negTTL < 0 || rp.negTTL > maxTTL*time.Second {
		t.Fatalf("got TTL %v, negative TTL %v; want within [0, 2^31-1 s]", rp.ttl, rp.negTTL)
	}
	return fmt.Sprintf("%+v", rp), true, rp.err == errMalformed
}

// TestWireLimitSeeds pins what the resolver makes of the seeds at the wire
// limits.
func TestWireLimitSeeds(t *testing.T) {
	seeds := wireLimitSeeds()
	tests := []struct {
		seed string
		want string // the reply's addresses and error, or "dropped"
	}{
		{"max-udp-1232-bytes", "74 addrs, err <nil>"},
		{"cname-chain-8", "1 addrs, err <nil>"},
		{"cname-chain-9", "0 addrs, err " + errCNAMELoop.Error()},
		{"name-255-octets", "1 addrs, err <nil>"},
		{"label-64-reserved", "0 addrs, err " + errMalformed.Error()},
		{"pointer-loop", "0 addrs, err " + errMalformed.Error()},
		{"pointer-forward", "0 addrs, err " + errMalformed.Error()},
		{"ancount-65535-empty", "0 addrs, err " + errMalformed.Error()},
		{"rdlength-past-end", "0 addrs, err " + errMalformed.Error()},
		{"ttl-top-bit", "1 addrs, err <nil>, ttl 0s"},
		{"nxdomain-soa-max", "0 addrs, err no such host, negTTL 596523h14m7s"},
		{"header-11-bytes", "dropped"},
		{"tc-with-answers", "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			msg, ok := seeds[tt.seed]
			if !ok {
				t.Fatalf("no seed %q", tt.seed)
			}
			got := "dropped"
			if p, h, ok := matchReply(msg, fuzzID, fuzzName, dnsmessage.TypeA); ok {
				rp := readReply(&p, h, fuzzName, dnsmessage.TypeA)
				got = fmt.Sprintf("%d addrs, err %v", len(rp.addrs), rp.err)
				switch {
				case rp.trunc:
					got = "truncated"
				case strings.Contains(tt.want, "ttl"):
					got += fmt.Sprintf(", ttl %v", rp.ttl)
				case strings.Contains(tt.want, "negTTL"):
					got += fmt.Sprintf(", negTTL %v", rp.negTTL)
				}
			}
			if got != tt.want {
				t.Errorf("got %s; want %s", got, tt.want)
			}
		})
	}
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{
		"example.com", "Bücher.example", "a..b", "", "-x", ".",
		strings.Repeat("a", 63) + ".example", // the longest label
		strings.Repeat("a", 64) + ".example", // one too long
		strings.Repeat("a.", 126) + "a",      // 253 characters: the longest name
		strings.Repeat("a.", 127),            // 254 with the root dot
		string(make([]byte, 300)),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := normalizeName(s)
		if err != nil {
			return
		}
		if !validName(n) || len(n) > maxNameLength {
			t.Fatalf("normalizeName(%q) = %q, not a valid name", s, n)
		}
		if n2, err := normalizeName(n); err != nil || n2 != n {
			t.Fatalf("normalizeName(%q) = %q, %v; want it unchanged (idempotent)", n, n2, err)
		}
		if _, err := buildQuery(1, n+".", dnsmessage.TypeA, true); err != nil {
			t.Fatalf("valid name %q does not pack: %v", n, err)
		}
	})
}

// FuzzParseConfig: resolv.conf and hosts parsing never panic, and keep
// only what is valid (servers that are IP:port, names that are valid).
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"ndots-search-resolv.conf", "broken-resolv.conf", "ipv6-resolv.conf", "hosts-case", "hosts-broken", "hosts-ipv6"} {
		f.Add(readFile("testdata/" + name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := parseResolvConf(bytes.NewReader(b))
		if len(c.servers) == 0 || len(c.servers) > maxNameservers {
			t.Fatalf("got %d servers; want 1 to %d", len(c.servers), maxNameservers)
		}
		for _, s := range c.servers {
			if _, err := serverAddr(s); err != nil {
				t.Fatalf("got server %q: %v", s, err)
			}
		}
		if c.ndots < 0 || c.ndots > maxNdots || c.attempts < 1 || c.attempts > maxAttempts || c.timeout <= 0 || c.timeout > maxTimeout {
			t.Fatalf("got options out of range: %+v", c)
		}
		for name, addrs := range parseHosts(bytes.NewReader(b)) {
			if !validName(name) || len(addrs) == 0 {
				t.Fatalf("got hosts entry %q = %v", name, addrs)
			}
		}
	})
}

// TestParsingAllocs: matching and reading a plain answer allocates only
// the address slice it returns.
func TestParsingAllocs(t *testing.T) {
	q := dnsmessage.Message{Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(fuzzName), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
	q.Header.ID = fuzzID
	msg := answer(q, answerOpts{addrs: []string{"192.0.2.1"}})
	allocs := testing.AllocsPerRun(1000, func() {
		p, h, ok := matchReply(msg, fuzzID, fuzzName, dnsmessage.TypeA)
		if !ok {
			t.Fatal("reply does not match its query")
		}
		if rp := readReply(&p, h, fuzzName, dnsmessage.TypeA); len(rp.addrs) != 1 {
			t.Fatalf("got %+v; want one address", rp)
		}
	})
	if allocs > 1 {
		t.Errorf("got %v allocations to parse an answer; want at most 1 (the addresses)", allocs)
	}
}
