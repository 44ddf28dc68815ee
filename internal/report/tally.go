package report

import (
	"container/heap"
	"slices"
	"strings"
)

// maxFailureKinds bounds a FailureTally: the error kinds are a dozen and
// statuses have three digits, so only a bug or a hostile peer reaches it.
const maxFailureKinds = 1000

// FailureTally counts failed results by kind as they come, for
// Mode.Failures, keeping the first URL and message of each kind as its
// example. Its memory is bounded by the number of kinds (at most 1000; any
// further kind is counted in one "other"), never by the number of
// results. Its zero value is ready for use. Not safe for concurrent use.
type FailureTally struct {
	byKey map[failureKey]int // index in list
	list  []Failure
	other *Failure
}

type failureKey struct {
	kind   string
	status int
}

// Add counts one failed result: an error of kind (fetch's error_kind)
// with its message, or, with kind empty, a status of 400 or more.
func (t *FailureTally) Add(kind string, status int, url, message string) {
	if kind != "" {
		status = 0
	}
	k := failureKey{kind, status}
	if i, ok := t.byKey[k]; ok {
		t.list[i].Count++
		return
	}
	if len(t.list) >= maxFailureKinds {
		if t.other == nil {
			t.other = &Failure{Kind: "other", Example: clip(url), Message: "more kinds than a report lists"}
		}
		t.other.Count++
		return
	}
	if t.byKey == nil {
		t.byKey = map[failureKey]int{}
	}
	t.byKey[k] = len(t.list)
	t.list = append(t.list, Failure{Kind: kind, Status: status, Count: 1, Example: clip(url), Message: clip(message)})
}

// Failures returns the counts, largest first (then by label).
func (t *FailureTally) Failures() []Failure {
	out := slices.Clone(t.list)
	if t.other != nil {
		out = append(out, *t.other)
	}
	slices.SortStableFunc(out, func(a, b Failure) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label(), b.Label())
	})
	return out
}

// SlowestTally keeps the N slowest fetches (by Total) of those it is
// given, for Mode.Slowest, in memory bounded by N. Of fetches equally
// slow, the one added first ranks first. Its zero value keeps
// MaxSlowest. Not safe for concurrent use.
type SlowestTally struct {
	// N is how many to keep; if zero, MaxSlowest.
	N    int
	h    slowHeap
	seen int64
}

// Add offers one fetch.
func (t *SlowestTally) Add(f Fetch) {
	n := t.N
	if n <= 0 {
		n = MaxSlowest
	}
	e := slowEntry{f: f, seq: t.seen}
	t.seen++
	if len(t.h) < n {
		heap.Push(&t.h, e)
		return
	}
	if t.h[0].less(e) {
		t.h[0] = e
		heap.Fix(&t.h, 0)
	}
}

// Fetches returns the fetches kept, slowest first.
func (t *SlowestTally) Fetches() []Fetch {
	s := slices.Clone(t.h)
	slices.SortFunc(s, func(a, b slowEntry) int {
		switch {
		case b.less(a):
			return -1
		case a.less(b):
			return 1
		}
		return 0
	})
	out := make([]Fetch, len(s))
	for i, e := range s {
		out[i] = e.f
	}
	return out
}

// slowEntry is a fetch in a SlowestTally: a ranks below b when it was
// faster, or as fast and added later.
type slowEntry struct {
	f   Fetch
	seq int64
}

func (a slowEntry) less(b slowEntry) bool {
	if a.f.Total != b.f.Total {
		return a.f.Total < b.f.Total
	}
	return a.seq > b.seq
}

// slowHeap is a min-heap: its root is the fastest kept, the first to go.
type slowHeap []slowEntry

func (h slowHeap) Len() int           { return len(h) }
func (h slowHeap) Less(i, j int) bool { return h[i].less(h[j]) }
func (h slowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slowHeap) Push(x any)        { *h = append(*h, x.(slowEntry)) }
func (h *slowHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
