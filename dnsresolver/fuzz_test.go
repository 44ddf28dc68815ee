package dnsresolver

import (
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// FuzzParseAnswer feeds arbitrary bytes to the reply path: matching
// against a query and reading the answer must never panic, and a reply
// that matches must come out as a well-formed result. Round trip: a
// matched reply for the query we built answers that query's name.
func FuzzParseAnswer(f *testing.F) {
	q := dnsmessage.Message{Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName("x.example."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
	q.Header.ID = 0x1234
	f.Add(answer(q, answerOpts{addrs: []string{"192.0.2.1"}}))
	f.Add(answer(q, answerOpts{cname: "y.example.", addrs: []string{"192.0.2.2"}}))
	f.Add(answer(q, answerOpts{rcode: dnsmessage.RCodeNameError, soaMin: 30}))
	f.Add(answer(q, answerOpts{tc: true}))
	f.Add([]byte{0x12, 0x34, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0}) // header only, question missing
	f.Add(make([]byte, maxDNSPacketSize))                      // the largest reply we read, all zero
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, h, ok := matchReply(msg, 0x1234, "x.example.", dnsmessage.TypeA)
		if !ok {
			return
		}
		if h.ID != 0x1234 || !h.Response {
			t.Fatalf("matched a reply with ID %#x, QR %v", h.ID, h.Response)
		}
		rp := readReply(&p, h, "x.example.", dnsmessage.TypeA)
		if rp.err == nil && !rp.trunc {
			for _, a := range rp.addrs {
				if !a.Is4() {
					t.Fatalf("got %v for an A question", a)
				}
			}
		}
		if rp.err != nil && len(rp.addrs) > 0 {
			t.Fatalf("got addresses %v with error %v", rp.addrs, rp.err)
		}
	})
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example", "a..b", "", "-x", string(make([]byte, 300))} {
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
		if _, err := buildQuery(1, n+".", dnsmessage.TypeA, true); err != nil {
			t.Fatalf("valid name %q does not pack: %v", n, err)
		}
	})
}
