package fetcher

import (
	"context"
	"fmt"
	"testing"

	"github.com/greenfetch/greenfetch/internal/serve"
)

func TestEnginesAgainstServe(t *testing.T) {
	s := startServe(t)
	var urls []string
	for i := 0; i < 20; i++ {
		urls = append(urls, fmt.Sprintf("%s/size/%d", s.URL(), i*1000))
	}
	urls = append(urls, s.URL()+"/status/404", s.URL()+"/chunked/size/5000", s.URL()+"/eof/size/7000", s.URL()+"/redirect/3/size/10")
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			res, stats := runList(t, context.Background(), mode, Config{Timeout: testTimeout, Concurrency: 8}, urls)
			for i, r := range res[:20] {
				if r.Status != 200 || r.Bytes != int64(i*1000) || r.Err != nil {
					t.Errorf("%s: got status %d, %d bytes, err %s; want 200, %d bytes", r.URL, r.Status, r.Bytes, errString(r), i*1000)
				}
			}
			t.Logf("stats %+v", stats)
			for _, r := range res[20:] {
				t.Logf("%s %d %d %d %s redirects=%d", r.URL, r.Status, r.Bytes, r.WireBytes, errString(r), r.Redirects)
			}
			_ = serve.Pattern
		})
	}
}
