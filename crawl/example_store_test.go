package crawl_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
)

// A store in a bbolt file: what a run queued and completed is there for
// the next run, and each URL's result is kept once. "memory" or
// "redis://host:port/db" would open the others, with the same options.
func ExampleOpenStore() {
	dir, _ := os.MkdirTemp("", "frontier")
	defer os.RemoveAll(dir)
	spec := "bolt:" + filepath.Join(dir, "crawl.db")
	opts := crawl.StoreOptions{CrawlID: "site", PerHost: 2}
	item := func(u string) crawl.Item { return crawl.Item{URL: u, Key: crawl.Hash(u), Host: "example.org"} }
	ctx := context.Background()

	s, err := crawl.OpenStore(ctx, spec, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	pr, _ := s.Push([]crawl.Item{item("http://example.org/"), item("http://example.org/a")})
	fmt.Println("queued", pr.Added)
	got, _, _ := s.Claim(time.Now(), 1)
	s.Complete([]crawl.Completion{{Item: got[0], Record: []byte(`{"url":"http://example.org/"}`)}})
	s.Close() // as if the run ended here

	s, _ = crawl.OpenStore(ctx, spec, opts)
	n, _ := s.Outstanding()
	fmt.Println("outstanding after reopening", n)
	pr, _ = s.Push([]crawl.Item{item("http://example.org/")}) // the seed again
	fmt.Println("seed again: duplicates", pr.Duplicates)
	s.Close()

	// Reading results back creates and changes nothing.
	r, _ := crawl.OpenStore(ctx, spec, crawl.StoreOptions{CrawlID: "site", ReadOnly: true})
	defer r.Close()
	r.ReadResults(ctx, false, func(rec []byte) error {
		fmt.Println(string(rec))
		return nil
	})
	_, err = crawl.OpenStore(ctx, "mongo://db", opts) // no such scheme registered
	fmt.Println("mongo:", errors.Is(err, crawl.ErrStoreSetup))
	// Output:
	// queued 2
	// outstanding after reopening 1
	// seed again: duplicates 1
	// {"url":"http://example.org/"}
	// mongo: true
}
