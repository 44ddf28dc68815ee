package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

func TestYieldOrderIsFIFO(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	var order []string // shared without locks: tasks of one hub
	// Spawned from a task, so that all three are queued before any runs.
	h.Spawn(func(*scheduler.Task) (any, error) {
		var tasks []*scheduler.Task
		for _, name := range []string{"a", "b", "c"} {
			tasks = append(tasks, h.Spawn(func(*scheduler.Task) (any, error) {
				for i := 0; i < 3; i++ {
					order = append(order, fmt.Sprintf("%s%d", name, i))
					scheduler.Yield()
				}
				return nil, nil
			}))
		}
		scheduler.JoinAll(tasks, 0)
		return nil, nil
	}).Join()
	got := strings.Join(order, " ")
	want := "a0 b0 c0 a1 b1 c1 a2 b2 c2"
	if got != want {
		t.Errorf("got order %q; want %q", got, want)
	}
}

func TestSleepOrderFollowsDeadlines(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	var order []int
	h.Spawn(func(*scheduler.Task) (any, error) {
		var tasks []*scheduler.Task
		for _, ms := range []int{30, 10, 20, 0, 10} {
			tasks = append(tasks, h.Spawn(func(*scheduler.Task) (any, error) {
				scheduler.Sleep(time.Duration(ms) * time.Millisecond)
				order = append(order, ms)
				return nil, nil
			}))
		}
		scheduler.JoinAll(tasks, 0)
		return nil, nil
	}).Join()
	// Equal deadlines keep spawn order (FIFO), shorter sleeps end first.
	if got, want := fmt.Sprint(order), "[0 10 10 20 30]"; got != want {
		t.Errorf("got wake order %s; want %s", got, want)
	}
}

func TestJoinReturnsValueAndError(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(*scheduler.Task) (any, error)
		want    any
		wantErr error
	}{
		{"value", func(*scheduler.Task) (any, error) { return 42, nil }, 42, nil},
		{"error", func(*scheduler.Task) (any, error) { return nil, boom }, nil, boom},
		{"after sleep", func(*scheduler.Task) (any, error) { scheduler.Sleep(time.Millisecond); return "late", nil }, "late", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := h.Spawn(tt.fn).Join()
			if v != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("got Join() = %v, %v; want %v, %v", v, err, tt.want, tt.wantErr)
			}
		})
	}
	// Join from inside a task parks instead of blocking.
	v, err := h.Spawn(func(*scheduler.Task) (any, error) {
		return h.Spawn(func(*scheduler.Task) (any, error) { return "inner", nil }).Join()
	}).Join()
	if v != "inner" || err != nil {
		t.Errorf("got nested Join() = %v, %v; want inner, <nil>", v, err)
	}
}

func TestJoinAllTimeoutReportsFinished(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	fast := h.Spawn(func(*scheduler.Task) (any, error) { return nil, nil })
	slow := h.Spawn(func(*scheduler.Task) (any, error) { return nil, scheduler.Sleep(time.Hour) })
	done := scheduler.JoinAll([]*scheduler.Task{fast, slow}, 20*time.Millisecond)
	if len(done) != 1 || done[0] != fast {
		t.Fatalf("got JoinAll done = %v; want only the fast task", done)
	}
	slow.Kill()
	if _, err := slow.Join(); !errors.Is(err, scheduler.ErrKilled) {
		t.Errorf("got killed sleeper's error %v; want ErrKilled", err)
	}
	// JoinAll from inside a task.
	v, _ := h.Spawn(func(*scheduler.Task) (any, error) {
		s := h.Spawn(func(*scheduler.Task) (any, error) { return nil, scheduler.Sleep(time.Hour) })
		d := scheduler.JoinAll([]*scheduler.Task{s}, 10*time.Millisecond)
		s.Kill()
		return len(d), nil
	}).Join()
	if v != 0 {
		t.Errorf("got %v tasks done inside a task; want 0", v)
	}
}

func TestKill(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	t.Run("while sleeping", func(t *testing.T) {
		task := h.Spawn(func(*scheduler.Task) (any, error) { return nil, scheduler.Sleep(time.Hour) })
		scheduler.Sleep(5 * time.Millisecond)
		task.Kill()
		if _, err := task.Join(); !errors.Is(err, scheduler.ErrKilled) {
			t.Errorf("got %v; want ErrKilled", err)
		}
	})
	t.Run("before it runs", func(t *testing.T) {
		ran := atomic.Bool{}
		var task *scheduler.Task
		h.Spawn(func(*scheduler.Task) (any, error) {
			task = h.Spawn(func(*scheduler.Task) (any, error) { ran.Store(true); return nil, nil })
			task.Kill()
			return nil, nil
		}).Join()
		if _, err := task.Join(); !errors.Is(err, scheduler.ErrKilled) || ran.Load() {
			t.Errorf("got err %v, ran %v; want ErrKilled and never ran", err, ran.Load())
		}
	})
	t.Run("context canceled", func(t *testing.T) {
		task := h.Spawn(func(self *scheduler.Task) (any, error) {
			ctx := self.Context()
			for i := 0; i < 1000; i++ {
				if ctx.Err() != nil {
					return "canceled", nil
				}
				scheduler.Sleep(time.Millisecond)
			}
			return "not canceled", nil
		})
		scheduler.Sleep(3 * time.Millisecond)
		task.Kill()
		if v, _ := task.Join(); v != "canceled" {
			t.Errorf("got %v; want the task to see its context canceled", v)
		}
	})
	t.Run("killed task's later waits fail at once", func(t *testing.T) {
		v, _ := h.Spawn(func(self *scheduler.Task) (any, error) {
			self.Kill()
			e1 := scheduler.Sleep(time.Hour)
			e2 := scheduler.Yield()
			return []error{e1, e2}, nil
		}).Join()
		errs := v.([]error)
		for i, err := range errs {
			if !errors.Is(err, scheduler.ErrKilled) {
				t.Errorf("wait %d: got %v; want ErrKilled", i, err)
			}
		}
	})
}

func TestPanicBecomesTaskError(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	other := h.Spawn(func(*scheduler.Task) (any, error) {
		scheduler.Sleep(5 * time.Millisecond)
		return "still here", nil
	})
	bad := h.Spawn(func(*scheduler.Task) (any, error) { panic("oops") })
	_, err := bad.Join()
	var pe *scheduler.PanicError
	if !errors.As(err, &pe) || pe.Value != "oops" || len(pe.Stack) == 0 {
		t.Fatalf("got %v; want a *PanicError with value oops and a stack", err)
	}
	if v, err := other.Join(); v != "still here" || err != nil {
		t.Errorf("other task got %v, %v; want it unaffected", v, err)
	}
}

func TestCurrent(t *testing.T) {
	checkNoGoroutineLeak(t)
	if scheduler.Current() != nil {
		t.Fatal("got a current task in the test goroutine; want nil")
	}
	h := newHub(t)
	var self, seen *scheduler.Task
	self = h.Spawn(func(t *scheduler.Task) (any, error) { seen = scheduler.Current(); return nil, nil })
	self.Join()
	if seen != self {
		t.Errorf("got Current() = %p inside the task; want %p", seen, self)
	}
}

func TestWithTimeout(t *testing.T) {
	checkNoGoroutineLeak(t)
	tests := []struct {
		name  string
		limit time.Duration
		work  time.Duration
		want  error
	}{
		{"overruns", 5 * time.Millisecond, time.Hour, scheduler.ErrTimeout},
		{"finishes", time.Hour, time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, func(*scheduler.Task) (any, error) {
				return nil, scheduler.WithTimeout(tt.limit, func() error { return scheduler.Sleep(tt.work) })
			})
			if err != tt.want {
				t.Errorf("got %v; want %v", err, tt.want)
			}
		})
	}
	if err := scheduler.WithTimeout(time.Second, func() error { return nil }); err != scheduler.ErrNotInTask {
		t.Errorf("outside a task: got %v; want ErrNotInTask", err)
	}
	if !errors.Is(scheduler.ErrTimeout, context.DeadlineExceeded) && !isTimeout(scheduler.ErrTimeout) {
		t.Errorf("ErrTimeout does not report Timeout()")
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func TestBlockingRunsOffHub(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	// While one task sits in a blocking call, another keeps ticking.
	ticks := 0
	release := make(chan struct{})
	blocker := h.Spawn(func(*scheduler.Task) (any, error) {
		return scheduler.Blocking(func() (int, error) { <-release; return 7, nil })
	})
	ticker := h.Spawn(func(*scheduler.Task) (any, error) {
		for i := 0; i < 5; i++ {
			scheduler.Sleep(time.Millisecond)
			ticks++
		}
		close(release) // from a task, but close never blocks
		return nil, nil
	})
	ticker.Join()
	v, err := blocker.Join()
	if v != 7 || err != nil || ticks != 5 {
		t.Errorf("got %v, %v with %d ticks; want 7, <nil> with 5 ticks", v, err, ticks)
	}
	// From an ordinary goroutine it is a plain call.
	if v, _ := scheduler.Blocking(func() (string, error) { return "direct", nil }); v != "direct" {
		t.Errorf("got %v; want direct", v)
	}
}

func TestHubCloseKillsTasks(t *testing.T) {
	checkNoGoroutineLeak(t)
	h, err := scheduler.NewHub()
	if err != nil {
		t.Fatal(err)
	}
	sleeper := h.Spawn(func(*scheduler.Task) (any, error) { return nil, scheduler.Sleep(time.Hour) })
	scheduler.Sleep(2 * time.Millisecond)
	h.Close()
	if _, err := sleeper.Join(); !errors.Is(err, scheduler.ErrHubClosed) {
		t.Errorf("got %v; want ErrHubClosed", err)
	}
	late := h.Spawn(func(*scheduler.Task) (any, error) { return nil, nil })
	if _, err := late.Join(); !errors.Is(err, scheduler.ErrHubClosed) {
		t.Errorf("spawn on closed hub: got %v; want ErrHubClosed", err)
	}
	if err := h.Post(func() {}); err != scheduler.ErrHubClosed {
		t.Errorf("Post on closed hub: got %v; want ErrHubClosed", err)
	}
}

func TestHubSetSpreadsTasks(t *testing.T) {
	checkNoGoroutineLeak(t)
	s, err := scheduler.NewHubSet(3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[*scheduler.Hub]int{}
	var tasks []*scheduler.Task
	for i := 0; i < 30; i++ {
		tasks = append(tasks, s.Spawn(func(t *scheduler.Task) (any, error) { return t.Hub(), nil }))
	}
	for _, task := range tasks {
		v, _ := task.Join()
		seen[v.(*scheduler.Hub)]++
	}
	if len(seen) != 3 {
		t.Errorf("got tasks on %d hubs; want 3", len(seen))
	}
	for h, n := range seen {
		if n != 10 {
			t.Errorf("got %d tasks on hub %p; want 10", n, h)
		}
	}
}

// TestStress runs many tasks on a hub set doing random sleeps, yields, queue
// and event operations, and checks the invariants: never two tasks of one
// hub at once, no lost wake-up (every task finishes), every queued value
// delivered exactly once.
func TestStress(t *testing.T) {
	checkNoGoroutineLeak(t)
	tasksPerHub, ops := 200, 60
	if testing.Short() {
		tasksPerHub, ops = 50, 20
	}
	s, err := scheduler.NewHubSet(4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	running := map[*scheduler.Hub]*int{} // written only by tasks of that hub
	for _, h := range s.Hubs() {
		running[h] = new(int)
	}
	q := scheduler.NewQueue[int](16)
	ev := scheduler.NewEvent()
	var produced, consumed atomic.Int64
	var sum atomic.Int64
	var violations atomic.Int64
	var tasks []*scheduler.Task
	n := tasksPerHub * len(s.Hubs())
	for i := 0; i < n; i++ {
		seed := int64(i)
		tasks = append(tasks, s.Spawn(func(self *scheduler.Task) (any, error) {
			r := rand.New(rand.NewSource(seed))
			ctr := running[self.Hub()]
			enter := func() {
				*ctr++
				if *ctr != 1 {
					violations.Add(1)
				}
			}
			leave := func() { *ctr-- }
			enter()
			defer leave()
			for j := 0; j < ops; j++ {
				leave()
				switch r.Intn(5) {
				case 0:
					scheduler.Sleep(time.Duration(r.Intn(300)) * time.Microsecond)
				case 1:
					scheduler.Yield()
				case 2:
					v := r.Intn(1000)
					if q.Put(v, 50*time.Millisecond) == nil {
						produced.Add(1)
						sum.Add(int64(v))
					}
				case 3:
					if v, err := q.Get(time.Millisecond); err == nil {
						consumed.Add(1)
						sum.Add(-int64(v))
					}
				case 4:
					ev.Wait(time.Duration(1+r.Intn(200)) * time.Microsecond) // never 0: that waits forever
					if r.Intn(10) == 0 {
						ev.Set()
						ev.Clear()
					}
				}
				enter()
			}
			return nil, nil
		}))
	}
	done := scheduler.JoinAll(tasks, time.Minute)
	for q.Len() > 0 {
		v, _ := q.Get(0)
		consumed.Add(1)
		sum.Add(-int64(v))
	}
	if len(done) != n {
		t.Fatalf("got %d of %d tasks finished; want all (lost wake-up?)", len(done), n)
	}
	if v := violations.Load(); v != 0 {
		t.Errorf("got %d moments with two tasks of one hub running; want 0", v)
	}
	if produced.Load() != consumed.Load() || sum.Load() != 0 {
		t.Errorf("got %d produced, %d consumed, sum %d; want equal counts and sum 0", produced.Load(), consumed.Load(), sum.Load())
	}
}

// TestImports keeps scheduler at the bottom of the layering: it imports
// nothing of the project (after go/build's TestNoFmt idea).
func TestImports(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/greenfetch/") {
			t.Errorf("scheduler imports %s; want no project package", imp)
		}
	}
}

func TestHubSwitchAllocs(t *testing.T) {
	h := newHub(t)
	var allocs float64
	h.Spawn(func(*scheduler.Task) (any, error) {
		allocs = testing.AllocsPerRun(1000, func() { scheduler.Yield() })
		return nil, nil
	}).Join()
	if allocs != 0 {
		t.Errorf("got %v allocations per Yield round trip; want 0", allocs)
	}
}
