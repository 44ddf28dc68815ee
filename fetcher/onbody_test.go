package fetcher_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/serve"
)

// recorder is an OnBody writer that keeps what it got and whether it was
// closed.
type recorder struct {
	mu     sync.Mutex
	final  string
	ctype  string
	body   bytes.Buffer
	closed bool
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body.Write(p)
}

func (r *recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

// TestOnBody: the decoded body of each final 2xx response streams to the
// hook's writer, cut at MaxBody, with the URL after redirects; 3xx kept
// by OnRedirect, 4xx and HEAD get no call.
func TestOnBody(t *testing.T) {
	srv, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name      string
		path      string
		cfg       fetcher.Config
		follow    bool
		wantCall  bool
		wantBytes int
		wantFinal string // path
		wantKind  fetcher.ErrorKind
		wantCode  int
	}{
		{"plain", "/size/3000", fetcher.Config{}, true, true, 3000, "/size/3000", fetcher.KindNone, 200},
		{"gzip decoded", "/size/5000/gzip", fetcher.Config{Compressed: true}, true, true, 5000, "/size/5000/gzip", fetcher.KindNone, 200},
		{"after redirects", "/redirect/2/size/10", fetcher.Config{}, true, true, 10, "/redirect/0/size/10", fetcher.KindNone, 200},
		{"redirect refused", "/redirect/2/size/10", fetcher.Config{}, false, false, 0, "", fetcher.KindNone, 302},
		{"cut by the cap", "/size/100000", fetcher.Config{MaxBody: 40000}, true, true, 40000, "/size/100000", fetcher.KindTooLarge, 200},
		{"404", "/status/404/size/100", fetcher.Config{}, true, false, 0, "", fetcher.KindNone, 404},
		{"HEAD", "/size/100", fetcher.Config{Method: "HEAD"}, true, false, 0, "", fetcher.KindNone, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu        sync.Mutex
				rec       *recorder
				redirects []string
			)
			cfg := fetcher.RunConfig{Config: tt.cfg}
			cfg.OnBody = func(job fetcher.Job, final *url.URL, ct string) io.Writer {
				mu.Lock()
				defer mu.Unlock()
				rec = &recorder{final: final.String(), ctype: ct}
				return rec
			}
			cfg.OnRedirect = func(job fetcher.Job, from, to *url.URL) bool {
				mu.Lock()
				defer mu.Unlock()
				redirects = append(redirects, from.String()+" -> "+to.String())
				return tt.follow
			}
			for _, mode := range fetcher.Modes {
				rec, redirects = nil, nil
				jobs := make(chan fetcher.Job, 1)
				results := make(chan fetcher.Result, 1)
				jobs <- fetcher.Job{URL: srv.URL() + tt.path, Index: 7}
				close(jobs)
				if _, err := fetcher.Run(context.Background(), mode, cfg, jobs, results); err != nil {
					t.Fatal(err)
				}
				r := <-results
				if r.ErrorKind != tt.wantKind || r.Status != tt.wantCode {
					t.Errorf("%s: result %d %v (%v); want %d %v", mode, r.Status, r.ErrorKind, r.Error, tt.wantCode, tt.wantKind)
				}
				mu.Lock()
				if (rec != nil) != tt.wantCall {
					t.Errorf("%s: OnBody called %v; want %v", mode, rec != nil, tt.wantCall)
				}
				if rec != nil {
					if rec.body.Len() != tt.wantBytes || !rec.closed || rec.final != srv.URL()+tt.wantFinal || !strings.HasPrefix(rec.ctype, "text/plain") {
						t.Errorf("%s: hook got %d bytes, closed %v, final %s, type %q; want %d bytes, closed, final %s",
							mode, rec.body.Len(), rec.closed, rec.final, rec.ctype, tt.wantBytes, srv.URL()+tt.wantFinal)
					}
					if !bytes.Equal(rec.body.Bytes(), serve.Body(int64(rec.body.Len()))) {
						t.Errorf("%s: hook bytes differ from the body", mode)
					}
				}
				if strings.Contains(tt.path, "redirect") {
					want := 2
					if !tt.follow {
						want = 1
					}
					if len(redirects) != want {
						t.Errorf("%s: OnRedirect calls %q; want %d", mode, redirects, want)
					}
				}
				mu.Unlock()
			}
		})
	}
}
