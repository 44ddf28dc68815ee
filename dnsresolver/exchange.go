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

// question is one DNS question: a lowercase FQDN (with the trailing dot)
// and a type.
type question struct {
	name string
	typ  dnsmessage.Type
}

// query asks the servers in turn, attempts times round, until every
// question has an answer that is not server trouble (a SERVFAIL, REFUSED,
// FORMERR, timeout or garbled reply moves that question, and only that
// one, on to the next server). It returns one reply per question, in
// order: the answer, or the last trouble met; and the last server asked.
//
// Questions are independent. Once a question of the lookup c has
// addresses, the questions still without an answer are asked of the
// servers not yet asked in this round only, and no more once c's
// resolution delay has passed (the lookup's callers have their answer);
// the exchange in flight still finishes, so a late answer fills the
// cache.
func (r *Async) query(qs []question, c *call) ([]reply, string) {
	replies := make([]reply, len(qs))
	if len(r.servers) == 0 {
		for i := range replies {
			replies[i].err = ErrNoServers
		}
		return replies, ""
	}
	start := 0
	if r.rotate {
		start = int(r.next.Add(1)-1) % len(r.servers)
	}
	var idx [2]int // the questions still asked, as indexes into qs
	pending := idx[:0]
	for i := range qs {
		pending = append(pending, i)
	}
	var sub [2]question
	var lastServer string
	for a := 0; a < r.attempts && len(pending) > 0; a++ {
		for i := 0; i < len(r.servers) && len(pending) > 0; i++ {
			// Once a family has addresses, a question still unanswered goes
			// on to the servers not yet asked, while the lookup's callers
			// wait for it; it is not asked again of a server that already
			// failed it.
			if c != nil && (c.late(r.resDelay) || a > 0 && c.answered()) {
				for _, j := range pending {
					if replies[j].err == nil {
						replies[j].err = errTimeout // not asked: the lookup did not wait
					}
				}
				return replies, lastServer
			}
			s := r.servers[(start+i)%len(r.servers)]
			ask := sub[:0]
			for _, j := range pending {
				ask = append(ask, qs[j])
			}
			if err := r.sem.Acquire(context.Background()); err != nil {
				for _, j := range pending {
					replies[j].err = err
				}
				return replies, s
			}
			got := r.exchange(s, ask, true, c)
			// A server that does not know EDNS0 may answer FORMERR to the
			// OPT record: ask it again without (RFC 6891 7).
			var again []int
			for k := range got {
				if got[k].err == errFormat {
					again = append(again, k)
				}
			}
			if len(again) > 0 {
				var plain []question
				for _, k := range again {
					plain = append(plain, ask[k])
				}
				for n, rp := range r.exchange(s, plain, false, c) {
					got[again[n]] = rp
				}
			}
			r.sem.Release()
			lastServer = s
			for k := range pending {
				if errors.Is(got[k].err, scheduler.ErrKilled) || errors.Is(got[k].err, scheduler.ErrHubClosed) {
					for _, j := range pending {
						replies[j] = reply{err: got[k].err}
					}
					return replies, s // the task or its hub is going away
				}
			}
			still := pending[:0]
			for k, j := range pending {
				replies[j] = got[k]
				if isTransient(got[k].err) {
					still = append(still, j)
				}
			}
			if len(still) > 0 && c != nil {
				for k := range got {
					if len(got[k].addrs) > 0 {
						c.publish(got[k]) // the others go on to the next server
					}
				}
			}
			pending = still
		}
	}
	return replies, lastServer
}

// exchange asks server the questions qs over UDP and returns one reply
// per question, in order; a question that got no answer in time has the
// reply errTimeout, one whose socket failed that error.
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
// asked again over TCP (RFC 7766). An answer with addresses that comes
// while another question of the exchange still waits is published to the
// lookup c at once, so its callers need not wait for the other family
// beyond the resolution delay.
func (r *Async) exchange(server string, qs []question, edns bool, c *call) []reply {
	sc := r.perServe[server]
	begin := time.Now()
	deadline := begin.Add(r.timeout)
	replies := make([]reply, len(qs))
	fail := func(err error) []reply {
		for i := range replies {
			replies[i] = reply{err: err}
		}
		return replies
	}

	var uqs [2]udpQuery // A and AAAA: no allocation for the common case
	queries := uqs[:0]
	var conns [2]net.Conn
	socks := conns[:0]
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	for i, q := range qs {
		if i == 0 || r.reopen {
			// Connecting a UDP socket sends nothing and never blocks: no
			// context deadline (and its timer) is needed; the socket's
			// deadline bounds the exchange.
			c, err := r.dial(context.Background(), "udp", server)
			if err != nil {
				return fail(err)
			}
			socks = append(socks, c)
			c.SetDeadline(deadline)
		}
		id := newID()
		for hasID(queries, id) { // distinct IDs on one socket
			id = newID()
		}
		msg, err := buildQuery(id, q.name, q.typ, edns)
		if err != nil {
			return fail(err)
		}
		queries = append(queries, udpQuery{id: id, q: q, msg: msg[2:], sock: len(socks) - 1})
	}
	for i := range queries {
		if _, err := socks[queries[i].sock].Write(queries[i].msg); err != nil {
			return fail(err)
		}
		r.stats.queries.Add(1)
		sc.udp.Add(1)
	}

	bp := bufPool.Get().(*[maxDNSPacketSize]byte)
	defer bufPool.Put(bp)
	buf := bp[:]
	timedOut, answered := false, 0
	for s, conn := range socks {
		rto := r.rto()
		for waiting := countWaiting(queries, s); waiting > 0; {
			wait := time.Now().Add(rto)
			if wait.After(deadline) {
				wait = deadline
			}
			conn.SetReadDeadline(wait)
			n, err := conn.Read(buf)
			if err != nil {
				if !isTimeoutErr(err) {
					setUnanswered(queries, replies, s, err) // ECONNREFUSED and the like
					break
				}
				if !time.Now().Before(deadline) {
					timedOut = true
					setUnanswered(queries, replies, s, errTimeout)
					break
				}
				for i := range queries {
					if q := &queries[i]; q.sock == s && !q.done {
						if _, err := conn.Write(q.msg); err != nil {
							break
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
				if p, h, ok := matchReply(buf[:n], q.id, q.q.name, q.q.typ); ok {
					rp := readReply(&p, h, q.q.name, q.q.typ)
					if rp.trunc {
						rp = r.exchangeTCP(server, q.q, edns, deadline)
					}
					replies[i] = rp
					q.done, matched = true, true
					waiting--
					answered++
					if c != nil && len(rp.addrs) > 0 && answered < len(queries) {
						c.publish(rp) // the other family is still on its way
					}
					break
				}
			}
			if !matched {
				r.stats.dropped.Add(1)
			}
		}
	}
	if timedOut {
		r.stats.timeouts.Add(1)
		sc.timeouts.Add(1)
	}
	if answered > 0 {
		r.stats.answers.Add(int64(answered))
		sc.answers.Add(int64(answered))
		sc.latencySum.Add(int64(time.Since(begin)))
		sc.latencyN.Add(1)
	}
	return replies
}

// setUnanswered gives the questions on socket s still without an answer
// the reply err.
func setUnanswered(qs []udpQuery, replies []reply, s int, err error) {
	for i := range qs {
		if qs[i].sock == s && !qs[i].done {
			qs[i].done = true
			replies[i] = reply{err: err}
		}
	}
}

// bufPool holds the buffers UDP answers are read into.
var bufPool = sync.Pool{New: func() any { return new([maxDNSPacketSize]byte) }}

// udpQuery is one question of an exchange: its ID, the message sent,
// the socket (index) it went out on and whether its answer came.
type udpQuery struct {
	id   uint16
	q    question
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

// exchangeTCP asks server the question q over TCP (after a truncated UDP
// answer) and returns its reply, or the trouble met as the reply's error.
func (r *Async) exchangeTCP(server string, q question, edns bool, deadline time.Time) reply {
	sc := r.perServe[server]
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c, err := r.dial(ctx, "tcp", server)
	if err != nil {
		if ctx.Err() != nil {
			err = errTimeout
		}
		return reply{err: err}
	}
	defer c.Close()
	c.SetDeadline(deadline)
	id := newID()
	msg, err := buildQuery(id, q.name, q.typ, edns)
	if err != nil {
		return reply{err: err}
	}
	if _, err := c.Write(msg); err != nil {
		return reply{err: tcpErr(err)}
	}
	r.stats.queries.Add(1)
	sc.tcp.Add(1)
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return reply{err: tcpErr(err)}
	}
	in := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, in); err != nil {
		return reply{err: tcpErr(err)}
	}
	p, h, ok := matchReply(in, id, q.name, q.typ)
	if !ok {
		r.stats.dropped.Add(1)
		return reply{err: errMalformed}
	}
	r.stats.answers.Add(1)
	sc.answers.Add(1)
	rp := readReply(&p, h, q.name, q.typ)
	if rp.trunc {
		return reply{err: errMalformed} // TC over TCP makes no sense
	}
	return rp
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
