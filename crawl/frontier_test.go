package crawl

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// frontierConformance drives a Frontier at random, as a crawl driver
// does, and checks the contract every implementation must keep (a shared
// store of issue 15 included): each distinct URL is claimed exactly once,
// never more than perHost of a host are claimed at once, Outstanding
// counts queued plus claimed, and the crawl drains to zero.
func frontierConformance(t *testing.T, newFrontier func(perHost int) Frontier) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			perHost := 1 + r.IntN(3)
			f := newFrontier(perHost)
			hosts := 1 + r.IntN(6)
			claimedAt := map[uint64]bool{}
			var claimed []Item
			inflight := map[string]int{}
			distinct := map[uint64]bool{}
			now := time.Unix(1000, 0)
			push := func(n int) {
				var items []Item
				for i := 0; i < n; i++ {
					h := fmt.Sprintf("h%d", r.IntN(hosts))
					u := fmt.Sprintf("http://%s/%d", h, r.IntN(200))
					items = append(items, Item{URL: u, Key: Hash(u), Host: h})
				}
				pr, err := f.Push(items)
				if err != nil {
					t.Fatal(err)
				}
				added := 0
				for _, it := range items {
					if !distinct[it.Key] {
						distinct[it.Key] = true
						added++
					}
				}
				if pr.Added != added || pr.Added+pr.Duplicates+pr.Dropped != len(items) {
					t.Fatalf("Push: %+v for %d items, %d new", pr, len(items), added)
				}
			}
			push(20)
			for step := 0; step < 10000; step++ {
				n, _ := f.Outstanding()
				if n != 0 && n < len(claimed) {
					t.Fatalf("Outstanding %d < %d claimed", n, len(claimed))
				}
				if n == 0 {
					break
				}
				switch {
				case r.IntN(3) > 0 || len(claimed) == 0:
					items, _, err := f.Claim(now, 1+r.IntN(8))
					if err != nil {
						t.Fatal(err)
					}
					for _, it := range items {
						if claimedAt[it.Key] {
							t.Fatalf("%s claimed twice", it.URL)
						}
						claimedAt[it.Key] = true
						inflight[it.Host]++
						if inflight[it.Host] > perHost {
							t.Fatalf("%d of %s claimed at once; per host %d", inflight[it.Host], it.Host, perHost)
						}
					}
					claimed = append(claimed, items...)
				default:
					i := r.IntN(len(claimed))
					it := claimed[i]
					claimed = append(claimed[:i], claimed[i+1:]...)
					inflight[it.Host]--
					if err := f.Done(it); err != nil {
						t.Fatal(err)
					}
					if r.IntN(4) == 0 {
						push(1 + r.IntN(5))
					}
				}
			}
			if n, _ := f.Outstanding(); n != 0 {
				t.Fatalf("did not drain: %d outstanding", n)
			}
			if len(claimedAt) != len(distinct) {
				t.Fatalf("%d claimed; want every one of %d distinct URLs", len(claimedAt), len(distinct))
			}
		})
	}
}

func TestMemoryFrontierConformance(t *testing.T) {
	frontierConformance(t, func(perHost int) Frontier { return newMemoryFrontier(StoreOptions{PerHost: perHost}) })
}

// TestMemoryFrontierRoundRobin: with one slot each, three hosts with long
// queues are served in turn.
func TestMemoryFrontierRoundRobin(t *testing.T) {
	f := newMemoryFrontier(StoreOptions{PerHost: 1})
	var items []Item
	for i := 0; i < 5; i++ {
		for _, h := range []string{"a", "b", "c"} {
			u := fmt.Sprintf("http://%s/%d", h, i)
			items = append(items, Item{URL: u, Key: Hash(u), Host: h})
		}
	}
	f.Push(items)
	var order string
	now := time.Now()
	for {
		got, _, _ := f.Claim(now, 1)
		if len(got) == 0 {
			break
		}
		order += got[0].Host
		f.Done(got[0])
	}
	if order != "abcabcabcabcabc" {
		t.Errorf("served %s; want abc in turn", order)
	}
}
