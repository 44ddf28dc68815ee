package warc

// dedupTable remembers the payload digests of responses written whole,
// for revisit records: at most max of them, forgetting the oldest first.
// An entry is pending from the moment its exchange claims it until the
// exchange is written (confirm) or has failed (remove); a pending entry is
// never referred to, so a revisit always points at a record on disk.
type dedupTable struct {
	m    map[string]*dedupEntry
	ring []string // keys in the order they were added, max of them
	next int      // the ring slot to reuse next
}

type dedupEntry struct {
	id, uri, date string // WARC-Record-ID, WARC-Target-URI and WARC-Date of the original
	written       bool
}

func newDedupTable(max int) *dedupTable {
	return &dedupTable{m: make(map[string]*dedupEntry), ring: make([]string, max)}
}

// lookup returns the original record of digest when one was written.
// Otherwise it returns nil, and mine reports whether the caller's record
// (id, uri, date) became the pending original.
func (t *dedupTable) lookup(digest, id, uri, date string) (orig *dedupEntry, mine bool) {
	if e, ok := t.m[digest]; ok {
		if e.written {
			return e, false
		}
		return nil, false
	}
	if old := t.ring[t.next]; old != "" {
		delete(t.m, old)
	}
	t.ring[t.next] = digest
	t.next = (t.next + 1) % len(t.ring)
	t.m[digest] = &dedupEntry{id: id, uri: uri, date: date}
	return nil, true
}

func (t *dedupTable) confirm(digest, id string) {
	if e, ok := t.m[digest]; ok && e.id == id {
		e.written = true
	}
}

func (t *dedupTable) remove(digest, id string) {
	if e, ok := t.m[digest]; ok && e.id == id {
		delete(t.m, digest)
	}
}
