package crawltest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/crawl/crawltest"
)

// A store's test runs the suite on it; here the memory store, as
//
//	func TestMemoryStore(t *testing.T) {
//		crawltest.TestStore(t, crawltest.Traits{}, open)
//	}
//
// would in a _test.go file. (The example runs that test itself, quietly,
// since an example is given no *testing.T.)
func Example() {
	open := func(t *testing.T, o crawl.StoreOptions) crawl.Store {
		s, err := crawl.OpenStore(context.Background(), "memory", o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ok := runQuietly("TestMemoryStore", func(t *testing.T) {
		crawltest.TestStore(t, crawltest.Traits{}, open)
	})
	fmt.Println("the memory store conforms:", ok)
	// Output: the memory store conforms: true
}

// runQuietly runs f as the test name, its report (and go test -v's
// lines) discarded, and reports whether it passed.
func runQuietly(name string, f func(*testing.T)) bool {
	stdout := os.Stdout
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	defer devnull.Close()
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	all := func(string, string) (bool, error) { return true, nil }
	return testing.RunTests(all, []testing.InternalTest{{Name: name, F: f}})
}
