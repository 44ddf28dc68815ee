package crawl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

func init() { RegisterStore("bolt", openBolt) }

// boltStore is the Store "bolt:PATH", in a bbolt file: one machine, one
// process at a time (the file is locked), resumable. The queue, the
// visited set and the results are in the file, and every step is one
// transaction: Push marks keys visited and queues them; Complete queues a
// page's links, keeps its result once and removes it from the queue.
// Claims are not stored: a run that was killed left its claimed items in
// the queue, and the next run fetches them again (at most once more).
//
// Scheduling (hosts round-robin, per-host bound and delay) is a
// memoryFrontier's, loaded from the file when it is opened.
type boltStore struct {
	path     string
	db       *bolt.DB      // nil once closed, or when opened ReadOnly on a missing file
	missing  bool          // opened ReadOnly on a missing file
	damaged  *damagedError // opened ReadOnly on a file bbolt cannot open
	id       []byte
	mem      *memoryFrontier
	seqs     map[uint64]uint64 // key → queue sequence, of queued and claimed items
	readOnly bool
	server   *boltServer // a writer's server of reads (frontier_bolt_watch.go), or nil
	client   *boltClient // a reader's connection to the file's writer, or nil
}

// The buckets of a crawl, in the bucket named by its id.
var (
	boltSeen    = []byte("seen")    // visited keys
	boltQueue   = []byte("queue")   // sequence → item, queued or claimed
	boltDone    = []byte("done")    // keys with a result
	boltResults = []byte("results") // sequence → record
)

// openBolt opens (or creates) the bbolt file of spec, bolt:PATH, and
// loads the crawl opts.CrawlID from it. A file another process holds, or
// that is no bbolt file, is an error wrapping ErrStoreSetup. ReadOnly
// opens the file read-only and loads nothing; a missing file is not
// created (Exists says it is missing).
func openBolt(_ context.Context, spec string, o StoreOptions) (Store, error) {
	path := strings.TrimPrefix(spec, "bolt:")
	if path == "" {
		return nil, fmt.Errorf("%w: %q: want bolt:PATH", ErrStoreSetup, spec)
	}
	if o.CrawlID == "" {
		return nil, fmt.Errorf("%w: %s: empty crawl id", ErrStoreSetup, spec)
	}
	f := &boltStore{path: path, id: []byte(o.CrawlID), readOnly: o.ReadOnly}
	if o.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			f.missing = true
			return f, nil
		}
		if f.client = dialBolt(path); f.client != nil {
			return f, nil // a crawl runs on the file: its writer serves the reads
		}
		db, err := openBoltRead(path)
		var de *damagedError
		switch {
		case errors.As(err, &de):
			f.damaged = de // what the file holds is salvaged by ReadResults
		case err != nil:
			return nil, err
		}
		f.db = db
		return f, nil
	}
	if err := checkBolt(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, NoFreelistSync: true})
		return err
	})
	if err != nil {
		return nil, boltOpenError(path, err)
	}
	f.db = db
	f.mem = newMemoryFrontier(o)
	f.seqs = map[uint64]uint64{}
	if err := f.update(f.load); err != nil {
		db.Close()
		var de *damagedError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	}
	f.serve()
	return f, nil
}

// boltOpenError is the error of a failed bolt.Open: a damagedError if
// the file's content is at fault, else an error wrapping ErrStoreSetup.
func boltOpenError(path string, err error) error {
	var de *damagedError
	var pe *os.PathError
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		err = errors.New("in use by another process")
	case errors.As(err, &de):
		return de
	case errors.As(err, &pe): // not a file's content: permissions, a directory
	default: // bbolt refused the file: no meta page valid, too small
		return &damagedError{path: path, what: err.Error()}
	}
	return fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
}

// openBoltRead opens a bolt file read-only (a shared lock: it fails,
// in use, while a writer holds the file), guarded.
func openBoltRead(path string) (*bolt.DB, error) {
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, ReadOnly: true})
		return err
	})
	if err != nil {
		return nil, boltOpenError(path, err)
	}
	return db, nil
}

// checkBolt reads every page of an existing bolt file, read-only and
// guarded, and returns a damagedError if one is not what bbolt expects:
// opened for writing, bbolt rebuilds its free list (NoFreelistSync) at
// once by a walk of the pages on a goroutine of its own, where a damaged
// page's panic would end the process. A missing file, or one that cannot
// be opened, is left to the open that follows.
func checkBolt(path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	db, err := openBoltRead(path)
	var de *damagedError
	switch {
	case errors.As(err, &de):
		return de
	case err != nil:
		return nil // the open that follows says so
	}
	defer db.Close()
	return guard(path, func() error { return db.View(walkBolt) })
}

// walkBolt visits every bucket and key of a file (each branch and leaf
// page).
func walkBolt(tx *bolt.Tx) error {
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
}

func walkBucket(b *bolt.Bucket) error {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		if nb := b.Bucket(k); nb != nil {
			if err := walkBucket(nb); err != nil {
				return err
			}
		}
	}
	return nil
}

// load creates the buckets of the crawl, if new, and loads its visited
// set and queue.
func (f *boltStore) load(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(f.id)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{boltSeen, boltQueue, boltDone, boltResults} {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if err := b.Bucket(boltSeen).ForEach(func(k, _ []byte) error {
		if len(k) == 8 {
			f.mem.visited.Add(binary.BigEndian.Uint64(k))
		}
		return nil
	}); err != nil {
		return err
	}
	return b.Bucket(boltQueue).ForEach(func(k, v []byte) error {
		it, err := decodeItem(string(v))
		if err != nil || len(k) != 8 {
			return fmt.Errorf("queue entry %x: %v", k, err)
		}
		f.seqs[it.Key] = binary.BigEndian.Uint64(k)
		f.mem.enqueue(it)
		return nil
	})
}

// update runs a read-write transaction, guarded (a damaged file is an
// error, not a crash).
func (f *boltStore) update(fn func(*bolt.Tx) error) error {
	return guard(f.path, func() error { return f.db.Update(fn) })
}

// view runs a read-only transaction, guarded.
func (f *boltStore) view(fn func(*bolt.Tx) error) error {
	return guard(f.path, func() error { return f.db.View(fn) })
}

// Close implements Store.
func (f *boltStore) Close() error {
	if f.server != nil {
		f.server.stop()
		f.server = nil
	}
	if f.client != nil {
		f.client.close()
		f.client = nil
	}
	if f.db == nil {
		return nil
	}
	err := f.db.Close()
	f.db = nil
	return err
}

// writable returns the error of a write to f, if it may not be written.
func (f *boltStore) writable() error {
	switch {
	case f.readOnly:
		return fmt.Errorf("bolt %s: %w", f.path, errReadOnly)
	case f.db == nil:
		return fmt.Errorf("bolt %s: %w", f.path, bolterrors.ErrDatabaseNotOpen)
	}
	return nil
}

func be64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// pushTx stores the new items of items in tx and returns them (what the
// memory side then queues) with the counts; extra is how many more (or,
// negative, fewer) items the frontier holds outstanding than its memory
// side says, in the transaction so far.
func (f *boltStore) pushTx(b *bolt.Bucket, items []Item, fresh map[uint64]bool, extra int, extraBytes int64) ([]Item, []uint64, PushResult, error) {
	var pr PushResult
	var added []Item
	var seqs []uint64
	seen, queue := b.Bucket(boltSeen), b.Bucket(boltQueue)
	for _, it := range items {
		if f.mem.visited.Has(it.Key) || fresh[it.Key] {
			pr.Duplicates++
			continue
		}
		size := int64(ItemSize(it))
		if f.mem.full(extra+len(added), extraBytes+size) {
			pr.Dropped++
			continue
		}
		extraBytes += size
		seq, err := queue.NextSequence()
		if err != nil {
			return nil, nil, pr, err
		}
		if err := seen.Put(be64(it.Key), nil); err != nil {
			return nil, nil, pr, err
		}
		if err := queue.Put(be64(seq), appendItem(nil, it)); err != nil {
			return nil, nil, pr, err
		}
		fresh[it.Key] = true
		added = append(added, it)
		seqs = append(seqs, seq)
		pr.Added++
	}
	return added, seqs, pr, nil
}

// commit applies what a transaction stored to the memory side.
func (f *boltStore) commit(added []Item, seqs []uint64) {
	for i, it := range added {
		f.mem.visited.Add(it.Key)
		f.seqs[it.Key] = seqs[i]
		f.mem.enqueue(it)
	}
	f.note()
}

// Push implements Frontier.
func (f *boltStore) Push(items []Item) (PushResult, error) {
	if err := f.writable(); err != nil {
		return PushResult{}, err
	}
	if err := checkItems(items); err != nil {
		return PushResult{}, err
	}
	var added []Item
	var seqs []uint64
	var pr PushResult
	err := f.update(func(tx *bolt.Tx) error {
		var err error
		added, seqs, pr, err = f.pushTx(tx.Bucket(f.id), items, map[uint64]bool{}, 0, 0)
		return err
	})
	if err != nil {
		return PushResult{}, fmt.Errorf("bolt %s: %w", f.path, err)
	}
	f.commit(added, seqs)
	return pr, nil
}

// Visit implements Frontier.
func (f *boltStore) Visit(key uint64) (bool, error) {
	if err := f.writable(); err != nil {
		return false, err
	}
	if f.mem.visited.Has(key) {
		return false, nil
	}
	err := f.update(func(tx *bolt.Tx) error {
		return tx.Bucket(f.id).Bucket(boltSeen).Put(be64(key), nil)
	})
	if err != nil {
		return false, fmt.Errorf("bolt %s: %w", f.path, err)
	}
	return f.mem.visited.Add(key), nil
}

// Claim implements Frontier.
func (f *boltStore) Claim(now time.Time, max int) ([]Item, time.Duration, error) {
	if err := f.writable(); err != nil {
		return nil, 0, err
	}
	return f.mem.Claim(now, max)
}

// Done implements Frontier: the item is finished without a result.
func (f *boltStore) Done(it Item) error {
	_, _, err := f.Complete([]Completion{{Item: it}})
	return err
}

// Complete implements Store, in one transaction.
func (f *boltStore) Complete(done []Completion) (PushResult, int, error) {
	if err := f.writable(); err != nil {
		return PushResult{}, 0, err
	}
	held := map[uint64]bool{}
	for _, d := range done {
		if _, ok := f.mem.claims[d.Item.Key]; !ok {
			return PushResult{}, 0, notClaimed(d.Item)
		}
		if err := checkItems(d.Links); err != nil {
			return PushResult{}, 0, err
		}
		held[d.Item.Key] = true
	}
	var added []Item
	var seqs []uint64
	var pr PushResult
	stored := 0
	err := f.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(f.id)
		fresh := map[uint64]bool{}
		doneB, res, queue := b.Bucket(boltDone), b.Bucket(boltResults), b.Bucket(boltQueue)
		// The claims are released first: the links count against the
		// bound as they would after a Done.
		extra := -len(held)
		var extraBytes int64 // likewise in bytes: minus the claims, plus the links added
		freed := map[uint64]bool{}
		for _, d := range done {
			if !freed[d.Item.Key] {
				freed[d.Item.Key] = true
				extraBytes -= int64(ItemSize(d.Item))
			}
		}
		for _, d := range done {
			a, s, p, err := f.pushTx(b, d.Links, fresh, extra+len(added), extraBytes)
			for _, it := range a {
				extraBytes += int64(ItemSize(it))
			}
			if err != nil {
				return err
			}
			added, seqs = append(added, a...), append(seqs, s...)
			pr = pr.add(p)
			key := be64(d.Item.Key)
			if len(d.Record) > 0 && doneB.Get(key) == nil {
				seq, err := res.NextSequence()
				if err != nil {
					return err
				}
				if err := res.Put(be64(seq), d.Record); err != nil {
					return err
				}
				if err := doneB.Put(key, nil); err != nil {
					return err
				}
				stored++
			}
			if seq, ok := f.seqs[d.Item.Key]; ok {
				if err := queue.Delete(be64(seq)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return PushResult{}, 0, fmt.Errorf("bolt %s: %w", f.path, err)
	}
	for key := range held {
		delete(f.seqs, key)
	}
	for _, d := range done {
		if held[d.Item.Key] {
			f.mem.Done(d.Item)
			delete(held, d.Item.Key)
		}
	}
	f.commit(added, seqs)
	return pr, stored, nil
}

// Release implements Store: the item, still in the file's queue, is
// queued again in memory.
func (f *boltStore) Release(it Item) error {
	if err := f.writable(); err != nil {
		return err
	}
	if err := f.mem.Done(it); err != nil {
		return err
	}
	f.mem.enqueue(it)
	f.note()
	return nil
}

// SetHostDelay implements Frontier (for this run: robots.txt is fetched
// again by the next).
func (f *boltStore) SetHostDelay(host string, d time.Duration) error {
	if err := f.writable(); err != nil {
		return err
	}
	return f.mem.SetHostDelay(host, d)
}

// Outstanding implements Frontier.
func (f *boltStore) Outstanding() (int, error) {
	if f.mem == nil {
		return 0, nil // read-only: nothing is loaded, and nobody else writes
	}
	return f.mem.Outstanding()
}

// Stats implements Store.
func (f *boltStore) Stats() StoreStats { return StoreStats{} }

// Exists implements Store: the file holds the crawl when its bucket has
// keys seen or results kept.
func (f *boltStore) Exists(context.Context) error {
	switch {
	case f.missing:
		return fmt.Errorf("%w: %s does not exist (fetch --frontier bolt:%s creates it)", ErrNoCrawl, f.path, f.path)
	case f.damaged != nil:
		return nil // which crawls it holds cannot be told: ReadResults salvages what it can
	case f.client != nil:
		if err := f.client.exists(f.id); err != nil {
			var re remoteError
			if errors.As(err, &re) {
				return err
			}
			return fmt.Errorf("bolt %s: asking the crawl that runs on it: %w", f.path, err)
		}
		return nil
	case f.db == nil:
		return fmt.Errorf("bolt %s: %w", f.path, bolterrors.ErrDatabaseNotOpen)
	}
	var ids []string
	found := false
	err := f.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if !boltHolds(b) {
				return nil
			}
			if string(name) == string(f.id) {
				found = true
			}
			if len(ids) < 10 {
				ids = append(ids, strconv.Quote(string(name)))
			}
			return nil
		})
	})
	var de *damagedError
	switch {
	case errors.As(err, &de):
		return nil // which crawls it holds cannot be told: ReadResults salvages what it can
	case err != nil:
		return fmt.Errorf("bolt %s: %w", f.path, err)
	case found:
		return nil
	case len(ids) == 0:
		return fmt.Errorf("%w: %s holds no crawl", ErrNoCrawl, f.path)
	}
	return fmt.Errorf("%w: %s holds no crawl %q (it holds %s)", ErrNoCrawl, f.path, f.id, strings.Join(ids, ", "))
}

// boltHolds reports whether the bucket of a crawl has keys seen or
// results kept.
func boltHolds(b *bolt.Bucket) bool {
	for _, name := range [][]byte{boltSeen, boltResults} {
		if s := b.Bucket(name); s != nil {
			if k, _ := s.Cursor().First(); k != nil {
				return true
			}
		}
	}
	return false
}

// ReadResults implements Store. While a crawl runs on the file, its
// writer serves the records (frontier_bolt_watch.go); else the file is
// read. With follow, it reads on, from the writer or the file as the
// crawl comes and goes, until the crawl has nothing queued or claimed
// (or ctx ends), and holds the file's lock only while it reads. A
// damaged file gives what can be read through bbolt, then what a scan
// of the file salvages (see salvageRecords), and an error wrapping
// ErrStoreDamaged that says how many of each.
func (f *boltStore) ReadResults(ctx context.Context, follow bool, fn func(record []byte) error) error {
	switch {
	case f.missing:
		return nil
	case f.damaged != nil:
		de := *f.damaged
		de.results = true
		var err error
		if de.salvaged, err = salvageRecords(f.path, &VisitedSet{}, fn); err != nil {
			return err
		}
		return &de
	case f.db == nil && f.client == nil:
		return fmt.Errorf("bolt %s: %w", f.path, bolterrors.ErrDatabaseNotOpen)
	}
	var after uint64
	var given VisitedSet // hashes of the records given, kept only to salvage
	read := 0
	final := false // the crawl had nothing left: one more read, then the end
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.client == nil && f.db == nil {
			f.client = dialBolt(f.path)
		}
		var left, more bool
		var err error
		if f.client != nil {
			left, more, err = f.client.read(f.id, &after, fn)
			var ce callerError
			if errors.As(err, &ce) {
				return ce.err
			}
			if err != nil {
				// The writer ended (or broke): the file, free again,
				// is read from where it stopped.
				f.client.close()
				f.client = nil
				continue
			}
		} else {
			if f.db == nil {
				db, err := openBoltRead(f.path)
				var de *damagedError
				switch {
				case errors.As(err, &de):
					f.damaged = de
					return f.ReadResults(ctx, false, fn)
				case errors.Is(err, ErrStoreSetup) && follow:
					// Held by a writer that serves no reads (one
					// starting, or ending): asked again.
					if err := sleepCtx(ctx, followPoll); err != nil {
						return err
					}
					continue
				case err != nil:
					return err
				}
				f.db = db
			}
			var ferr error
			left, more, err = f.readAfter(after, 0, func(seq uint64, v []byte) error {
				rec := append([]byte(nil), v...)
				given.Add(recordHash(rec))
				if ferr = fn(rec); ferr != nil {
					return ferr
				}
				after = seq
				read++
				return nil
			})
			if ferr != nil {
				return ferr
			}
			var de *damagedError
			if errors.As(err, &de) {
				de.results, de.read = true, read
				if de.salvaged, err = salvageRecords(f.path, &given, fn); err != nil {
					return err
				}
				return de
			}
			if err != nil {
				return err
			}
			if follow {
				f.db.Close() // a crawl may start on the file meanwhile
				f.db = nil
			}
			if !left {
				final = true // nothing runs: what the file holds is all
			}
		}
		switch {
		case more:
			continue
		case !follow || final:
			return nil
		case !left:
			final = true
			continue
		}
		if err := sleepCtx(ctx, followPoll); err != nil {
			return err
		}
	}
}
