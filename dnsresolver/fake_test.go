package dnsresolver

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// handler answers one query with zero or more raw replies.
type handler func(q dnsmessage.Message) [][]byte

// fakeServer is an in-process DNS server on 127.0.0.1:0 (UDP and, when
// tcp is set, TCP on the same port) for behaviour dnsmasq will not show
// on demand. queries counts the queries it got.
type fakeServer struct {
	addr    string
	queries atomic.Int64
	tcpHits atomic.Int64

	mu    sync.Mutex
	log   []string            // "name type" of every UDP query, in order
	ports map[string]struct{} // source addresses queries came from
}

// names returns the log of UDP questions.
func (s *fakeServer) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// sources returns how many source addresses (ports) queries came from.
func (s *fakeServer) sources() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ports)
}

func runLocalServer(t *testing.T, udp, tcp handler) *fakeServer {
	t.Helper()
	var pc net.PacketConn
	var l net.Listener
	for try := 0; ; try++ { // UDP and TCP on one port: retry while the TCP port is taken
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if tcp == nil {
			break
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	s := &fakeServer{addr: pc.LocalAddr().String(), ports: map[string]struct{}{}}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if q.Unpack(buf[:n]) != nil || len(q.Questions) != 1 {
				continue
			}
			s.queries.Add(1)
			s.mu.Lock()
			s.log = append(s.log, q.Questions[0].Name.String()+" "+q.Questions[0].Type.String()[4:])
			s.ports[from.String()] = struct{}{}
			s.mu.Unlock()
			for _, r := range udp(q) {
				pc.WriteTo(r, from)
			}
		}
	}()
	if tcp != nil {
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					var lb [2]byte
					if _, err := io.ReadFull(c, lb[:]); err != nil {
						return
					}
					msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
					if _, err := io.ReadFull(c, msg); err != nil {
						return
					}
					var q dnsmessage.Message
					if q.Unpack(msg) != nil {
						return
					}
					s.tcpHits.Add(1)
					for _, r := range tcp(q) {
						binary.BigEndian.PutUint16(lb[:], uint16(len(r)))
						c.Write(append(lb[:], r...))
					}
				}()
			}
		}()
	}
	return s
}

// answer builds a reply to q with rcode and records for the question name:
// A/AAAA addresses as asked, optional CNAME first.
type answerOpts struct {
	rcode  dnsmessage.RCode
	id     *uint16 // override the ID
	tc     bool
	noQR   bool
	qname  string          // override the question name
	qtype  dnsmessage.Type // override the question type
	cname  string          // alias: q name → cname, addresses on cname
	addrs  []string
	soaMin uint32 // add an SOA to the authority section
}

func answer(q dnsmessage.Message, o answerOpts) []byte {
	h := dnsmessage.Header{ID: q.Header.ID, Response: !o.noQR, RCode: o.rcode, Truncated: o.tc, RecursionAvailable: true}
	if o.id != nil {
		h.ID = *o.id
	}
	b := dnsmessage.NewBuilder(nil, h)
	b.StartQuestions()
	qq := q.Questions[0]
	if o.qname != "" {
		qq.Name = dnsmessage.MustNewName(o.qname)
	}
	if o.qtype != 0 {
		qq.Type = o.qtype
	}
	b.Question(qq)
	b.StartAnswers()
	owner := q.Questions[0].Name
	if o.cname != "" {
		b.CNAMEResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 300}, dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(o.cname)})
		owner = dnsmessage.MustNewName(o.cname)
	}
	for _, a := range o.addrs {
		ip := netip.MustParseAddr(a)
		rh := dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 120}
		if ip.Is4() && q.Questions[0].Type == dnsmessage.TypeA {
			b.AResource(rh, dnsmessage.AResource{A: ip.As4()})
		}
		if ip.Is6() && q.Questions[0].Type == dnsmessage.TypeAAAA {
			b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: ip.As16()})
		}
	}
	if o.soaMin > 0 {
		b.StartAuthorities()
		b.SOAResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName("example."), Class: dnsmessage.ClassINET, TTL: 3600},
			dnsmessage.SOAResource{NS: dnsmessage.MustNewName("ns.example."), MBox: dnsmessage.MustNewName("h.example."), Serial: 1, Refresh: 1, Retry: 1, Expire: 1, MinTTL: o.soaMin})
	}
	msg, err := b.Finish()
	if err != nil {
		panic(err)
	}
	return msg
}

// Behaviours, named for what they do.
var (
	silent = func(dnsmessage.Message) [][]byte { return nil }
	good   = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{addrs: []string{"192.0.2.1", "2001:db8::1"}})}
	}
	malformed = func(q dnsmessage.Message) [][]byte {
		m := answer(q, answerOpts{addrs: []string{"192.0.2.1"}})
		return [][]byte{m[:len(m)-3]} // cut inside the record
	}
	badID = func(q dnsmessage.Message) [][]byte {
		id := q.Header.ID + 1
		return [][]byte{answer(q, answerOpts{id: &id, addrs: []string{"6.6.6.6"}})}
	}
	badThenGoodID = func(q dnsmessage.Message) [][]byte {
		id := q.Header.ID ^ 0xffff
		return [][]byte{
			answer(q, answerOpts{id: &id, addrs: []string{"6.6.6.6"}}),
			answer(q, answerOpts{noQR: true, addrs: []string{"6.6.6.7"}}),
			answer(q, answerOpts{qname: "evil.example.", addrs: []string{"6.6.6.8"}}),
			[]byte("junk"),
			answer(q, answerOpts{addrs: []string{"192.0.2.1", "2001:db8::1"}}),
		}
	}
	wrongQuestionName = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{qname: "evil.example.", addrs: []string{"6.6.6.6"}})}
	}
	wrongQuestionType = func(q dnsmessage.Message) [][]byte { // the A query answered as if it were AAAA and back
		other := dnsmessage.TypeAAAA
		if q.Questions[0].Type == dnsmessage.TypeAAAA {
			other = dnsmessage.TypeA
		}
		return [][]byte{answer(q, answerOpts{qtype: other, addrs: []string{"6.6.6.6", "2001:db8::666"}})}
	}
	formerrOnEDNS = func(q dnsmessage.Message) [][]byte { // an old server that does not know OPT
		if len(q.Additionals) > 0 {
			return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeFormatError})}
		}
		return good(q)
	}
	slow = func(q dnsmessage.Message) [][]byte {
		time.Sleep(2 * time.Millisecond) // the server's one goroutine: queries queue up
		return good(q)
	}
	truncated = func(q dnsmessage.Message) [][]byte { return [][]byte{answer(q, answerOpts{tc: true})} }
	servfail  = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeServerFailure})}
	}
	refused = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeRefused})}
	}
	nxdomainSOA = func(q dnsmessage.Message) [][]byte {
		return [][]byte{answer(q, answerOpts{rcode: dnsmessage.RCodeNameError, soaMin: 30})}
	}
	cnameLoop = func(q dnsmessage.Message) [][]byte {
		// a → b, and b → a: every answer is an alias with no address.
		next := "loop-b.example."
		if q.Questions[0].Name.String() == "loop-b.example." {
			next = "loop-a.example."
		}
		return [][]byte{answer(q, answerOpts{cname: next})}
	}
)

// runWrongSourceServer answers every query well, but from another port
// than the one the query went to: a reply the connected socket must never
// deliver.
func runWrongSourceServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close(); other.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if q.Unpack(buf[:n]) != nil || len(q.Questions) != 1 {
				continue
			}
			for _, r := range good(q) {
				other.WriteTo(r, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}
