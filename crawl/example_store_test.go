package crawl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/greenfetch/greenfetch/crawl"
)

// A frontier in a bbolt file: what a run queued and completed is there
// for the next run, and each URL's result is kept once.
func ExampleBoltFrontier() {
	dir, _ := os.MkdirTemp("", "frontier")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "crawl.db")
	item := func(u string) crawl.Item { return crawl.Item{URL: u, Key: crawl.Hash(u), Host: "example.org"} }

	f, _ := crawl.OpenBolt(path, "site", 2, 0, 0)
	pr, _ := f.Push([]crawl.Item{item("http://example.org/"), item("http://example.org/a")})
	fmt.Println("queued", pr.Added)
	got, _, _ := f.Claim(time.Now(), 1)
	f.Complete([]crawl.Completion{{Item: got[0], Record: []byte(`{"url":"http://example.org/"}`)}})
	f.Close() // as if the run ended here

	f, _ = crawl.OpenBolt(path, "site", 2, 0, 0)
	defer f.Close()
	n, _ := f.Outstanding()
	fmt.Println("outstanding after reopening", n)
	pr, _ = f.Push([]crawl.Item{item("http://example.org/")}) // the seed again
	fmt.Println("seed again: duplicates", pr.Duplicates)
	f.ReadResults(context.Background(), false, func(rec []byte) error {
		fmt.Println(string(rec))
		return nil
	})
	// Output:
	// queued 2
	// outstanding after reopening 1
	// seed again: duplicates 1
	// {"url":"http://example.org/"}
}
