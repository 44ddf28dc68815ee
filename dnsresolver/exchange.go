package dnsresolver

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/greenfetch/greenfetch/scheduler"
)

// query asks the servers in turn, attempts times round, until one gives
// an answer that is not a server failure or refusal.
func (r *Async) query(fq string, types []dnsmessage.Type) ([]reply, string, error) {
	if len(r.servers) == 0 {
		return nil, "", ErrNoServers
	}
	start := 0
	if r.rotate {
		start = int(r.next.Add(1)-1) % len(r.servers)
	}
	var lastErr error
	var lastServer string
	for a := 0; a < r.attempts; a++ {
		for i := range r.servers {
			s := r.servers[(start+i)%len(r.servers)]
			if err := r.sem.Acquire(context.Background()); err != nil {
				return nil, s, err
			}
			replies, err := r.exchange(s, fq, types, true)
			if err == nil && hasErr(replies, errFormat) {
				// A server that does not know EDNS0 may answer FORMERR
				// to the OPT record: ask it again without (RFC 6891 7).
				replies, err = r.exchange(s, fq, types, false)
			}
			r.sem.Release()
			lastServer = s
			if err == nil {
				for _, rp := range replies {
					if isTransient(rp.err) {
						err = rp.err
						break
					}
				}
			}
			if err == nil {
				return replies, s, nil
			}
			if errors.Is(err, scheduler.ErrKilled) || errors.Is(err, scheduler.ErrHubClosed) {
				return nil, s, err
			}
			lastErr = err
		}
	}
	return nil, lastServer, lastErr
}

// exchange asks server for fq's records of every type in types over UDP
// and returns one reply per type, in order.
//
// All the queries are in flight at once. By default they share one
// connected UDP socket, as glibc's resolver does: a lookup of both
// families costs one socket, not two. With resolv.conf's "options
// single-request-reopen" every query gets a socket of its own, for the
// middleboxes that answer only one of two queries arriving from one port.
// Every socket is fresh, so the kernel picks a random source port, and
// every query carries a fresh random ID.
//
// A reply is accepted only when it arrives on the connected socket (so
// from server), parses, has QR set, and carries the ID, type, class and
// name of a query still waiting on that socket; anything else may be a
// forgery (issue 13281) and is dropped while reading goes on until the
// attempt's deadline. A query still unanswered after rto is sent again,
// with rto doubling, within the deadline: a busy server's socket buffer
// drops datagrams long before the server is slow. Truncated answers are
// asked again over TCP (RFC 7766).
func (r *Async) exchange(server, fq string, types []dnsmessage.Type, edns bool) ([]reply, error) {
	sc := r.perServe[server]
	begin := time.Now()
	deadline := begin.Add(r.timeout)

	var qs [2]udpQuery // A and AAAA: no allocation for the common case
	queries := qs[:0]
	if len(types) > len(qs) {
		queries = make([]udpQuery, 0, len(types))
	}
	var conns [2]net.Conn
	socks := conns[:0]
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	for i, typ := range types {
		if i == 0 || r.reopen {
			// Connecting a UDP socket sends nothing and never blocks: no
			// context deadline (and its timer) is needed; the socket's
			// deadline bounds the exchange.
			c, err := r.dial(context.Background(), "udp", server)
			if err != nil {
				return nil, err
			}
			socks = append(socks, c)
			c.SetDeadline(deadline)
		}
		id := newID()
		for hasID(queries, id) { // distinct IDs on one socket
			id = newID()
		}
		msg, err := buildQuery(id, fq, typ, edns)
		if err != nil {
			return nil, err
		}
		queries = append(queries, udpQuery{id: id, typ: typ, msg: msg[2:], sock: len(socks) - 1})
	}
	for i := range queries {
		if _, err := socks[queries[i].sock].Write(queries[i].msg); err != nil {
			return nil, err
		}
		r.stats.queries.Add(1)
		sc.udp.Add(1)
	}

	replies := make([]reply, len(types))
	bp := bufPool.Get().(*[maxDNSPacketSize]byte)
	defer bufPool.Put(bp)
	buf := bp[:]
	for s, c := range socks {
		rto := r.rto()
		for waiting := countWaiting(queries, s); waiting > 0; {
			wait := time.Now().Add(rto)
			if wait.After(deadline) {
				wait = deadline
			}
			c.SetReadDeadline(wait)
			n, err := c.Read(buf)
			if err != nil {
				if !isTimeoutErr(err) {
					return nil, err
				}
				if !time.Now().Before(deadline) {
					r.stats.timeouts.Add(1)
					sc.timeouts.Add(1)
					return nil, errTimeout
				}
				for i := range queries {
					if q := &queries[i]; q.sock == s && !q.done {
						if _, err := c.Write(q.msg); err != nil {
							return nil, err
						}
						r.stats.queries.Add(1)
						r.stats.retransmits.Add(1)
						sc.udp.Add(1)
					}
				}
				rto *= 2
				continue
			}
			matched := false
			for i := range queries {
				q := &queries[i]
				if q.sock != s || q.done {
					continue
				}
				if p, h, ok := matchReply(buf[:n], q.id, fq, q.typ); ok {
					replies[i] = readReply(&p, h, fq, q.typ)
					q.done, matched = true, true
					waiting--
					break
				}
			}
			if !matched {
				r.stats.dropped.Add(1)
			}
		}
	}
	r.stats.answers.Add(int64(len(types)))
	sc.answers.Add(int64(len(types)))
	sc.latencySum.Add(int64(time.Since(begin)))
	sc.latencyN.Add(1)
	for i := range replies {
		if replies[i].trunc {
			rp, err := r.exchangeTCP(server, fq, types[i], edns, deadline)
			if err != nil {
				return nil, err
			}
			replies[i] = rp
		}
	}
	return replies, nil
}

func hasErr(replies []reply, err error) bool {
	for _, rp := range replies {
		if rp.err == err {
			return true
		}
	}
	return false
}

// bufPool holds the buffers UDP answers are read into.
var bufPool = sync.Pool{New: func() any { return new([maxDNSPacketSize]byte) }}

// udpQuery is one question of an exchange: its ID, the message sent,
// the socket (index) it went out on and whether its answer came.
type udpQuery struct {
	id   uint16
	typ  dnsmessage.Type
	msg  []byte
	sock int
	done bool
}

func hasID(qs []udpQuery, id uint16) bool {
	for _, q := range qs {
		if q.id == id {
			return true
		}
	}
	return false
}

func countWaiting(qs []udpQuery, sock int) int {
	n := 0
	for _, q := range qs {
		if q.sock == sock && !q.done {
			n++
		}
	}
	return n
}

// newID returns a random query ID. math/rand/v2's global source is
// ChaCha8, seeded from the system's randomness, and safe for concurrent
// use: an off-path attacker cannot predict it.
func newID() uint16 { return uint16(rand.Uint32()) }

// rto is the first retransmission timeout of an attempt: a sixteenth of
// the attempt, at least minRTO.
func (r *Async) rto() time.Duration {
	return max(r.timeout/16, minRTO)
}

// minRTO bounds how soon a UDP query is sent again.
const minRTO = 25 * time.Millisecond

func (r *Async) exchangeTCP(server, fq string, typ dnsmessage.Type, edns bool, deadline time.Time) (reply, error) {
	sc := r.perServe[server]
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c, err := r.dial(ctx, "tcp", server)
	if err != nil {
		return reply{}, err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	id := newID()
	q, err := buildQuery(id, fq, typ, edns)
	if err != nil {
		return reply{}, err
	}
	if _, err := c.Write(q); err != nil {
		return reply{}, err
	}
	r.stats.queries.Add(1)
	sc.tcp.Add(1)
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return reply{}, tcpErr(err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return reply{}, tcpErr(err)
	}
	p, h, ok := matchReply(msg, id, fq, typ)
	if !ok {
		r.stats.dropped.Add(1)
		return reply{}, errMalformed
	}
	r.stats.answers.Add(1)
	sc.answers.Add(1)
	rp := readReply(&p, h, fq, typ)
	if rp.trunc {
		return reply{}, errMalformed // TC over TCP makes no sense
	}
	return rp, nil
}

func tcpErr(err error) error {
	if isTimeoutErr(err) {
		return errTimeout
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errMalformed // EOF inside a message
	}
	return err
}

func isTimeoutErr(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
