package crawl

// VisitedSet is a set of 64-bit URL hashes (see Hash) in one open-
// addressing table of uint64 with linear probing, kept at most 3/4 full:
// 8 bytes a slot, so between 10.7 and 21.3 bytes per URL (a million URLs
// take a 2^21-slot table: 16 MiB). Two distinct URLs share a hash with a
// probability of about n²/2^65 (1 in 37 million for a million URLs); such
// a URL would be taken as visited. The zero value is empty and ready. It is
// not safe for concurrent use.
type VisitedSet struct {
	slots []uint64 // 0: empty; length a power of two
	n     int
}

// Add adds h (never 0: Hash never returns 0) and reports whether it was
// new.
func (s *VisitedSet) Add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

// Has reports whether h is in the set.
func (s *VisitedSet) Has(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// Len returns the number of hashes in the set.
func (s *VisitedSet) Len() int { return s.n }

// Bytes returns the memory the table holds.
func (s *VisitedSet) Bytes() int { return 8 * len(s.slots) }

func (s *VisitedSet) grow() {
	old := s.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1024
	}
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}
