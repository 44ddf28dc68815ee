package crawl

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A bolt file is locked by the process that crawls on it, and bbolt
// gives a second process no safe way in while it writes: a read-only
// open takes a shared lock the writer's exclusive one excludes, and a
// reader in another process that ignored the lock would read pages the
// writer reuses under it (bbolt frees a page once no transaction of its
// own process needs it). So the writer serves the reads: it listens on
// an abstract Unix socket named by the file (boltSocketName; Linux), and
// answers each request with a read-only transaction of its own, which
// bbolt runs beside its writes, consistent. fetch results, opened
// read-only, asks the writer when one answers, and reads the file
// itself when none does (the crawl is not running); with follow it
// switches between the two as the writer comes and goes.
//
// The protocol is lines of text, one request and its answer at a time:
//
//	exists ID            ok | no MESSAGE             (MESSAGE quoted, Go syntax)
//	read ID AFTER        r SEQ LEN\n RECORD …, then e LEFT MORE
//
// ID is quoted; read gives the records of sequence above AFTER, at most
// boltServeBatch, then LEFT (1 while the crawl has URLs queued or
// claimed) and MORE (1 when more records are there already).

// boltServeBatch bounds the records of one answer.
const boltServeBatch = 1000

// maxBoltRequest bounds a request line.
const maxBoltRequest = 4096

// boltServer is a writer's server of reads.
type boltServer struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
	out   atomic.Int64 // the writer's crawl's outstanding items
}

// serve starts the server of f's file, if the platform has one; a
// failure to listen leaves the file unserved (readers wait for its end).
func (f *boltStore) serve() {
	name, err := boltSocketName(f.path)
	if err != nil {
		return
	}
	l, err := net.Listen("unix", name)
	if err != nil {
		return
	}
	s := &boltServer{l: l, conns: map[net.Conn]struct{}{}}
	f.server = s
	s.out.Store(int64(f.mem.queued + len(f.mem.claims)))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !samePeerUser(c) {
				c.Close()
				continue
			}
			s.mu.Lock()
			if s.done {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				f.serveConn(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
		}
	}()
}

// note tells the server how many items the crawl has outstanding.
func (f *boltStore) note() {
	if f.server != nil && f.mem != nil {
		f.server.out.Store(int64(f.mem.queued + len(f.mem.claims)))
	}
}

// stop ends the server and waits for its reads: the file is closed next.
func (s *boltServer) stop() {
	s.mu.Lock()
	s.done = true
	s.l.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serveConn answers the requests of one reader until it goes.
func (f *boltStore) serveConn(c net.Conn) {
	r := bufio.NewReaderSize(c, maxBoltRequest)
	w := bufio.NewWriter(c)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		verb, rest, _ := strings.Cut(strings.TrimSuffix(string(line), "\n"), " ")
		id, rest, err := cutQuoted(rest)
		if err != nil {
			return
		}
		switch verb {
		case "exists":
			g := &boltStore{path: f.path, db: f.db, id: []byte(id)}
			if err := g.Exists(context.Background()); err != nil {
				fmt.Fprintf(w, "no %s\n", strconv.Quote(err.Error()))
			} else {
				w.WriteString("ok\n")
			}
		case "read":
			after, err := strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				return
			}
			g := &boltStore{path: f.path, db: f.db, id: []byte(id)}
			var werr error
			left, more, err := g.readAfter(after, boltServeBatch, func(seq uint64, rec []byte) error {
				fmt.Fprintf(w, "r %d %d\n", seq, len(rec))
				_, werr = w.Write(rec)
				return werr
			})
			if err != nil || werr != nil {
				return // the reader reads the file itself, and meets the error there
			}
			if id == string(f.id) {
				left = f.server.out.Load() > 0
			}
			fmt.Fprintf(w, "e %d %d\n", b2i(left), b2i(more))
		default:
			return
		}
		if w.Flush() != nil {
			return
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cutQuoted cuts a Go-quoted string off the front of s.
func cutQuoted(s string) (string, string, error) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	v, err := strconv.Unquote(q)
	return v, strings.TrimPrefix(s[len(q):], " "), err
}

// readAfter reads in one guarded transaction up to max (0: every)
// records of f's crawl with a sequence above after, giving each to fn
// with its sequence; left says whether the crawl has URLs queued or
// claimed in the file, more whether records are left past max.
func (f *boltStore) readAfter(after uint64, max int, fn func(seq uint64, rec []byte) error) (left, more bool, err error) {
	err = f.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(f.id)
		if b == nil {
			found := false
			tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				found = found || string(name) == string(f.id)
				return nil
			})
			if found { // listed, but not found by its name: a damaged page
				return &damagedError{path: f.path, what: fmt.Sprintf("crawl %q is listed but cannot be looked up", f.id)}
			}
			return fmt.Errorf("%w: %s holds no crawl %q", ErrNoCrawl, f.path, f.id)
		}
		for _, name := range [][]byte{boltSeen, boltQueue, boltDone, boltResults} {
			if b.Bucket(name) == nil {
				// A crawl's buckets are made together: a page that
				// lost some is damaged (bbolt checks no checksum).
				return &damagedError{path: f.path, what: fmt.Sprintf("crawl %q has no %s bucket", f.id, name)}
			}
		}
		k, _ := b.Bucket(boltQueue).Cursor().First()
		left = k != nil
		c := b.Bucket(boltResults).Cursor()
		n := 0
		for k, v := c.Seek(be64(after + 1)); k != nil; k, v = c.Next() {
			if max > 0 && n == max {
				more = true
				return nil
			}
			if len(k) != 8 {
				continue
			}
			if err := fn(binary.BigEndian.Uint64(k), v); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return left, more, err
}

// boltClient is a reader's connection to the writer of a file.
type boltClient struct {
	c net.Conn
	r *bufio.Reader
}

// dialBolt connects to the writer of the file at path, if one serves it.
func dialBolt(path string) *boltClient {
	name, err := boltSocketName(path)
	if err != nil {
		return nil
	}
	c, err := net.DialTimeout("unix", name, time.Second)
	if err != nil {
		return nil
	}
	return &boltClient{c: c, r: bufio.NewReaderSize(c, 64<<10)}
}

func (bc *boltClient) close() { bc.c.Close() }

// maxServedRecord bounds a record a writer sends.
const maxServedRecord = 64 << 20

// remoteError is an error the writer reported.
type remoteError struct{ msg string }

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return ErrNoCrawl }

// exists asks the writer whether the file holds crawl id.
func (bc *boltClient) exists(id []byte) error {
	bc.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(bc.c, "exists %s\n", strconv.Quote(string(id))); err != nil {
		return err
	}
	line, err := bc.r.ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimSuffix(line, "\n")
	if line == "ok" {
		return nil
	}
	msg, err := strconv.Unquote(strings.TrimPrefix(line, "no "))
	if err != nil {
		return fmt.Errorf("bolt writer: unexpected answer %q", line)
	}
	return remoteError{msg}
}

// read asks the writer for the records of crawl id after seq *after,
// gives them to fn and moves *after past them.
func (bc *boltClient) read(id []byte, after *uint64, fn func([]byte) error) (left, more bool, err error) {
	bc.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(bc.c, "read %s %d\n", strconv.Quote(string(id)), *after); err != nil {
		return false, false, err
	}
	for {
		line, err := bc.r.ReadString('\n')
		if err != nil {
			return false, false, err
		}
		var a, b uint64
		switch {
		case strings.HasPrefix(line, "e "):
			if _, err := fmt.Sscanf(line, "e %d %d\n", &a, &b); err != nil {
				return false, false, fmt.Errorf("bolt writer: unexpected answer %q", line)
			}
			return a == 1, b == 1, nil
		case strings.HasPrefix(line, "r "):
			if _, err := fmt.Sscanf(line, "r %d %d\n", &a, &b); err != nil || b > maxServedRecord {
				return false, false, fmt.Errorf("bolt writer: unexpected answer %q", line)
			}
			rec := make([]byte, b)
			if _, err := io.ReadFull(bc.r, rec); err != nil {
				return false, false, err
			}
			if err := fn(rec); err != nil {
				return false, false, callerError{err}
			}
			*after = a
		default:
			return false, false, fmt.Errorf("bolt writer: unexpected answer %q", line)
		}
	}
}

// callerError is the error of the caller's fn, returned as it is.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

// errFollowPoll is how often a follower asks again.
const followPoll = 200 * time.Millisecond

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
