package fetcher

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestCancelNotStarted: when the run is canceled, the fetches in flight
// end canceled, and every job that was still waiting (for a slot, a
// worker, or in the jobs channel) ends canceled with NotStarted set, in
// every engine alike, however many jobs the engine had queued ahead.
func TestCancelNotStarted(t *testing.T) {
	const n, conc = 8, 2
	for _, mode := range Modes {
		t.Run(mode.String(), func(t *testing.T) {
			srv := startServe(t) // its own: no request of another engine still counted active
			obs := &startCounter{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			jobs := make(chan Job, n)
			for i := range n {
				jobs <- Job{URL: fmt.Sprintf("%s/delay/30s?i=%d", srv.URL(), i), Index: int64(i)}
			}
			close(jobs)
			results := make(chan Result, n)
			done := make(chan error, 1)
			go func() {
				_, err := Run(ctx, mode, RunConfig{Config: Config{Timeout: time.Minute}, Concurrency: conc, Observer: obs}, jobs, results)
				done <- err
			}()
			want := int64(conc)
			if mode == ModeSync {
				want = 1
			}
			deadline := time.Now().Add(testTimeout)
			for srv.Active() < want && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			close(results)
			var begun, notStarted int64
			for r := range results {
				if r.ErrorKind != KindCanceled {
					t.Errorf("%s: got %s %q; want canceled", r.URL, r.ErrorKind, errString(r))
				}
				if r.NotStarted {
					notStarted++
				} else {
					begun++
				}
			}
			if begun != want || notStarted != n-want {
				t.Errorf("got %d begun and %d not started; want the %d in flight begun and the other %d not started", begun, notStarted, want, n-want)
			}
			if starts := obs.n.Load(); starts != begun {
				t.Errorf("Observer.OnStart called %d times; want once for each of the %d begun", starts, begun)
			}
		})
	}
}

// startCounter counts Observer.OnStart calls.
type startCounter struct {
	NopObserver
	n atomic.Int64
}

func (c *startCounter) OnStart(Job) { c.n.Add(1) }
