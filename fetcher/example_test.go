package fetcher_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/serve"
)

// Run fetches a list with the async engine; results come back in
// completion order, with their input index.
func ExampleRun() {
	srv, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	paths := []string{"/delay/30ms/size/16KiB", "/size/100", "/status/404", "/redirect/2/size/5"}
	jobs := make(chan fetcher.Job)
	results := make(chan fetcher.Result, len(paths))
	go func() {
		defer close(jobs)
		for i, p := range paths {
			jobs <- fetcher.Job{URL: srv.URL() + p, Index: int64(i)}
		}
	}()
	stats, err := fetcher.Run(context.Background(), fetcher.ModeAsync, fetcher.RunConfig{Concurrency: 4}, jobs, results)
	if err != nil {
		panic(err)
	}
	close(results)
	var all []fetcher.Result
	for r := range results {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b fetcher.Result) int { return int(a.Index - b.Index) })
	for _, r := range all {
		fmt.Printf("%d %d bytes, %d redirects, ok=%v\n", r.Status, r.Bytes, r.Redirects, r.OK())
	}
	fmt.Println("requests:", stats.Requests)
	// Output:
	// 200 16384 bytes, 0 redirects, ok=true
	// 200 100 bytes, 0 redirects, ok=true
	// 404 1024 bytes, 0 redirects, ok=false
	// 200 5 bytes, 2 redirects, ok=true
	// requests: 6
}

// A Client fetches one URL; a failure is a Result with a kind.
func ExampleClient_Fetch() {
	c, err := fetcher.NewClient(fetcher.Config{})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	r := c.Fetch(context.Background(), "gopher://example.com/")
	fmt.Println(r.ErrorKind, *r.Error)
	// Output:
	// unsupported_scheme gopher://example.com/: unsupported_scheme: scheme "gopher" not supported (http or https)
}

// HTTPVersion values are what --http1.1, --http2 and
// --http2-prior-knowledge set.
func ExampleHTTPVersion() {
	for _, v := range []fetcher.HTTPVersion{fetcher.HTTPVersionAuto, fetcher.HTTPVersion1, fetcher.HTTPVersion2, fetcher.HTTPVersion2PriorKnowledge} {
		fmt.Println(v)
	}
	// Output:
	// auto
	// 1.1
	// 2
	// 2-prior-knowledge
}

// ParseURL is the one reader of input lines: the command and the engines
// agree on what a URL is and on what is wrong with one.
func ExampleParseURL() {
	u, _ := fetcher.ParseURL("  example.org:8080/a?b=c ")
	fmt.Println(u)
	_, err := fetcher.ParseURL("http://user:secret@exa mple.org/")
	fmt.Println(err.Kind, err)
	// Output:
	// http://example.org:8080/a?b=c
	// invalid_url http://user:***@exa mple.org/: invalid_url: white space inside the URL
}

// MaskURL hides the password of every URL in a string.
func ExampleMaskURL() {
	fmt.Println(fetcher.MaskURL("https://user:secret@example.org/x"))
	// Output: https://user:***@example.org/x
}

// Validate checks a Config without building anything; its error is a
// *FieldError naming the field, for a program to restate in its own words
// (cmd/fetch names the flag).
func ExampleConfig_Validate() {
	cfg := fetcher.Config{HeaderLines: []string{"Content-Length: 3"}}
	err := cfg.Validate()
	fmt.Println(err)
	var fe *fetcher.FieldError
	if errors.As(err, &fe) {
		fmt.Printf("field %s, value %s: %v\n", fe.Field, fe.Value, fe.Err)
	}
	// Output:
	// fetcher: Config.HeaderLines "Content-Length: 3": Content-Length is set by the client; use Config.Data to send a body
	// field HeaderLines, value "Content-Length: 3": Content-Length is set by the client; use Config.Data to send a body
}
