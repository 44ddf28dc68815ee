package crawl

import (
	"context"
	"fmt"
	"time"
)

func init() {
	RegisterStore("memory", func(_ context.Context, spec string, o StoreOptions) (Store, error) {
		if spec != "memory" {
			return nil, fmt.Errorf("%w: %q: the memory store takes nothing after its name", ErrStoreSetup, spec)
		}
		return newMemoryStore(o), nil
	})
}

// memoryStore is the Store "memory": a memoryFrontier and the records
// Complete is given, in this process, for as long as the handle lives. A
// second handle is a second store. Its records grow with the crawl: Run
// keeps one only when Config.Record makes one.
//
// Run uses a memory store in place, as its own frontier: it calls it from
// the engine's hooks and follows redirects in place (a store elsewhere is
// never called from there).
type memoryStore struct {
	*memoryFrontier
	results  [][]byte
	done     VisitedSet // keys of the URLs with a record
	readOnly bool
}

func newMemoryStore(o StoreOptions) *memoryStore {
	return &memoryStore{memoryFrontier: newMemoryFrontier(o), readOnly: o.ReadOnly}
}

// Push implements Frontier.
func (s *memoryStore) Push(items []Item) (PushResult, error) {
	if s.readOnly {
		return PushResult{}, errReadOnly
	}
	return s.memoryFrontier.Push(items)
}

// Visit implements Frontier.
func (s *memoryStore) Visit(key uint64) (bool, error) {
	if s.readOnly {
		return false, errReadOnly
	}
	return s.memoryFrontier.Visit(key)
}

// SetHostDelay implements Frontier.
func (s *memoryStore) SetHostDelay(host string, d time.Duration) error {
	if s.readOnly {
		return errReadOnly
	}
	return s.memoryFrontier.SetHostDelay(host, d)
}

// Complete implements Store.
func (s *memoryStore) Complete(done []Completion) (PushResult, int, error) {
	if s.readOnly {
		return PushResult{}, 0, errReadOnly
	}
	for _, d := range done {
		if _, ok := s.claims[d.Item.Key]; !ok {
			return PushResult{}, 0, notClaimed(d.Item)
		}
		if err := checkItems(d.Links); err != nil {
			return PushResult{}, 0, err
		}
	}
	var pr PushResult
	stored := 0
	for _, d := range done {
		if _, ok := s.claims[d.Item.Key]; !ok {
			continue // twice in done: the first one counts
		}
		s.memoryFrontier.Done(d.Item)
		p, _ := s.memoryFrontier.Push(d.Links)
		pr = pr.add(p)
		if s.keep(d.Item.Key, d.Record) {
			stored++
		}
	}
	return pr, stored, nil
}

// keep keeps rec as the result of key unless key has one, or rec is empty.
func (s *memoryStore) keep(key uint64, rec []byte) bool {
	if len(rec) == 0 || s.done.Has(key) {
		return false
	}
	s.done.Add(key)
	s.results = append(s.results, append([]byte(nil), rec...))
	return true
}

// Done implements Frontier: the item is finished without a result.
func (s *memoryStore) Done(it Item) error {
	if s.readOnly {
		return errReadOnly
	}
	return s.memoryFrontier.Done(it)
}

// Release implements Store.
func (s *memoryStore) Release(it Item) error {
	if s.readOnly {
		return errReadOnly
	}
	if err := s.memoryFrontier.Done(it); err != nil {
		return err
	}
	s.enqueue(it)
	return nil
}

// ReadResults implements Store. Follow changes nothing: the store has no
// writer but its caller.
func (s *memoryStore) ReadResults(ctx context.Context, _ bool, fn func([]byte) error) error {
	for _, r := range s.results[:len(s.results):len(s.results)] {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(append([]byte(nil), r...)); err != nil {
			return err
		}
	}
	return nil
}

// Exists implements Store.
func (s *memoryStore) Exists(context.Context) error {
	if s.visited.Len() == 0 && len(s.results) == 0 {
		return fmt.Errorf("%w: the memory store holds nothing (it lasts as long as its process)", ErrNoCrawl)
	}
	return nil
}

// Stats implements Store.
func (s *memoryStore) Stats() StoreStats { return StoreStats{} }

// Close implements Store: there is nothing to release.
func (s *memoryStore) Close() error { return nil }
