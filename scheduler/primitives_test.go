package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

func TestQueue(t *testing.T) {
	checkNoGoroutineLeak(t)
	t.Run("fifo unbounded", func(t *testing.T) {
		q := scheduler.NewQueue[int](0)
		for i := 0; i < 100; i++ {
			q.Put(i, 0)
		}
		for i := 0; i < 100; i++ {
			if v, err := q.Get(0); v != i || err != nil {
				t.Fatalf("got Get() = %d, %v; want %d, <nil>", v, err, i)
			}
		}
	})
	t.Run("get times out on empty", func(t *testing.T) {
		// On the hub's stopped clock: the timeout expires when the test
		// moves the clock past it, not after a real wait.
		h := newHub(t)
		h.StopClock()
		get := h.Spawn(func(*scheduler.Task) (any, error) {
			return scheduler.NewQueue[int](0).Get(5 * time.Millisecond)
		})
		if err := waitParked(h, 1); err != nil {
			t.Fatal(err)
		}
		h.AdvanceClock(5 * time.Millisecond)
		if _, err := get.Join(); err != scheduler.ErrTimeout {
			t.Errorf("got %v; want ErrTimeout", err)
		}
	})
	t.Run("put times out on full", func(t *testing.T) {
		q := scheduler.NewQueue[int](1)
		q.Put(1, 0)
		if err := q.Put(2, 5*time.Millisecond); err != scheduler.ErrTimeout {
			t.Errorf("got %v; want ErrTimeout", err)
		}
	})
	t.Run("bounded producer waits for consumer across hubs", func(t *testing.T) {
		s, _ := scheduler.NewHubSet(2)
		defer s.Close()
		q := scheduler.NewQueue[int](3)
		const n = 500
		prod := s.Hubs()[0].Spawn(func(*scheduler.Task) (any, error) {
			for i := 0; i < n; i++ {
				if err := q.Put(i, 0); err != nil {
					return nil, err
				}
				if l := q.Len(); l > 3 {
					return nil, errors.New("queue over capacity")
				}
			}
			q.Close()
			return nil, nil
		})
		cons := s.Hubs()[1].Spawn(func(*scheduler.Task) (any, error) {
			want := 0
			for {
				v, err := q.Get(0)
				if err == scheduler.ErrQueueClosed {
					return want, nil
				}
				if v != want {
					return nil, errors.New("out of order")
				}
				want++
			}
		})
		if _, err := prod.Join(); err != nil {
			t.Fatal(err)
		}
		if v, err := cons.Join(); v != n || err != nil {
			t.Errorf("got consumer %v, %v; want %d, <nil>", v, err, n)
		}
	})
	t.Run("goroutine producer, task consumer", func(t *testing.T) {
		h := newHub(t)
		q := scheduler.NewQueue[string](0)
		cons := h.Spawn(func(*scheduler.Task) (any, error) { return q.Get(time.Minute) })
		// Put only once the consumer waits in Get, parked.
		if err := waitFor("the consumer is parked in Get", func() bool {
			return q.Getters() == 1 && h.ParkedTasks() == 1
		}); err != nil {
			t.Fatal(err)
		}
		q.Put("hi", 0)
		if v, err := cons.Join(); v != "hi" || err != nil {
			t.Errorf("got %v, %v; want hi, <nil>", v, err)
		}
	})
}

func TestEvent(t *testing.T) {
	checkNoGoroutineLeak(t)
	s, _ := scheduler.NewHubSet(2)
	defer s.Close()
	ev := scheduler.NewEvent()
	var tasks []*scheduler.Task
	for i := 0; i < 20; i++ {
		tasks = append(tasks, s.Spawn(func(*scheduler.Task) (any, error) { return ev.Wait(time.Minute), nil }))
	}
	var goroutineSaw atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); goroutineSaw.Store(ev.Wait(time.Minute)) }()
	// Set only once all 21 wait: 20 tasks parked on two hubs, and the
	// goroutine blocked.
	if err := waitFor("20 tasks and a goroutine wait on the event", func() bool {
		return ev.Waiters() == 21 && s.Hubs()[0].ParkedTasks()+s.Hubs()[1].ParkedTasks() == 20
	}); err != nil {
		t.Fatal(err)
	}
	if ev.IsSet() {
		t.Fatal("event set before Set")
	}
	ev.Set()
	for _, task := range tasks {
		if v, _ := task.Join(); v != true {
			t.Errorf("got Wait() = %v; want true", v)
		}
	}
	wg.Wait()
	if !goroutineSaw.Load() {
		t.Error("goroutine waiter did not see the event")
	}
	ev.Clear()
	// A wait on the cleared event times out by its hub's clock, exactly:
	// not a nanosecond before.
	h := s.Hubs()[0]
	h.StopClock()
	waiter := h.Spawn(func(*scheduler.Task) (any, error) { return ev.Wait(3 * time.Millisecond), nil })
	if err := waitParked(h, 1); err != nil {
		t.Fatal(err)
	}
	h.AdvanceClock(3*time.Millisecond - 1)
	settle(h)
	if waiter.Dead() {
		t.Fatal("got Wait(3ms) ended 1ns before its time on the hub's clock")
	}
	h.AdvanceClock(1)
	if v, _ := waiter.Join(); v != false {
		t.Errorf("got Wait() on a cleared event = %v; want false after the timeout", v)
	}
}

func TestSemaphore(t *testing.T) {
	checkNoGoroutineLeak(t)
	s, _ := scheduler.NewHubSet(2)
	defer s.Close()
	sem := scheduler.NewSemaphore(3)
	var inside, peak atomic.Int32
	// The first three holders keep their permits until all three are in,
	// so the other 37 must wait (parked) and the peak reaches the bound.
	full := scheduler.NewEvent()
	var tasks []*scheduler.Task
	for i := 0; i < 40; i++ {
		tasks = append(tasks, s.Spawn(func(*scheduler.Task) (any, error) {
			if err := sem.Acquire(context.Background()); err != nil {
				return nil, err
			}
			n := inside.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if n == 3 {
				full.Set()
			}
			if !full.Wait(time.Minute) {
				return nil, errors.New("three holders never were in at once")
			}
			inside.Add(-1)
			sem.Release()
			return nil, nil
		}))
	}
	for _, task := range tasks {
		if _, err := task.Join(); err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != 3 {
		t.Errorf("got peak holders %d; want 3", p)
	}
	// A canceled context ends a wait, and the permit is not lost.
	for i := 0; i < 3; i++ {
		sem.Acquire(context.Background())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiter := s.Spawn(func(*scheduler.Task) (any, error) { return nil, sem.Acquire(ctx) })
	if err := waitFor("a task waits in Acquire", func() bool { return sem.Waiters() == 1 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := waiter.Join(); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want context.Canceled", err)
	}
	// AcquireTimeout gives up after its timeout, in a task (timed by the
	// hub) and in a goroutine, and the permit is not lost either.
	timed := s.Spawn(func(*scheduler.Task) (any, error) {
		return nil, sem.AcquireTimeout(context.Background(), 20*time.Millisecond)
	})
	if _, err := timed.Join(); !errors.Is(err, scheduler.ErrTimeout) {
		t.Errorf("in a task: got %v; want ErrTimeout", err)
	}
	if err := sem.AcquireTimeout(context.Background(), 20*time.Millisecond); !errors.Is(err, scheduler.ErrTimeout) {
		t.Errorf("in a goroutine: got %v; want ErrTimeout", err)
	}
	for i := 0; i < 3; i++ {
		sem.Release()
	}
	if !sem.TryAcquire() {
		t.Error("got no permit after all were released")
	}
	if err := sem.AcquireTimeout(context.Background(), time.Minute); err != nil {
		t.Errorf("got %v; want a free permit at once", err)
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	var peak, inside int // tasks of one hub: no locks
	_, err := h.Run(func(*scheduler.Task) (any, error) {
		p := scheduler.NewPool(h, 4)
		// The first four tasks stay in until all four are: the spawner
		// must wait for a slot, and the peak reaches the bound.
		full := scheduler.NewEvent()
		var tasks []*scheduler.Task
		for i := 0; i < 30; i++ {
			tasks = append(tasks, p.Spawn(func(*scheduler.Task) (any, error) {
				inside++
				peak = max(peak, inside)
				if inside == 4 {
					full.Set()
				}
				if !full.Wait(time.Minute) {
					return nil, errors.New("four tasks never were in at once")
				}
				inside--
				return nil, nil
			}))
		}
		p.Join()
		for _, task := range tasks {
			if _, err := task.Join(); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak != 4 {
		t.Errorf("got peak %d tasks in the pool; want 4", peak)
	}
}

func TestGroupKill(t *testing.T) {
	checkNoGoroutineLeak(t)
	h := newHub(t)
	g := scheduler.NewGroup(h)
	var tasks []*scheduler.Task
	for i := 0; i < 10; i++ {
		tasks = append(tasks, g.Spawn(func(*scheduler.Task) (any, error) { return nil, scheduler.Sleep(time.Hour) }))
	}
	if err := waitParked(h, 10); err != nil {
		t.Fatal(err)
	}
	g.Kill()
	g.Join()
	if g.Len() != 0 {
		t.Errorf("got %d tasks left; want 0", g.Len())
	}
	for _, task := range tasks {
		if _, err := task.Join(); !errors.Is(err, scheduler.ErrKilled) {
			t.Errorf("got %v; want ErrKilled", err)
		}
	}
}

func TestEventWaitContext(t *testing.T) {
	checkNoGoroutineLeak(t)
	ev := scheduler.NewEvent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHub(t)
	waiter := h.Spawn(func(*scheduler.Task) (any, error) { return nil, ev.WaitContext(ctx) })
	if err := waitFor("the task is parked in WaitContext", func() bool {
		return ev.Waiters() == 1 && h.ParkedTasks() == 1
	}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := waiter.Join(); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want context.Canceled", err)
	}
	ev.Set()
	if err := ev.WaitContext(context.Background()); err != nil {
		t.Errorf("got %v on a set event; want nil", err)
	}
}
