//go:build unix

package scheduler

import (
	"errors"
	"runtime"
	"sync/atomic"
)

// HubSet is a set of hubs, one per core by default, that spreads spawned
// tasks over its hubs so that the work uses every core, which gevent
// cannot. Tasks of different hubs run in parallel, so they share data only
// through the primitives of this package or their own locks.
type HubSet struct {
	hubs []*Hub
	next atomic.Uint32
}

// NewHubSet starts n hubs; n <= 0 means runtime.GOMAXPROCS(0).
func NewHubSet(n int) (*HubSet, error) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	s := &HubSet{}
	for i := 0; i < n; i++ {
		h, err := NewHub()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.hubs = append(s.hubs, h)
	}
	return s, nil
}

// Hubs returns the set's hubs.
func (s *HubSet) Hubs() []*Hub { return s.hubs }

// Spawn starts fn on the next hub in turn. Safe from any goroutine.
func (s *HubSet) Spawn(fn func(t *Task) (any, error)) *Task {
	i := s.next.Add(1) - 1
	return s.hubs[int(i)%len(s.hubs)].Spawn(fn)
}

// Close closes every hub and waits for them. It returns the hubs' Close
// errors, joined (nil if there were none).
func (s *HubSet) Close() error {
	var errs []error
	for _, h := range s.hubs {
		if err := h.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
