package crawl

import (
	"fmt"
	"time"
)

// Item is one URL of a crawl on its way through the frontier.
type Item struct {
	URL    string // normalized (see Normalize)
	Key    uint64 // Hash(URL): the visited-set key
	Host   string // host[:port], the unit of politeness
	Depth  int    // 0 for a seed
	Parent string // the page that first linked to it; "" for a seed or a sitemap entry
}

// PushResult counts what Push did with a batch of items.
type PushResult struct {
	Added      int // new URLs, now queued
	Duplicates int // already visited or queued
	Dropped    int // new, but the frontier was full: not queued (and not marked visited)
}

func (p PushResult) add(q PushResult) PushResult {
	return PushResult{p.Added + q.Added, p.Duplicates + q.Duplicates, p.Dropped + q.Dropped}
}

// Frontier is the queue of URLs a crawl has yet to fetch and the set of
// URLs it has seen. The crawl driver is its only user. Every Store is a
// Frontier; the interface is shaped for a shared frontier (a store
// several workers use at once):
//
//   - Push tests and sets the visited key and enqueues in one step per
//     item, so two workers that find a URL at once enqueue it once;
//   - Claim hands out items ready to start now, honouring per-host
//     concurrency and delays for every user of the frontier; a claimed item
//     stays owned (and its host slot taken) until Done, so a store can give
//     an item whose worker died to another after a claim timeout;
//   - Outstanding counts queued plus claimed items over all users, so a
//     crawl ends when it is zero everywhere, not when one queue is empty.
//
// Methods return errors so that a remote store can report failures; the
// memory frontier fails only when it is misused (an item that has no text
// form, a Done of an item it does not hold). A Frontier used by one
// driver need not be safe for concurrent use.
type Frontier interface {
	// Push enqueues the items whose keys are not yet visited and marks
	// them visited, atomically per item.
	Push(items []Item) (PushResult, error)
	// Visit marks key visited without enqueueing it (a redirect target
	// fetched in place) and reports whether it was new.
	Visit(key uint64) (bool, error)
	// Claim returns up to max items that may start at now, at most one
	// batch per host turn, hosts interleaved round-robin; when none is
	// ready it returns the time until one may be (0 if nothing is queued
	// or every host with queued items is at its concurrency limit).
	Claim(now time.Time, max int) ([]Item, time.Duration, error)
	// Done releases a claimed item: its host's slot is free again. An
	// item this frontier does not hold claimed is an error.
	Done(item Item) error
	// SetHostDelay sets the least time between request starts to host
	// (--delay, or a longer robots.txt Crawl-delay).
	SetHostDelay(host string, d time.Duration) error
	// Outstanding returns the number of items queued or claimed.
	Outstanding() (int, error)
}

// memoryFrontier is a Frontier in memory: a breadth-first FIFO queue per
// host, hosts served round-robin, a VisitedSet of 64-bit keys. It holds at
// most max items outstanding (beyond, Push drops and counts them). Not
// safe for concurrent use.
type memoryFrontier struct {
	perHost int           // items of one host claimed at once
	delay   time.Duration // least time between request starts to a host, unless SetHostDelay says otherwise
	max     int           // bound of queued plus claimed items; 0: none

	visited VisitedSet
	hosts   map[string]*hostQueue
	ring    []*hostQueue // hosts with queued items, in round-robin order
	next    int          // index in ring of the next host to serve
	queued  int
	claims  map[uint64]struct{} // keys of the items claimed
}

// newMemoryFrontier returns an empty frontier with the limits of o.
func newMemoryFrontier(o StoreOptions) *memoryFrontier {
	return &memoryFrontier{perHost: o.perHost(), delay: o.Delay, max: o.maxFrontier(), claims: map[uint64]struct{}{}}
}

type hostQueue struct {
	name     string
	items    []Item // FIFO: items[head:]
	head     int
	inflight int
	delay    time.Duration
	hasDelay bool
	nextAt   time.Time // the earliest start of its next request
	inRing   bool
}

func (f *memoryFrontier) host(name string) *hostQueue {
	if f.hosts == nil {
		f.hosts = map[string]*hostQueue{}
	}
	h := f.hosts[name]
	if h == nil {
		h = &hostQueue{name: name}
		f.hosts[name] = h
	}
	return h
}

// Push implements Frontier.
func (f *memoryFrontier) Push(items []Item) (PushResult, error) {
	if err := checkItems(items); err != nil {
		return PushResult{}, err
	}
	var pr PushResult
	for _, it := range items {
		if f.visited.Has(it.Key) {
			pr.Duplicates++
			continue
		}
		if f.full(0) {
			pr.Dropped++
			continue
		}
		f.visited.Add(it.Key)
		f.enqueue(it)
		pr.Added++
	}
	return pr, nil
}

// full reports whether the frontier, with extra more items, is at its
// bound.
func (f *memoryFrontier) full(extra int) bool {
	return f.max > 0 && f.queued+len(f.claims)+extra >= f.max
}

// enqueue queues an item whose key is visited already.
func (f *memoryFrontier) enqueue(it Item) {
	h := f.host(it.Host)
	h.items = append(h.items, it)
	f.queued++
	if !h.inRing {
		h.inRing = true
		f.ring = append(f.ring, h)
	}
}

// Visit implements Frontier.
func (f *memoryFrontier) Visit(key uint64) (bool, error) { return f.visited.Add(key), nil }

// Claim implements Frontier.
func (f *memoryFrontier) Claim(now time.Time, max int) ([]Item, time.Duration, error) {
	perHost := f.perHost
	var out []Item
	var wait time.Duration
	for len(out) < max && len(f.ring) > 0 {
		progress := false
		for i := 0; i < len(f.ring) && len(out) < max; {
			if f.next >= len(f.ring) {
				f.next = 0
			}
			h := f.ring[f.next]
			if h.head == len(h.items) { // drained: leave the ring
				h.items, h.head, h.inRing = nil, 0, false
				f.ring = append(f.ring[:f.next], f.ring[f.next+1:]...)
				continue
			}
			i++
			f.next++
			if h.inflight >= perHost {
				continue
			}
			if h.nextAt.After(now) {
				if d := h.nextAt.Sub(now); wait == 0 || d < wait {
					wait = d
				}
				continue
			}
			it := h.items[h.head]
			h.items[h.head] = Item{}
			h.head++
			if h.head > 64 && 2*h.head >= len(h.items) { // compact the FIFO
				n := copy(h.items, h.items[h.head:])
				clear(h.items[n:])
				h.items, h.head = h.items[:n], 0
			}
			h.inflight++
			f.queued--
			f.claims[it.Key] = struct{}{}
			d := f.delay
			if h.hasDelay {
				d = h.delay
			}
			if d > 0 {
				h.nextAt = now.Add(d)
			}
			out = append(out, it)
			progress = true
		}
		if !progress {
			break
		}
	}
	if len(out) > 0 {
		wait = 0
	}
	return out, wait, nil
}

// Done implements Frontier.
func (f *memoryFrontier) Done(it Item) error {
	if _, ok := f.claims[it.Key]; !ok {
		return notClaimed(it)
	}
	delete(f.claims, it.Key)
	if h := f.hosts[it.Host]; h != nil && h.inflight > 0 {
		h.inflight--
	}
	return nil
}

// notClaimed is the error of a Done, Complete or Release of an item the
// frontier does not hold claimed.
func notClaimed(it Item) error {
	return fmt.Errorf("%s completed or released but not claimed", it.URL)
}

// SetHostDelay implements Frontier.
func (f *memoryFrontier) SetHostDelay(host string, d time.Duration) error {
	h := f.host(host)
	h.delay, h.hasDelay = d, true
	return nil
}

// Outstanding implements Frontier.
func (f *memoryFrontier) Outstanding() (int, error) { return f.queued + len(f.claims), nil }
