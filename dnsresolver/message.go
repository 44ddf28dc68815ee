package dnsresolver

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// maxDNSPacketSize is the UDP payload we advertise with EDNS0 and read.
const maxDNSPacketSize = 1232 // dnsflagday 2020

// maxCNAMEChain bounds the aliases followed for one name, within one answer
// and across the extra queries for a chain a server did not finish.
const maxCNAMEChain = 8

// buildQuery packs a recursive query for name (a lowercase FQDN with the
// trailing dot) into a buffer laid out as net/dnsclient_unix.go's: two
// bytes of room for the TCP length prefix, then the UDP message.
func buildQuery(id uint16, name string, qtype dnsmessage.Type, edns bool) ([]byte, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, ErrInvalidName
	}
	b := dnsmessage.NewBuilder(make([]byte, 2, 2+64+len(name)), dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: n, Type: qtype, Class: dnsmessage.ClassINET}); err != nil {
		return nil, err
	}
	if edns {
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var rh dnsmessage.ResourceHeader
		if err := rh.SetEDNS0(maxDNSPacketSize, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(rh, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, err
	}
	l := len(msg) - 2
	msg[0], msg[1] = byte(l>>8), byte(l)
	return msg, nil
}

// reply is what one answer says about one question.
type reply struct {
	addrs  []netip.Addr
	ttl    time.Duration // min TTL of the records used
	cname  string        // where the alias chain ended, if it did not end in addresses ("" if no alias)
	negTTL time.Duration // for NXDOMAIN / NODATA: the SOA minimum, 0 when no SOA came
	err    error         // nil, ErrNoSuchHost, errServerFailure, errRefused, errFormat, errMisbehaving, errMalformed, errCNAMELoop, or the transport's
	nx     bool          // with ErrNoSuchHost: NXDOMAIN (else NODATA)
	trunc  bool          // TC set: ask again over TCP
}

// matchReply parses msg and reports whether it answers the query (id,
// name, qtype). Anything else (a reply that does not parse, with the
// wrong ID, without QR, or for another question) may be a forgery and is
// skipped by the caller (issue 13281).
func matchReply(msg []byte, id uint16, name string, qtype dnsmessage.Type) (dnsmessage.Parser, dnsmessage.Header, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.ID != id || !h.Response {
		return p, h, false
	}
	q, err := p.Question()
	if err != nil || q.Type != qtype || q.Class != dnsmessage.ClassINET || !nameIs(&q.Name, name) {
		return p, h, false
	}
	if err := p.SkipAllQuestions(); err != nil {
		return p, h, false
	}
	return p, h, true
}

// readReply turns a matched answer into a reply, following the alias
// chain from name within the answer section. It is the one place where
// RCODEs become causes.
func readReply(p *dnsmessage.Parser, h dnsmessage.Header, name string, qtype dnsmessage.Type) reply {
	if h.Truncated {
		return reply{trunc: true}
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess, dnsmessage.RCodeNameError:
	case dnsmessage.RCodeServerFailure:
		return reply{err: errServerFailure}
	case dnsmessage.RCodeFormatError:
		return reply{err: errFormat}
	case dnsmessage.RCodeRefused:
		return reply{err: errRefused}
	default:
		return reply{err: errMisbehaving}
	}
	type rr struct {
		name, target string
		typ          dnsmessage.Type
		ttl          uint32
		addr         netip.Addr
	}
	var rrBuf [4]rr // most answers hold a few records: no allocation
	rrs := rrBuf[:0]
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return reply{err: errMalformed}
		}
		r := rr{name: lowerName(&rh.Name, name), typ: rh.Type, ttl: ttlOf(rh.TTL)}
		switch rh.Type {
		case dnsmessage.TypeA:
			a, err := p.AResource()
			if err != nil {
				return reply{err: errMalformed}
			}
			r.addr = netip.AddrFrom4(a.A)
		case dnsmessage.TypeAAAA:
			a, err := p.AAAAResource()
			if err != nil {
				return reply{err: errMalformed}
			}
			r.addr = netip.AddrFrom16(a.AAAA)
		case dnsmessage.TypeCNAME:
			c, err := p.CNAMEResource()
			if err != nil {
				return reply{err: errMalformed}
			}
			r.target = lowerName(&c.CNAME, name)
		default:
			if err := p.SkipAnswer(); err != nil {
				return reply{err: errMalformed}
			}
			continue
		}
		rrs = append(rrs, r)
	}
	var out reply
	ttl := uint32(maxTTL)
	cur := strings.ToLower(name)
	for hop := 0; ; hop++ {
		for _, r := range rrs {
			if r.name == cur && r.typ == qtype {
				out.addrs = append(out.addrs, r.addr)
				ttl = min(ttl, r.ttl)
			}
		}
		if len(out.addrs) > 0 {
			break
		}
		next := ""
		for _, r := range rrs {
			if r.name == cur && r.typ == dnsmessage.TypeCNAME {
				next = r.target
				ttl = min(ttl, r.ttl)
				break
			}
		}
		if next == "" {
			break
		}
		if hop >= maxCNAMEChain {
			return reply{err: errCNAMELoop}
		}
		cur = next
	}
	if cur != strings.ToLower(name) {
		out.cname = cur
	}
	if len(out.addrs) > 0 {
		out.ttl = time.Duration(ttl) * time.Second
		return out
	}
	if out.cname != "" && h.RCode == dnsmessage.RCodeSuccess {
		out.ttl = time.Duration(ttl) * time.Second
		return out // the chain goes on beyond this answer: the caller asks again
	}
	// NXDOMAIN or NODATA: the SOA in the authority section says how long
	// the absence may be cached (RFC 2308 section 5).
	out.err = ErrNoSuchHost
	out.nx = h.RCode == dnsmessage.RCodeNameError
	if err := p.SkipAllAnswers(); err == nil {
		for {
			rh, err := p.AuthorityHeader()
			if err != nil {
				break
			}
			if rh.Type != dnsmessage.TypeSOA {
				if p.SkipAuthority() != nil {
					break
				}
				continue
			}
			soa, err := p.SOAResource()
			if err != nil {
				break
			}
			out.negTTL = time.Duration(min(ttlOf(rh.TTL), ttlOf(soa.MinTTL))) * time.Second
			break
		}
	}
	return out
}

// nameIs reports whether n is name, ignoring ASCII case (RFC 4343),
// without allocating.
func nameIs(n *dnsmessage.Name, name string) bool {
	if int(n.Length) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		a, b := n.Data[i], name[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// lowerName returns n in lowercase: query itself (lowercase) when n is
// the query name, the common case, which costs no allocation.
func lowerName(n *dnsmessage.Name, query string) string {
	if nameIs(n, query) {
		return query
	}
	return strings.ToLower(n.String())
}

// ttlOf reads a TTL: one with the top bit set counts as zero (RFC 2181
// 8), so no server can pin an answer for 136 years.
func ttlOf(ttl uint32) uint32 {
	if ttl > maxTTL {
		return 0
	}
	return ttl
}

const maxTTL = 1<<31 - 1 // RFC 2181 8

// isTransient reports errors after which another server may do better.
func isTransient(err error) bool {
	return err != nil && !errors.Is(err, ErrNoSuchHost)
}
