package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"math/rand"
	"os"
	"runtime"
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
	// The hub's clock stands still, so the two 10ms sleeps end at the very
	// same instant, and all of them end in one move of the clock.
	h.StopClock()
	var order []string
	sleeps := []struct {
		name string
		d    time.Duration
	}{{"30", 30}, {"10a", 10}, {"20", 20}, {"0", 0}, {"10b", 10}, {"10c", 10}, {"5", 5}, {"10d", 10}, {"10e", 10}}
	parent := h.Spawn(func(*scheduler.Task) (any, error) {
		var tasks []*scheduler.Task
		for _, s := range sleeps {
			tasks = append(tasks, h.Spawn(func(*scheduler.Task) (any, error) {
				err := scheduler.Sleep(s.d * time.Millisecond)
				order = append(order, s.name)
				return nil, err
			}))
		}
		scheduler.JoinAll(tasks, 0)
		return nil, nil
	})
	// Eight sleepers and the parent in JoinAll.
	if err := waitParked(h, 9); err != nil {
		t.Fatal(err)
	}
	h.AdvanceClock(30 * time.Millisecond)
	parent.Join()
	// Shorter sleeps end first; equal deadlines keep spawn order (FIFO).
	if got, want := strings.Join(order, " "), "0 5 10a 10b 10c 10d 10e 20 30"; got != want {
		t.Errorf("got wake order %q; want %q", got, want)
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
		if err := waitParked(h, 1); err != nil {
			t.Fatal(err)
		}
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
			err := scheduler.Sleep(time.Hour)
			return ctx.Err(), err
		})
		if err := waitParked(h, 1); err != nil {
			t.Fatal(err)
		}
		task.Kill()
		if v, err := task.Join(); v != context.Canceled || !errors.Is(err, scheduler.ErrKilled) {
			t.Errorf("got ctx.Err() = %v, Sleep() = %v after Kill; want context.Canceled, ErrKilled", v, err)
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

// TestGoexitBecomesTaskError: a task that calls runtime.Goexit (which
// t.Fatal and t.FailNow do) ends with a *PanicError whose Goexit is set,
// and its hub goes on: other tasks, parked before or spawned after, run;
// timers fire; the hub closes cleanly.
func TestGoexitBecomesTaskError(t *testing.T) {
	checkNoGoroutineLeak(t)
	tests := []struct {
		name string
		fn   func(*scheduler.Task) (any, error)
	}{
		{"on its first run", func(*scheduler.Task) (any, error) {
			runtime.Goexit()
			return "unreachable", nil
		}},
		{"after parking", func(*scheduler.Task) (any, error) {
			scheduler.Sleep(time.Millisecond)
			runtime.Goexit()
			return "unreachable", nil
		}},
		{"from a deferred call after a panic was recovered", func(*scheduler.Task) (any, error) {
			defer runtime.Goexit()
			defer func() { recover() }()
			panic("first")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := scheduler.NewHub()
			if err != nil {
				t.Fatal(err)
			}
			release := scheduler.NewEvent()
			before := h.Spawn(func(*scheduler.Task) (any, error) {
				if !release.Wait(time.Minute) {
					return nil, errors.New("never released")
				}
				return "still here", nil
			})
			if err := waitParked(h, 1); err != nil {
				t.Fatal(err)
			}
			bad := h.Spawn(tt.fn)
			// Bounded: without the fix the hub's loop dies with the task
			// and this Join would hang.
			if done := scheduler.JoinAll([]*scheduler.Task{bad}, 10*time.Second); len(done) != 1 {
				t.Fatal("Join on a task that called runtime.Goexit did not return within 10s")
			}
			v, err := bad.Join()
			var pe *scheduler.PanicError
			if v != nil || !errors.As(err, &pe) || !pe.Goexit || pe.Value != nil || len(pe.Stack) == 0 {
				t.Fatalf("got Join() = %v, %#v; want nil, a *PanicError with Goexit set, no value and a stack", v, err)
			}
			if !strings.Contains(err.Error(), "runtime.Goexit") {
				t.Errorf("got message %q; want it to name runtime.Goexit", err)
			}
			// The task parked before the Goexit wakes and finishes.
			release.Set()
			if v, err := before.Join(); v != "still here" || err != nil {
				t.Errorf("task parked before: got %v, %v; want still here, <nil>", v, err)
			}
			// New tasks run, sleep (timers) and join on the same hub.
			after, err := h.Run(func(*scheduler.Task) (any, error) {
				if err := scheduler.Sleep(time.Millisecond); err != nil {
					return nil, err
				}
				return h.Spawn(func(*scheduler.Task) (any, error) { return "after", nil }).Join()
			})
			if after != "after" || err != nil {
				t.Errorf("task spawned after: got %v, %v; want after, <nil>", after, err)
			}
			closed := make(chan error, 1)
			go func() { closed <- h.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Errorf("got Close() = %v; want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not return within 10s")
			}
		})
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
	const short = 5 * time.Millisecond
	tests := []struct {
		name string
		fn   func() (inner []error, err error)
		want []error // what the blocking calls inside returned
		err  error   // what WithTimeout returned
	}{
		{"overruns: the blocking call and WithTimeout return ErrTimeout", func() ([]error, error) {
			var e1 error
			err := scheduler.WithTimeout(short, func() error { e1 = scheduler.Sleep(time.Hour); return e1 })
			return []error{e1}, err
		}, []error{scheduler.ErrTimeout}, scheduler.ErrTimeout},
		{"every later blocking call fails too, and fn's nil does not hide the timeout", func() ([]error, error) {
			var e1, e2, e3 error
			err := scheduler.WithTimeout(short, func() error {
				e1 = scheduler.Sleep(time.Hour)
				e2 = scheduler.Sleep(time.Hour) // returns at once
				e3 = scheduler.Yield()
				return nil
			})
			return []error{e1, e2, e3}, err
		}, []error{scheduler.ErrTimeout, scheduler.ErrTimeout, scheduler.ErrTimeout}, scheduler.ErrTimeout},
		{"finishes in time", func() ([]error, error) {
			var e1 error
			err := scheduler.WithTimeout(time.Hour, func() error { e1 = scheduler.Yield(); return e1 })
			return []error{e1}, err
		}, []error{nil}, nil},
		{"nested: the inner block's timeout ends only the inner block", func() ([]error, error) {
			var inner, after error
			err := scheduler.WithTimeout(time.Hour, func() error {
				inner = scheduler.WithTimeout(short, func() error { return scheduler.Sleep(time.Hour) })
				after = scheduler.Yield()
				return nil
			})
			return []error{inner, after}, err
		}, []error{scheduler.ErrTimeout, nil}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// On the hub's stopped clock, moved by short whenever the task
			// is parked: timeouts expire without a real wait.
			h := newHub(t)
			h.StopClock()
			task := h.Spawn(func(*scheduler.Task) (any, error) {
				inner, err := tt.fn()
				return inner, err
			})
			for i := 0; !task.Dead(); i++ {
				if i == 100 {
					t.Fatal("task still running after the clock moved 100 times")
				}
				if err := waitFor("the task is parked or done", func() bool { return task.Dead() || h.ParkedTasks() == 1 }); err != nil {
					t.Fatal(err)
				}
				if !task.Dead() {
					h.AdvanceClock(short)
				}
				settle(h)
			}
			v, err := task.Join()
			if err != tt.err {
				t.Errorf("got WithTimeout() = %v; want %v", err, tt.err)
			}
			if got := fmt.Sprint(v); got != fmt.Sprint(tt.want) {
				t.Errorf("got blocking calls inside = %s; want %s", got, fmt.Sprint(tt.want))
			}
		})
	}
	t.Run("not a nanosecond early", func(t *testing.T) {
		h := newHub(t)
		h.StopClock()
		task := h.Spawn(func(*scheduler.Task) (any, error) {
			return nil, scheduler.WithTimeout(short, func() error { return scheduler.Sleep(time.Hour) })
		})
		if err := waitParked(h, 1); err != nil {
			t.Fatal(err)
		}
		h.AdvanceClock(short - 1)
		settle(h)
		if task.Dead() {
			t.Fatal("got WithTimeout ended 1ns before its time on the hub's clock")
		}
		h.AdvanceClock(1)
		if _, err := task.Join(); err != scheduler.ErrTimeout {
			t.Errorf("got %v; want ErrTimeout", err)
		}
	})
	if err := scheduler.WithTimeout(time.Second, func() error { return nil }); err != scheduler.ErrNotInTask {
		t.Errorf("outside a task: got %v; want ErrNotInTask", err)
	}
	// ErrTimeout's doc: it reports Timeout() == true and matches
	// os.ErrDeadlineExceeded with errors.Is, as the standard library's
	// deadline errors do.
	if !isTimeout(scheduler.ErrTimeout) {
		t.Error("got ErrTimeout.Timeout() = false; want true")
	}
	if !errors.Is(scheduler.ErrTimeout, os.ErrDeadlineExceeded) {
		t.Error("got errors.Is(ErrTimeout, os.ErrDeadlineExceeded) = false; want true")
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
	if err := waitParked(h, 1); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("got Close() = %v; want nil", err)
	}
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
	parallel(t)
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
