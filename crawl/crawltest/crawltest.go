// Package crawltest is the conformance suite of crawl.Store: the
// contract every store keeps, whatever it keeps its crawl in, checked by
// one function a store's own test calls, as golang.org/x/net/nettest's
// TestConn checks a net.Conn:
//
//	func TestMyStore(t *testing.T) {
//		crawltest.TestStore(t, crawltest.Traits{Durable: true}, func(t *testing.T, o crawl.StoreOptions) crawl.Store {
//			s, err := crawl.OpenStore(context.Background(), "mine://…", o)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite covers Push (duplicates, the visited set, the MaxFrontier
// and MaxFrontierBytes bounds), Visit, Claim (the per-host bound, hosts
// in turn, delays and SetHostDelay, claim leases and timeouts: all in
// the nows it gives, never the clock), Done, Complete (links, records
// kept once, claims freed first), Release, Outstanding, ReadResults
// (while the crawl runs too, and with follow), Exists, ReadOnly and
// Close, and a random crawl that must fetch every URL once and drain. Traits say what
// a store does beyond that contract (several workers at once, a crawl
// that outlives its handle), and the suite checks that too.
//
// The suite never sleeps: a store that reads a clock of its own, instead
// of the nows it is given, fails it.
package crawltest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
)

// Opener opens a handle on the crawl opts.CrawlID of the store under
// test, with opts as the suite sets them (each test a crawl id of its
// own), and fails t if it cannot. The suite may call it again with the
// same id: while the first handle is open (with Traits.Shared), or after
// it was closed (with Traits.Durable), or with ReadOnly set. The suite
// closes every handle it is given.
type Opener func(t *testing.T, opts crawl.StoreOptions) crawl.Store

// Traits say what the store under test does beyond the contract every
// store keeps.
type Traits struct {
	// Shared: handles open at once on one crawl share it, as workers on
	// several machines do (redis): a URL is queued once whoever pushes
	// it, the per-host bound and delays hold over all of them, and a
	// claim older than the claim timeout goes to another handle.
	Shared bool
	// Durable: what a closed handle leaves (the visited set, the queue,
	// the items it claimed and did not complete, the results) is there
	// for the next handle on the crawl (bolt, redis).
	Durable bool
}

// t0 is the suite's clock at the start of each test.
var t0 = time.Unix(1_700_000_000, 0)

var ids atomic.Int64

// suite is one run of TestStore.
type suite struct {
	traits Traits
	open   Opener
	run    string // a prefix of this run's crawl ids
}

// TestStore runs the conformance suite on the store that open opens.
func TestStore(t *testing.T, traits Traits, open Opener) {
	s := &suite{traits: traits, open: open, run: fmt.Sprintf("crawltest-%d-%d", time.Now().UnixNano()%1e9, ids.Add(1))}
	t.Run("Push", s.testPush)
	t.Run("Bound", s.testBound)
	t.Run("BoundBytes", s.testBoundBytes)
	t.Run("PerHost", s.testPerHost)
	t.Run("RoundRobin", s.testRoundRobin)
	t.Run("Delay", s.testDelay)
	t.Run("Complete", s.testComplete)
	t.Run("Release", s.testRelease)
	t.Run("ClaimHeld", s.testClaimHeld)
	t.Run("Results", s.testResults)
	t.Run("Exists", s.testExists)
	t.Run("Close", s.testClose)
	t.Run("RandomCrawl", s.testRandomCrawl)
	if traits.Durable {
		t.Run("Resume", s.testResume)
		t.Run("ReadOnly", s.testReadOnly)
		t.Run("ReadWhileRunning", s.testReadWhileRunning)
	}
	if traits.Shared {
		t.Run("Shared", s.testShared)
		t.Run("SharedDelay", s.testSharedDelay)
		t.Run("ClaimTimeout", s.testClaimTimeout)
		t.Run("ClaimLease", s.testClaimLease)
		t.Run("Follow", s.testFollow)
	}
}

// id returns a crawl id of its own for a test.
func (s *suite) id() string { return fmt.Sprintf("%s-%d", s.run, ids.Add(1)) }

// handle opens a handle with opts, closed when the test ends.
func (s *suite) handle(t *testing.T, o crawl.StoreOptions) crawl.Store {
	t.Helper()
	st := s.open(t, o)
	if st == nil {
		t.Fatalf("the opener returned no store for %+v", o)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fresh opens a handle on a crawl of its own.
func (s *suite) fresh(t *testing.T, o crawl.StoreOptions) crawl.Store {
	t.Helper()
	o.CrawlID = s.id()
	return s.handle(t, o)
}

// Item returns the item of http://host/path at depth 0.
func Item(host, path string) crawl.Item {
	u := "http://" + host + path
	return crawl.Item{URL: u, Key: crawl.Hash(u), Host: host}
}

func push(t *testing.T, st crawl.Store, items ...crawl.Item) crawl.PushResult {
	t.Helper()
	pr, err := st.Push(items)
	if err != nil {
		t.Fatalf("Push(%d items): %v", len(items), err)
	}
	return pr
}

func claim(t *testing.T, st crawl.Store, now time.Time, max int) ([]crawl.Item, time.Duration) {
	t.Helper()
	got, wait, err := st.Claim(now, max)
	if err != nil {
		t.Fatalf("Claim(%v, %d): %v", now.Sub(t0), max, err)
	}
	return got, wait
}

func outstanding(t *testing.T, st crawl.Store) int {
	t.Helper()
	n, err := st.Outstanding()
	if err != nil {
		t.Fatalf("Outstanding(): %v", err)
	}
	return n
}

func complete(t *testing.T, st crawl.Store, done ...crawl.Completion) (crawl.PushResult, int) {
	t.Helper()
	pr, stored, err := st.Complete(done)
	if err != nil {
		t.Fatalf("Complete(%d pages): %v", len(done), err)
	}
	return pr, stored
}

func results(t *testing.T, st crawl.Store, follow bool) []string {
	t.Helper()
	var recs []string
	if err := st.ReadResults(context.Background(), follow, func(r []byte) error {
		recs = append(recs, string(r))
		return nil
	}); err != nil {
		t.Fatalf("ReadResults: %v", err)
	}
	return recs
}

func urls(items []crawl.Item) []string {
	var u []string
	for _, it := range items {
		u = append(u, it.URL)
	}
	return u
}

// testPush: duplicates in a batch and across batches, Visit, and an item
// that has no text form.
func (s *suite) testPush(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{})
	a, b, c := Item("h", "/a"), Item("h", "/b"), Item("g", "/c")
	if pr := push(t, st, a, b, a); pr != (crawl.PushResult{Added: 2, Duplicates: 1}) {
		t.Errorf("Push(a, b, a) = %+v; want 2 added, 1 duplicate", pr)
	}
	if pr := push(t, st, b, c); pr != (crawl.PushResult{Added: 1, Duplicates: 1}) {
		t.Errorf("Push(b, c) = %+v; want 1 added, 1 duplicate", pr)
	}
	if n := outstanding(t, st); n != 3 {
		t.Errorf("Outstanding() = %d; want 3", n)
	}
	d := Item("h", "/d")
	if isNew, err := st.Visit(d.Key); err != nil || !isNew {
		t.Errorf("Visit(new) = %v, %v; want true", isNew, err)
	}
	if isNew, err := st.Visit(d.Key); err != nil || isNew {
		t.Errorf("Visit(visited) = %v, %v; want false", isNew, err)
	}
	if isNew, err := st.Visit(a.Key); err != nil || isNew {
		t.Errorf("Visit(queued) = %v, %v; want false", isNew, err)
	}
	if pr := push(t, st, d); pr != (crawl.PushResult{Duplicates: 1}) {
		t.Errorf("Push(visited) = %+v; want 1 duplicate", pr)
	}
	if n := outstanding(t, st); n != 3 {
		t.Errorf("Outstanding() after Visit = %d; want 3 (a visit queues nothing)", n)
	}
	bad := crawl.Item{URL: "http://h/x\ty", Key: crawl.Hash("http://h/x\ty"), Host: "h"}
	if pr, err := st.Push([]crawl.Item{Item("h", "/e"), bad}); err == nil {
		t.Errorf("Push(an item with a tab in its URL) = %+v, nil; want an error", pr)
	}
	if n := outstanding(t, st); n != 3 {
		t.Errorf("Outstanding() after a refused push = %d; want 3", n)
	}
}

// testBound: MaxFrontier bounds the items outstanding, queued or
// claimed; what is dropped is not visited; a completion frees its claim
// before its links count.
func (s *suite) testBound(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{MaxFrontier: 3, PerHost: 10})
	var items []crawl.Item
	for i := range 6 {
		items = append(items, Item("h", fmt.Sprint("/", i)))
	}
	if pr := push(t, st, items[:5]...); pr != (crawl.PushResult{Added: 3, Dropped: 2}) {
		t.Fatalf("Push(5 items) with MaxFrontier 3 = %+v; want 3 added, 2 dropped", pr)
	}
	got, _ := claim(t, st, t0, 1)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want 1 item", urls(got))
	}
	if pr := push(t, st, items[3]); pr != (crawl.PushResult{Dropped: 1}) {
		t.Errorf("Push with 2 queued and 1 claimed = %+v; want 1 dropped (claimed items count)", pr)
	}
	if err := st.Done(got[0]); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if pr := push(t, st, items[3], items[4]); pr != (crawl.PushResult{Added: 1, Dropped: 1}) {
		t.Errorf("Push(3, 4) after Done = %+v; want 1 added (a dropped URL is not visited), 1 dropped", pr)
	}
	got, _ = claim(t, st, t0, 1)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want 1 item", urls(got))
	}
	pr, _ := complete(t, st, crawl.Completion{Item: got[0], Links: []crawl.Item{items[4], items[5]}})
	if pr != (crawl.PushResult{Added: 1, Dropped: 1}) {
		t.Errorf("Complete with 2 links, 3 outstanding, the page's own claim among them = %+v; want 1 added, 1 dropped", pr)
	}
	if n := outstanding(t, st); n != 3 {
		t.Errorf("Outstanding() = %d; want 3", n)
	}

	none := s.fresh(t, crawl.StoreOptions{MaxFrontier: -1})
	many := make([]crawl.Item, 50)
	for i := range many {
		many[i] = Item("h", fmt.Sprint("/", i))
	}
	if pr := push(t, none, many...); pr.Added != len(many) {
		t.Errorf("Push(%d items) with MaxFrontier -1 (no bound) = %+v; want all added", len(many), pr)
	}
}

// testBoundBytes: MaxFrontierBytes bounds the bytes of the items
// outstanding (crawl.ItemSize each), queued or claimed, whatever their
// number: long URLs cannot make a frontier of few items large; what is
// dropped is counted and not visited; a completion frees its claim's
// bytes before its links count.
func (s *suite) testBoundBytes(t *testing.T) {
	long := func(i int) crawl.Item {
		return Item("h", fmt.Sprintf("/%d/%s", i, strings.Repeat("x", 1000)))
	}
	size := int64(crawl.ItemSize(long(0)))
	st := s.fresh(t, crawl.StoreOptions{MaxFrontierBytes: 3*size + size/2, PerHost: 10})
	var items []crawl.Item
	for i := range 6 {
		items = append(items, long(i))
	}
	if pr := push(t, st, items[:5]...); pr != (crawl.PushResult{Added: 3, Dropped: 2}) {
		t.Fatalf("Push(5 items of %d bytes) with MaxFrontierBytes 3.5 items = %+v; want 3 added, 2 dropped", size, pr)
	}
	short := Item("h", "/short")
	if pr := push(t, st, short); pr != (crawl.PushResult{Added: 1}) {
		t.Errorf("Push(a short item) within the bytes left = %+v; want 1 added", pr)
	}
	got, _ := claim(t, st, t0, 1)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want 1 item", urls(got))
	}
	if pr := push(t, st, items[3]); pr != (crawl.PushResult{Dropped: 1}) {
		t.Errorf("Push with a claimed item's bytes outstanding = %+v; want 1 dropped (claimed items count)", pr)
	}
	pr, _ := complete(t, st, crawl.Completion{Item: got[0], Links: []crawl.Item{items[3], items[4]}})
	if pr != (crawl.PushResult{Added: 1, Dropped: 1}) {
		t.Errorf("Complete of a long item with 2 long links = %+v; want 1 added (its claim's bytes freed first), 1 dropped", pr)
	}
	if n := outstanding(t, st); n != 4 {
		t.Errorf("Outstanding() = %d; want 4", n)
	}
	none := s.fresh(t, crawl.StoreOptions{MaxFrontierBytes: -1})
	var many []crawl.Item
	for i := range 50 {
		many = append(many, long(i))
	}
	if pr := push(t, none, many...); pr.Added != len(many) {
		t.Errorf("Push(%d long items) with MaxFrontierBytes -1 (no bound) = %+v; want all added", len(many), pr)
	}
}

// testPerHost: at most PerHost items of a host are claimed at once; Done
// frees a slot; a claim is up to max items.
func (s *suite) testPerHost(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 2})
	var items []crawl.Item
	for _, h := range []string{"a", "b", "c"} {
		for i := range 4 {
			items = append(items, Item(h, fmt.Sprint("/", i)))
		}
	}
	push(t, st, items...)
	got, _ := claim(t, st, t0, 100)
	per := map[string]int{}
	for _, it := range got {
		per[it.Host]++
	}
	if len(got) != 6 || per["a"] != 2 || per["b"] != 2 || per["c"] != 2 {
		t.Fatalf("Claim(100) with PerHost 2 = %v; want 2 of each of the 3 hosts", urls(got))
	}
	if more, _ := claim(t, st, t0, 100); len(more) != 0 {
		t.Fatalf("Claim at the per-host bound = %v; want none", urls(more))
	}
	a := got[slices.IndexFunc(got, func(it crawl.Item) bool { return it.Host == "a" })]
	if err := st.Done(a); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if more, _ := claim(t, st, t0, 100); len(more) != 1 || more[0].Host != "a" {
		t.Errorf("Claim after Done of one of a = %v; want one more of a", urls(more))
	}
	if few, _ := claim(t, s.fresh(t, crawl.StoreOptions{PerHost: 10}), t0, 1); len(few) != 0 {
		t.Errorf("Claim of an empty store = %v; want none", urls(few))
	}
	st2 := s.fresh(t, crawl.StoreOptions{PerHost: 10})
	push(t, st2, items[:4]...)
	if few, _ := claim(t, st2, t0, 3); len(few) != 3 {
		t.Errorf("Claim(3) of 4 queued = %v; want 3", urls(few))
	}
	// The default per-host bound is crawl.DefaultPerHost.
	st3 := s.fresh(t, crawl.StoreOptions{})
	push(t, st3, items[:4]...)
	if def, _ := claim(t, st3, t0, 10); len(def) != crawl.DefaultPerHost {
		t.Errorf("Claim(10) of one host with PerHost 0 = %v; want crawl.DefaultPerHost (%d)", urls(def), crawl.DefaultPerHost)
	}
}

// testRoundRobin: hosts are served in turn, each queue first in, first
// out.
func (s *suite) testRoundRobin(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 1})
	var items []crawl.Item
	for i := range 4 {
		for _, h := range []string{"a", "b", "c"} {
			items = append(items, Item(h, fmt.Sprint("/", i)))
		}
	}
	push(t, st, items...)
	var order []string
	for range 2 * len(items) {
		got, _ := claim(t, st, t0, 1)
		if len(got) == 0 {
			break
		}
		order = append(order, strings.TrimPrefix(got[0].URL, "http://"))
		if err := st.Done(got[0]); err != nil {
			t.Fatalf("Done: %v", err)
		}
	}
	want := "a/0 b/0 c/0 a/1 b/1 c/1 a/2 b/2 c/2 a/3 b/3 c/3"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("claimed one at a time: %s; want %s", got, want)
	}
}

// testDelay: a host's starts are at least its delay apart, in the nows
// of the calls; Claim says how long until the next; SetHostDelay wins
// over the default from the host's next claim on.
func (s *suite) testDelay(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 4, Delay: time.Second})
	push(t, st, Item("h", "/0"), Item("h", "/1"), Item("h", "/2"), Item("h", "/3"), Item("g", "/0"), Item("g", "/1"))
	if err := st.SetHostDelay("g", 0); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	got, _ := claim(t, st, t0, 10)
	if per := countHosts(got); per["h"] != 1 || per["g"] != 2 {
		t.Fatalf("Claim at t0 = %v; want one of h (delay 1s) and both of g (delay 0)", urls(got))
	}
	if more, wait := claim(t, st, t0.Add(400*time.Millisecond), 10); len(more) != 0 || wait != 600*time.Millisecond {
		t.Errorf("Claim at 400ms = %v, wait %v; want none, wait 600ms", urls(more), wait)
	}
	if more, _ := claim(t, st, t0.Add(time.Second), 10); len(more) != 1 || more[0].URL != "http://h/1" {
		t.Errorf("Claim at 1s = %v; want h/1", urls(more))
	}
	if err := st.SetHostDelay("h", time.Hour); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	if more, _ := claim(t, st, t0.Add(2*time.Second), 10); len(more) != 1 { // the 1s of its last claim; the hour from now on
		t.Errorf("Claim at 2s = %v; want h/2", urls(more))
	}
	if more, wait := claim(t, st, t0.Add(time.Minute+2*time.Second), 10); len(more) != 0 || wait != 59*time.Minute {
		t.Errorf("Claim a minute later = %v, wait %v; want none, wait 59m", urls(more), wait)
	}
	if more, _ := claim(t, st, t0.Add(time.Hour+2*time.Second), 10); len(more) != 1 {
		t.Errorf("Claim an hour later = %v; want h/3", urls(more))
	}
}

func countHosts(items []crawl.Item) map[string]int {
	per := map[string]int{}
	for _, it := range items {
		per[it.Host]++
	}
	return per
}

// testComplete: links queued as Push does, a record kept once per URL,
// claims freed; completing or finishing an item not held is an error
// that changes nothing.
func (s *suite) testComplete(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 1})
	a, b := Item("h", "/a"), Item("g", "/b")
	push(t, st, a, b)
	got, _ := claim(t, st, t0, 10)
	if len(got) != 2 {
		t.Fatalf("Claim = %v; want a and b", urls(got))
	}
	ga := got[slices.IndexFunc(got, func(it crawl.Item) bool { return it.Key == a.Key })]
	gb := got[slices.IndexFunc(got, func(it crawl.Item) bool { return it.Key == b.Key })]
	link := crawl.Item{URL: "http://h/c", Key: crawl.Hash("http://h/c"), Host: "h", Depth: 1, Parent: a.URL}
	pr, stored := complete(t, st, crawl.Completion{Item: ga, Record: []byte("record a"), Links: []crawl.Item{link, b, a, link}})
	if pr != (crawl.PushResult{Added: 1, Duplicates: 3}) || stored != 1 {
		t.Errorf("Complete(a, links c, b, a, c) = %+v, stored %d; want 1 added, 3 duplicates, 1 stored", pr, stored)
	}
	if n := outstanding(t, st); n != 2 {
		t.Errorf("Outstanding() = %d; want 2 (b claimed, c queued)", n)
	}
	if pr, stored, err := st.Complete([]crawl.Completion{{Item: ga, Record: []byte("again")}}); err == nil {
		t.Errorf("Complete(a) a second time = %+v, %d, nil; want an error (not claimed)", pr, stored)
	}
	if err := st.Done(ga); err == nil {
		t.Error("Done(a) after its Complete = nil; want an error (not claimed)")
	}
	if n := outstanding(t, st); n != 2 {
		t.Errorf("Outstanding() after refused calls = %d; want 2", n)
	}
	c, _ := claim(t, st, t0, 10)
	if len(c) != 1 || c[0] != link {
		t.Fatalf("Claim = %+v; want the link, as pushed: %+v", c, link)
	}
	if _, stored := complete(t, st, crawl.Completion{Item: gb}, crawl.Completion{Item: c[0], Record: []byte("record c")}); stored != 1 {
		t.Errorf("Complete(b without a record, c) stored %d; want 1", stored)
	}
	if n := outstanding(t, st); n != 0 {
		t.Errorf("Outstanding() = %d; want 0", n)
	}
	if recs := results(t, st, false); !slices.Equal(recs, []string{"record a", "record c"}) {
		t.Errorf("ReadResults = %q; want record a, record c", recs)
	}
}

// testRelease: a released item is queued again, outstanding all along;
// releasing an item not held is an error.
func (s *suite) testRelease(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 1})
	a := Item("h", "/a")
	push(t, st, a)
	got, _ := claim(t, st, t0, 1)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want a", urls(got))
	}
	if err := st.Release(got[0]); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if n := outstanding(t, st); n != 1 {
		t.Errorf("Outstanding() after Release = %d; want 1", n)
	}
	if err := st.Release(got[0]); err == nil {
		t.Error("Release of an item released already = nil; want an error (not claimed)")
	}
	again, _ := claim(t, st, t0, 1)
	if len(again) != 1 || again[0] != a {
		t.Fatalf("Claim after Release = %+v; want %+v again", again, a)
	}
	if _, stored := complete(t, st, crawl.Completion{Item: again[0], Record: []byte("r")}); stored != 1 {
		t.Errorf("Complete after Release stored %d; want 1", stored)
	}
	if n := outstanding(t, st); n != 0 {
		t.Errorf("Outstanding() = %d; want 0", n)
	}
}

// testClaimHeld: a handle never gets back an item it holds, however long
// it has held it.
func (s *suite) testClaimHeld(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 1, ClaimTimeout: time.Minute})
	push(t, st, Item("h", "/a"), Item("h", "/b"))
	got, _ := claim(t, st, t0, 10)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want 1", urls(got))
	}
	for _, later := range []time.Duration{time.Minute, time.Hour} {
		if more, _ := claim(t, st, t0.Add(later), 10); len(more) != 0 {
			t.Errorf("Claim %v after, the host's one slot held by this handle = %v; want none", later, urls(more))
		}
	}
	if err := st.Done(got[0]); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if more, _ := claim(t, st, t0.Add(time.Hour), 10); len(more) != 1 || more[0].URL == got[0].URL {
		t.Errorf("Claim after Done = %v; want the other item", urls(more))
	}
}

// testResults: records come back in the order they were kept; fn's
// error ends the reading and is returned; so is a canceled context's.
func (s *suite) testResults(t *testing.T) {
	st := s.fresh(t, crawl.StoreOptions{PerHost: 10})
	if recs := results(t, st, false); len(recs) != 0 {
		t.Errorf("ReadResults of an empty store = %q; want none", recs)
	}
	var want []string
	for i := range 5 {
		it := Item("h", fmt.Sprint("/", i))
		push(t, st, it)
		got, _ := claim(t, st, t0, 1)
		if len(got) != 1 {
			t.Fatalf("Claim = %v; want 1", urls(got))
		}
		rec := fmt.Sprintf(`{"url":%q,"n":%d}`, it.URL, i)
		want = append(want, rec)
		complete(t, st, crawl.Completion{Item: got[0], Record: []byte(rec)})
	}
	if recs := results(t, st, false); !slices.Equal(recs, want) {
		t.Errorf("ReadResults = %q; want %q", recs, want)
	}
	stop := errors.New("enough")
	n := 0
	err := st.ReadResults(context.Background(), false, func([]byte) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("ReadResults whose fn fails at the 2nd record: %v after %d; want fn's error after 2", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.ReadResults(ctx, false, func([]byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadResults with a canceled context = %v; want context.Canceled", err)
	}
}

// testExists: a crawl exists once it has URLs seen or results; a
// read-only handle of a crawl that does not exist says so, and refuses
// every write.
func (s *suite) testExists(t *testing.T) {
	id := s.id()
	ro := s.handle(t, crawl.StoreOptions{CrawlID: id, ReadOnly: true})
	if err := ro.Exists(context.Background()); !errors.Is(err, crawl.ErrNoCrawl) {
		t.Errorf("Exists() of a crawl never written = %v; want crawl.ErrNoCrawl", err)
	}
	if _, err := ro.Push([]crawl.Item{Item("h", "/a")}); err == nil {
		t.Error("Push on a read-only handle = nil; want an error")
	}
	if recs := results(t, ro, false); len(recs) != 0 {
		t.Errorf("ReadResults of a crawl never written = %q; want none", recs)
	}
	if err := ro.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	st := s.handle(t, crawl.StoreOptions{CrawlID: id})
	if err := st.Exists(context.Background()); !errors.Is(err, crawl.ErrNoCrawl) {
		t.Errorf("Exists() of a crawl opened, never written = %v; want crawl.ErrNoCrawl", err)
	}
	if _, err := st.Visit(crawl.Hash("http://h/v")); err != nil {
		t.Fatalf("Visit: %v", err)
	}
	if err := st.Exists(context.Background()); err != nil {
		t.Errorf("Exists() of a crawl with a URL visited = %v; want nil", err)
	}
}

// testClose: a second Close does nothing.
func (s *suite) testClose(t *testing.T) {
	st := s.open(t, crawl.StoreOptions{CrawlID: s.id()})
	if err := st.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("a second Close() = %v; want nil", err)
	}
}

// testRandomCrawl drives a store at random, as a crawl driver does:
// pushes, claims, Done, Complete with links and records, Release. Each
// distinct URL is claimed once, and once more for each release of it;
// never more than PerHost of a host at once; Outstanding counts queued
// plus claimed; the crawl drains to zero; each completed URL with a
// record has its record once.
func (s *suite) testRandomCrawl(t *testing.T) {
	seeds := uint64(8)
	if testing.Short() {
		seeds = 3
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			perHost := 1 + r.IntN(3)
			st := s.fresh(t, crawl.StoreOptions{PerHost: perHost})
			hosts := 1 + r.IntN(6)
			claims := map[uint64]int{}   // claims of each key
			releases := map[uint64]int{} // releases of each key
			distinct := map[uint64]bool{}
			var held []crawl.Item
			inflight := map[string]int{}
			var records []string
			now := t0
			newItems := func(n int) []crawl.Item {
				var items []crawl.Item
				for range n {
					h := fmt.Sprintf("h%d", r.IntN(hosts))
					items = append(items, Item(h, fmt.Sprint("/", r.IntN(200))))
				}
				return items
			}
			counted := func(items []crawl.Item, pr crawl.PushResult) {
				t.Helper()
				added := 0
				for _, it := range items {
					if !distinct[it.Key] {
						distinct[it.Key] = true
						added++
					}
				}
				if pr.Added != added || pr.Added+pr.Duplicates+pr.Dropped != len(items) {
					t.Fatalf("push of %d items, %d new: %+v", len(items), added, pr)
				}
			}
			seedItems := newItems(20)
			counted(seedItems, push(t, st, seedItems...))
			for step := 0; step < 5000; step++ {
				n := outstanding(t, st)
				if n < len(held) {
					t.Fatalf("Outstanding() = %d with %d claimed", n, len(held))
				}
				if n == 0 {
					break
				}
				switch k := r.IntN(10); {
				case k < 6 || len(held) == 0:
					items, _ := claim(t, st, now, 1+r.IntN(8))
					for _, it := range items {
						claims[it.Key]++
						if claims[it.Key] > 1+releases[it.Key] {
							t.Fatalf("%s claimed %d times, released %d", it.URL, claims[it.Key], releases[it.Key])
						}
						inflight[it.Host]++
						if inflight[it.Host] > perHost {
							t.Fatalf("%d of %s claimed at once; PerHost %d", inflight[it.Host], it.Host, perHost)
						}
					}
					held = append(held, items...)
				default:
					i := r.IntN(len(held))
					it := held[i]
					held = slices.Delete(held, i, i+1)
					inflight[it.Host]--
					switch k {
					case 6:
						if err := st.Done(it); err != nil {
							t.Fatalf("Done(%s): %v", it.URL, err)
						}
					case 7:
						if err := st.Release(it); err != nil {
							t.Fatalf("Release(%s): %v", it.URL, err)
						}
						releases[it.Key]++
					default:
						links := newItems(r.IntN(5))
						rec := "record of " + it.URL
						pr, stored := complete(t, st, crawl.Completion{Item: it, Record: []byte(rec), Links: links})
						counted(links, pr)
						if stored != 1 {
							t.Fatalf("Complete(%s) stored %d; want 1", it.URL, stored)
						}
						records = append(records, rec)
					}
				}
			}
			if n := outstanding(t, st); n != 0 {
				t.Fatalf("did not drain: %d outstanding", n)
			}
			if len(claims) != len(distinct) {
				t.Fatalf("%d URLs claimed; want every one of %d distinct URLs", len(claims), len(distinct))
			}
			if recs := results(t, st, false); !slices.Equal(recs, records) {
				t.Errorf("ReadResults: %d records; want the %d kept, in order", len(recs), len(records))
			}
		})
	}
}

// testResume (Durable): a handle closed with items claimed and not
// completed leaves them to the next handle, the queue, the visited set
// and the results too.
func (s *suite) testResume(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 10, ClaimTimeout: time.Minute}
	st := s.open(t, o)
	items := []crawl.Item{Item("h", "/0"), Item("h", "/1"), Item("h", "/2"), Item("h", "/3")}
	push(t, st, items...)
	got, _ := claim(t, st, t0, 2)
	if len(got) != 2 {
		t.Fatalf("Claim(2) = %v", urls(got))
	}
	link := Item("h", "/new")
	complete(t, st, crawl.Completion{Item: got[0], Record: []byte("r0"), Links: []crawl.Item{link}})
	if err := st.Close(); err != nil { // got[1] claimed, not completed: as if killed
		t.Fatalf("Close: %v", err)
	}
	st = s.handle(t, o)
	if n := outstanding(t, st); n != 4 { // 2, 3, got[1] and the link
		t.Errorf("Outstanding() after reopening = %d; want 4", n)
	}
	if pr := push(t, st, items...); pr.Added != 0 {
		t.Errorf("Push(the seeds again) = %+v; want all duplicates", pr)
	}
	var fetched []string
	now := t0.Add(o.ClaimTimeout) // a claim of the closed handle may be taken over from now on
	for range 10 {
		more, _ := claim(t, st, now, 10)
		if len(more) == 0 {
			break
		}
		for _, it := range more {
			fetched = append(fetched, it.URL)
			complete(t, st, crawl.Completion{Item: it, Record: []byte("r")})
		}
	}
	slices.Sort(fetched)
	if want := []string{"http://h/1", "http://h/2", "http://h/3", "http://h/new"}; !slices.Equal(fetched, want) {
		t.Errorf("the next handle fetched %q; want %q", fetched, want)
	}
	if recs := results(t, st, false); len(recs) != 5 || recs[0] != "r0" {
		t.Errorf("ReadResults = %q; want r0 and 4 more", recs)
	}
}

// testReadOnly (Durable): a read-only handle reads what a closed handle
// wrote, and writes nothing.
// testReadWhileRunning: a read-only handle opened while a handle runs
// the crawl reads what was completed so far; with follow, it reads on
// until the crawl has nothing left, and gives every record once.
func (s *suite) testReadWhileRunning(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id()}
	w := s.handle(t, o)
	push(t, w, Item("h", "/a"), Item("h", "/b"))
	got, _ := claim(t, w, t0, 1)
	complete(t, w, crawl.Completion{Item: got[0], Record: []byte("a")})
	ro := s.handle(t, crawl.StoreOptions{CrawlID: o.CrawlID, ReadOnly: true})
	if err := ro.Exists(context.Background()); err != nil {
		t.Fatalf("Exists() while the crawl runs = %v; want nil", err)
	}
	if recs := results(t, ro, false); !slices.Equal(recs, []string{"a"}) {
		t.Errorf("ReadResults while the crawl runs = %q; want a", recs)
	}
	type read struct {
		recs []string
		err  error
	}
	followed := make(chan read, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var r read
		r.err = ro.ReadResults(ctx, true, func(rec []byte) error {
			r.recs = append(r.recs, string(rec))
			return nil
		})
		followed <- r
	}()
	got, _ = claim(t, w, t0.Add(time.Second), 1)
	if len(got) != 1 {
		t.Fatalf("Claim = %v; want b", urls(got))
	}
	complete(t, w, crawl.Completion{Item: got[0], Record: []byte("b")})
	r := <-followed
	if r.err != nil || !slices.Equal(r.recs, []string{"a", "b"}) {
		t.Errorf("ReadResults(follow) while the crawl runs = %q, %v; want a, b (ending when nothing is left)", r.recs, r.err)
	}
}

func (s *suite) testReadOnly(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id()}
	st := s.open(t, o)
	push(t, st, Item("h", "/a"), Item("h", "/b"))
	got, _ := claim(t, st, t0, 1)
	complete(t, st, crawl.Completion{Item: got[0], Record: []byte("kept")})
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	o.ReadOnly = true
	ro := s.handle(t, o)
	if err := ro.Exists(context.Background()); err != nil {
		t.Errorf("Exists() = %v; want nil", err)
	}
	if recs := results(t, ro, false); !slices.Equal(recs, []string{"kept"}) {
		t.Errorf("ReadResults = %q; want kept", recs)
	}
	if _, err := ro.Push([]crawl.Item{Item("h", "/c")}); err == nil {
		t.Error("Push on a read-only handle = nil; want an error")
	}
	if more, _, err := ro.Claim(t0, 10); err == nil {
		t.Errorf("Claim on a read-only handle = %v, nil; want an error", urls(more))
	}
	if _, err := ro.Visit(crawl.Hash("http://h/v")); err == nil {
		t.Error("Visit on a read-only handle = nil; want an error")
	}
	if err := ro.SetHostDelay("h", time.Second); err == nil {
		t.Error("SetHostDelay on a read-only handle = nil; want an error")
	}
	ro.Close()
	o.ReadOnly = false
	st = s.handle(t, o)
	if n := outstanding(t, st); n != 1 {
		t.Errorf("Outstanding() after the read-only handle = %d; want 1 (b, untouched)", n)
	}
}

// testShared (Shared): two handles on one crawl. Seeds pushed twice are
// queued once; the per-host bound holds over both; one's Visit is the
// other's; a record is kept once whoever completes.
func (s *suite) testShared(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 1}
	a, b := s.handle(t, o), s.handle(t, o)
	seeds := []crawl.Item{Item("h", "/0"), Item("h", "/1"), Item("g", "/0")}
	if pr := push(t, a, seeds...); pr.Added != 3 {
		t.Fatalf("a.Push(seeds) = %+v; want 3 added", pr)
	}
	if pr := push(t, b, seeds...); pr != (crawl.PushResult{Duplicates: 3}) {
		t.Fatalf("b.Push(seeds) = %+v; want 3 duplicates", pr)
	}
	v := crawl.Hash("http://h/visited")
	if isNew, err := a.Visit(v); err != nil || !isNew {
		t.Fatalf("a.Visit(new) = %v, %v; want true", isNew, err)
	}
	if isNew, err := b.Visit(v); err != nil || isNew {
		t.Fatalf("b.Visit(visited by a) = %v, %v; want false", isNew, err)
	}
	got, _ := claim(t, a, t0, 10)
	if per := countHosts(got); len(got) != 2 || per["h"] != 1 || per["g"] != 1 {
		t.Fatalf("a.Claim = %v; want one of h and g (PerHost 1)", urls(got))
	}
	if more, _ := claim(t, b, t0, 10); len(more) != 0 {
		t.Fatalf("b.Claim while a holds both hosts' slots = %v; want none", urls(more))
	}
	if n := outstanding(t, b); n != 3 {
		t.Errorf("b.Outstanding() = %d; want 3", n)
	}
	done := []crawl.Completion{}
	for _, it := range got {
		done = append(done, crawl.Completion{Item: it, Record: []byte("a: " + it.URL)})
	}
	complete(t, a, done...)
	last, _ := claim(t, b, t0, 10)
	if len(last) != 1 || last[0].URL != "http://h/1" {
		t.Fatalf("b.Claim after a completed = %v; want h/1", urls(last))
	}
	complete(t, b, crawl.Completion{Item: last[0], Record: []byte("b: " + last[0].URL)})
	if n := outstanding(t, a); n != 0 {
		t.Errorf("a.Outstanding() = %d; want 0", n)
	}
	recs := results(t, b, false)
	slices.Sort(recs)
	if want := []string{"a: http://g/0", "a: http://h/0", "b: http://h/1"}; !slices.Equal(recs, want) {
		t.Errorf("b.ReadResults = %q; want %q", recs, want)
	}
}

// testSharedDelay (Shared): a host's delay holds over every handle, and
// SetHostDelay by one holds for the others.
func (s *suite) testSharedDelay(t *testing.T) {
	// Claims last (a lease of two hours): this test is about delays.
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 4, Delay: 400 * time.Millisecond, ClaimTimeout: 2 * time.Hour}
	a, b := s.handle(t, o), s.handle(t, o)
	push(t, a, Item("h", "/0"), Item("h", "/1"), Item("h", "/2"), Item("h", "/3"))
	if got, _ := claim(t, a, t0, 4); len(got) != 1 {
		t.Fatalf("a.Claim = %v; want 1 (a delay lets one start)", urls(got))
	}
	if got, wait := claim(t, b, t0.Add(100*time.Millisecond), 4); len(got) != 0 || wait != 300*time.Millisecond {
		t.Fatalf("b.Claim 100ms later = %v, wait %v; want none, wait 300ms", urls(got), wait)
	}
	if got, _ := claim(t, b, t0.Add(400*time.Millisecond), 4); len(got) != 1 {
		t.Fatalf("b.Claim 400ms later = %v; want 1", urls(got))
	}
	if err := a.SetHostDelay("h", time.Hour); err != nil {
		t.Fatalf("SetHostDelay: %v", err)
	}
	if got, _ := claim(t, b, t0.Add(800*time.Millisecond), 4); len(got) != 1 {
		t.Fatalf("b.Claim 800ms later = %v; want 1 (the next in an hour)", urls(got))
	}
	if got, wait := claim(t, a, t0.Add(time.Minute+800*time.Millisecond), 4); len(got) != 0 || wait != 59*time.Minute {
		t.Errorf("a.Claim a minute later = %v, wait %v; want none, wait 59m (b's claim, the delay a set)", urls(got), wait)
	}
}

// testClaimTimeout (Shared): a claim held the claim timeout, in the nows
// given, goes to another handle; the late completion of its first holder
// keeps no second record and frees nothing twice.
// testClaimLease: a claim is a lease its handle renews while it is
// alive (each Claim beats, in its now): a live handle's claim is never
// taken, however long its fetch takes; a claim timeout after its last
// beat, it goes to another handle.
func (s *suite) testClaimLease(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 1, ClaimTimeout: time.Minute}
	a, b := s.handle(t, o), s.handle(t, o)
	push(t, a, Item("h", "/0"), Item("h", "/1"))
	got, _ := claim(t, a, t0, 10)
	if len(got) != 1 {
		t.Fatalf("a.Claim = %v; want 1", urls(got))
	}
	// a lives on, its fetch slow: it beats at each minute and a half.
	for i := 1; i <= 4; i++ {
		at := t0.Add(time.Duration(i) * 90 * time.Second)
		if more, _ := claim(t, a, at, 0); len(more) != 0 {
			t.Fatalf("a.Claim(max 0) = %v; want none", urls(more))
		}
		if more, _ := claim(t, b, at.Add(time.Second), 10); len(more) != 0 {
			t.Fatalf("b.Claim %v after a's claim, a alive = %v; want none (a live handle's claim is its own)", at.Add(time.Second).Sub(t0), urls(more))
		}
	}
	last := t0.Add(4 * 90 * time.Second)
	if more, _ := claim(t, b, last.Add(time.Minute-time.Millisecond), 10); len(more) != 0 {
		t.Fatalf("b.Claim 1ms before a's lease ends = %v; want none", urls(more))
	}
	taken, _ := claim(t, b, last.Add(time.Minute), 10)
	if len(taken) != 1 || taken[0] != got[0] {
		t.Fatalf("b.Claim a claim timeout after a's last beat = %v; want a's %v", urls(taken), urls(got))
	}
}

func (s *suite) testClaimTimeout(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 1, ClaimTimeout: time.Minute}
	a, b := s.handle(t, o), s.handle(t, o)
	push(t, a, Item("h", "/0"), Item("h", "/1"))
	got, _ := claim(t, a, t0, 10)
	if len(got) != 1 {
		t.Fatalf("a.Claim = %v; want 1", urls(got))
	}
	if more, wait := claim(t, b, t0.Add(time.Minute-time.Millisecond), 10); len(more) != 0 || wait <= 0 {
		t.Fatalf("b.Claim 1ms before the timeout = %v, wait %v; want none and a wait (a holds the slot)", urls(more), wait)
	}
	taken, _ := claim(t, b, t0.Add(time.Minute), 10)
	if len(taken) != 1 || taken[0] != got[0] {
		t.Fatalf("b.Claim at the timeout = %v; want a's %v", urls(taken), urls(got))
	}
	if _, stored := complete(t, b, crawl.Completion{Item: taken[0], Record: []byte("b")}); stored != 1 {
		t.Errorf("b.Complete stored %d; want 1", stored)
	}
	if _, stored := complete(t, a, crawl.Completion{Item: got[0], Record: []byte("a")}); stored != 0 {
		t.Errorf("a.Complete, late, stored %d; want 0 (b's record stays)", stored)
	}
	if n := outstanding(t, a); n != 1 {
		t.Errorf("Outstanding() = %d; want 1 (h/1: the page taken over counted once)", n)
	}
	next, _ := claim(t, a, t0.Add(time.Minute), 10)
	if len(next) != 1 || next[0].URL != "http://h/1" {
		t.Errorf("a.Claim = %v; want h/1 (the host's slot free again, once)", urls(next))
	}
	if recs := results(t, a, false); !slices.Equal(recs, []string{"b"}) {
		t.Errorf("ReadResults = %q; want b's record only", recs)
	}
}

// testFollow (Shared): ReadResults with follow waits for the records of
// the other handles and ends when the crawl has nothing outstanding.
func (s *suite) testFollow(t *testing.T) {
	o := crawl.StoreOptions{CrawlID: s.id(), PerHost: 10}
	w, r := s.handle(t, o), s.handle(t, o)
	push(t, w, Item("h", "/0"), Item("h", "/1"))
	got, _ := claim(t, w, t0, 10)
	complete(t, w, crawl.Completion{Item: got[0], Record: []byte("first")})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	read := make(chan []string, 1)
	first := make(chan struct{})
	go func() {
		var recs []string
		err := r.ReadResults(ctx, true, func(rec []byte) error {
			recs = append(recs, string(rec))
			if len(recs) == 1 {
				close(first)
			}
			return nil
		})
		if err != nil {
			recs = append(recs, "error: "+err.Error())
		}
		read <- recs
	}()
	select {
	case <-first:
	case recs := <-read:
		t.Fatalf("ReadResults(follow) = %q, ended with the crawl outstanding; want it to wait for the rest", recs)
	case <-ctx.Done():
		t.Fatal("ReadResults(follow) did not deliver the first record within a minute")
	}
	complete(t, w, crawl.Completion{Item: got[1], Record: []byte("second")})
	select {
	case recs := <-read:
		if !slices.Equal(recs, []string{"first", "second"}) {
			t.Errorf("ReadResults(follow) = %q; want first, second", recs)
		}
	case <-ctx.Done():
		t.Fatal("ReadResults(follow) did not end within a minute of the crawl's end")
	}
}
