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
	db       *bolt.DB // nil once closed, or when opened ReadOnly on a missing file
	missing  bool     // opened ReadOnly on a missing file
	id       []byte
	mem      *memoryFrontier
	seqs     map[uint64]uint64 // key → queue sequence, of queued and claimed items
	readOnly bool
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
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, ReadOnly: o.ReadOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			err = errors.New("in use by another process")
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	}
	f.db = db
	if o.ReadOnly {
		return f, nil
	}
	f.mem = newMemoryFrontier(o)
	f.seqs = map[uint64]uint64{}
	err = db.Update(func(tx *bolt.Tx) error {
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
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	}
	return f, nil
}

// Close implements Store.
func (f *boltStore) Close() error {
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
func (f *boltStore) pushTx(b *bolt.Bucket, items []Item, fresh map[uint64]bool, extra int) ([]Item, []uint64, PushResult, error) {
	var pr PushResult
	var added []Item
	var seqs []uint64
	seen, queue := b.Bucket(boltSeen), b.Bucket(boltQueue)
	for _, it := range items {
		if f.mem.visited.Has(it.Key) || fresh[it.Key] {
			pr.Duplicates++
			continue
		}
		if f.mem.full(extra + len(added)) {
			pr.Dropped++
			continue
		}
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
	err := f.db.Update(func(tx *bolt.Tx) error {
		var err error
		added, seqs, pr, err = f.pushTx(tx.Bucket(f.id), items, map[uint64]bool{}, 0)
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
	err := f.db.Update(func(tx *bolt.Tx) error {
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
	err := f.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(f.id)
		fresh := map[uint64]bool{}
		doneB, res, queue := b.Bucket(boltDone), b.Bucket(boltResults), b.Bucket(boltQueue)
		// The claims are released first: the links count against the
		// bound as they would after a Done.
		extra := -len(held)
		for _, d := range done {
			a, s, p, err := f.pushTx(b, d.Links, fresh, extra+len(added))
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
	case f.db == nil:
		return fmt.Errorf("bolt %s: %w", f.path, bolterrors.ErrDatabaseNotOpen)
	}
	var ids []string
	found := false
	err := f.db.View(func(tx *bolt.Tx) error {
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
	switch {
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

// ReadResults implements Store. Follow changes nothing: the file has one
// user at a time, so the crawl is not running.
func (f *boltStore) ReadResults(ctx context.Context, _ bool, fn func(record []byte) error) error {
	switch {
	case f.missing:
		return nil
	case f.db == nil:
		return fmt.Errorf("bolt %s: %w", f.path, bolterrors.ErrDatabaseNotOpen)
	}
	return f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(f.id)
		if b == nil || b.Bucket(boltResults) == nil {
			return nil
		}
		return b.Bucket(boltResults).ForEach(func(_, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(append([]byte(nil), v...))
		})
	})
}
