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

// BoltFrontier is a StoreFrontier in a bbolt file: one machine, one
// process at a time (the file is locked), resumable. The queue, the
// visited set and the results are in the file, and every step is one
// transaction: Push marks keys visited and queues them; Complete queues a
// page's links, keeps its result once and removes it from the queue.
// Claims are not stored: a run that was killed left its claimed items in
// the queue, and the next run fetches them again (at most once more).
//
// Scheduling (hosts round-robin, per-host bound and delay) is a
// MemoryFrontier's, loaded from the file when it is opened.
type BoltFrontier struct {
	db   *bolt.DB
	id   []byte
	mem  *MemoryFrontier
	seqs map[uint64]uint64 // key → queue sequence, of queued and claimed items
}

// OpenBolt opens (or creates) the bbolt file at path and loads the crawl
// id from it. perHost, delay and maxQueued are the MemoryFrontier's. A
// file another process holds, or that is no bbolt file, is an error
// wrapping ErrStoreSetup.
func OpenBolt(path, id string, perHost int, delay time.Duration, maxQueued int) (*BoltFrontier, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: empty crawl id", ErrStoreSetup)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, NoFreelistSync: true})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			err = errors.New("in use by another process")
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	}
	f := &BoltFrontier{db: db, id: []byte(id), seqs: map[uint64]uint64{},
		mem: &MemoryFrontier{PerHost: perHost, Delay: delay, MaxQueued: maxQueued}}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(f.id)
		if err != nil {
			return err
		}
		for _, name := range []string{"seen", "queue", "done", "results"} {
			if _, err := b.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		if err := b.Bucket([]byte("seen")).ForEach(func(k, _ []byte) error {
			if len(k) == 8 {
				f.mem.visited.Add(binary.BigEndian.Uint64(k))
			}
			return nil
		}); err != nil {
			return err
		}
		return b.Bucket([]byte("queue")).ForEach(func(k, v []byte) error {
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

// enqueue queues an item whose key is visited already.
func (f *MemoryFrontier) enqueue(it Item) {
	h := f.host(it.Host)
	h.items = append(h.items, it)
	f.queued++
	if !h.inRing {
		h.inRing = true
		f.ring = append(f.ring, h)
	}
}

// Close closes the file.
func (f *BoltFrontier) Close() error { return f.db.Close() }

func be64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// pushTx stores the new items of items in tx and returns them (what the
// memory side then queues) with the counts.
func (f *BoltFrontier) pushTx(b *bolt.Bucket, items []Item, fresh map[uint64]bool, already int) ([]Item, []uint64, PushResult, error) {
	var pr PushResult
	var added []Item
	var seqs []uint64
	max := f.mem.MaxQueued
	if max <= 0 {
		max = DefaultMaxFrontier
	}
	seen, queue := b.Bucket([]byte("seen")), b.Bucket([]byte("queue"))
	for _, it := range items {
		if f.mem.visited.Has(it.Key) || fresh[it.Key] {
			pr.Duplicates++
			continue
		}
		if f.mem.queued+already+len(added) >= max {
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
		if err := queue.Put(be64(seq), encodeItem(nil, it)); err != nil {
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
func (f *BoltFrontier) commit(added []Item, seqs []uint64) {
	for i, it := range added {
		f.mem.visited.Add(it.Key)
		f.seqs[it.Key] = seqs[i]
		f.mem.enqueue(it)
	}
}

// Push implements Frontier.
func (f *BoltFrontier) Push(items []Item) (PushResult, error) {
	var added []Item
	var seqs []uint64
	var pr PushResult
	err := f.db.Update(func(tx *bolt.Tx) error {
		var err error
		added, seqs, pr, err = f.pushTx(tx.Bucket(f.id), items, map[uint64]bool{}, 0)
		return err
	})
	if err != nil {
		return PushResult{}, fmt.Errorf("bolt %s: %w", f.db.Path(), err)
	}
	f.commit(added, seqs)
	return pr, nil
}

// Visit implements Frontier.
func (f *BoltFrontier) Visit(key uint64) (bool, error) {
	if f.mem.visited.Has(key) {
		return false, nil
	}
	err := f.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(f.id).Bucket([]byte("seen")).Put(be64(key), nil)
	})
	if err != nil {
		return false, fmt.Errorf("bolt %s: %w", f.db.Path(), err)
	}
	return f.mem.visited.Add(key), nil
}

// Claim implements Frontier.
func (f *BoltFrontier) Claim(now time.Time, max int) ([]Item, time.Duration, error) {
	return f.mem.Claim(now, max)
}

// Done implements Frontier: the item is finished without a result.
func (f *BoltFrontier) Done(it Item) error {
	_, _, err := f.Complete([]Completion{{Item: it}})
	return err
}

// Complete implements StoreFrontier, in one transaction.
func (f *BoltFrontier) Complete(done []Completion) (PushResult, int, error) {
	var added []Item
	var seqs []uint64
	var pr PushResult
	stored := 0
	err := f.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(f.id)
		fresh := map[uint64]bool{}
		doneB, res, queue := b.Bucket([]byte("done")), b.Bucket([]byte("results")), b.Bucket([]byte("queue"))
		for _, d := range done {
			a, s, p, err := f.pushTx(b, d.Links, fresh, len(added))
			if err != nil {
				return err
			}
			added, seqs = append(added, a...), append(seqs, s...)
			pr.Added += p.Added
			pr.Duplicates += p.Duplicates
			pr.Dropped += p.Dropped
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
		return PushResult{}, 0, fmt.Errorf("bolt %s: %w", f.db.Path(), err)
	}
	for _, d := range done {
		delete(f.seqs, d.Item.Key)
		f.mem.Done(d.Item)
	}
	f.commit(added, seqs)
	return pr, stored, nil
}

// Release implements StoreFrontier: the item, still in the file's queue,
// is queued again in memory.
func (f *BoltFrontier) Release(it Item) error {
	f.mem.Done(it)
	f.mem.enqueue(it)
	return nil
}

// SetHostDelay implements Frontier (for this run: robots.txt is fetched
// again by the next).
func (f *BoltFrontier) SetHostDelay(host string, d time.Duration) error {
	return f.mem.SetHostDelay(host, d)
}

// Outstanding implements Frontier.
func (f *BoltFrontier) Outstanding() (int, error) { return f.mem.Outstanding() }

// ReadResults calls fn with each result record of the crawl, in the
// order they were stored. follow changes nothing: the file has one user
// at a time, so the crawl is not running.
// ErrNoCrawl is what BoltCrawlExists and RedisFrontier.Exists report for a
// store that holds no crawl (or list) of the id asked for.
var ErrNoCrawl = errors.New("no such crawl")

// BoltCrawlExists reports, without creating or changing anything, whether
// the bbolt file at path holds the crawl (or list) id: nil if it does, an
// error wrapping ErrNoCrawl that names the crawls it does hold if not (or
// if there is no such file), or the error that kept the file from being
// read.
func BoltCrawlExists(path, id string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist (fetch --frontier bolt:%s creates it)", ErrNoCrawl, path, path)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			err = errors.New("in use by another process")
		}
		return fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	}
	defer db.Close()
	var ids []string
	found := false
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if string(name) == id {
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
		return fmt.Errorf("%w: %s: %v", ErrStoreSetup, path, err)
	case found:
		return nil
	case len(ids) == 0:
		return fmt.Errorf("%w: %s holds no crawl", ErrNoCrawl, path)
	}
	return fmt.Errorf("%w: %s holds no crawl %q (it holds %s)", ErrNoCrawl, path, id, strings.Join(ids, ", "))
}

func (f *BoltFrontier) ReadResults(ctx context.Context, follow bool, fn func(record []byte) error) error {
	return f.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(f.id).Bucket([]byte("results")).ForEach(func(_, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(append([]byte(nil), v...))
		})
	})
}
