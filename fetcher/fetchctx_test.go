package fetcher

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type ctxKey struct{}

// TestFetchCtx: the lazily made context of a fetch behaves as
// context.WithDeadline(parent, deadline) would, whether or not Done was
// asked, and calls onDone once when it ends (by deadline or by the parent).
func TestFetchCtx(t *testing.T) {
	t.Run("unmade", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
		defer cancel()
		c := &fetchCtx{parent: parent, deadline: time.Now().Add(50 * time.Millisecond)}
		if err := c.Err(); err != nil {
			t.Fatalf("Err before the deadline: %v", err)
		}
		if v := c.Value(ctxKey{}); v != "v" {
			t.Fatalf("Value = %v; want the parent's", v)
		}
		if d, ok := c.Deadline(); !ok || !d.Equal(c.deadline) {
			t.Fatalf("Deadline = %v %v; want %v", d, ok, c.deadline)
		}
		time.Sleep(60 * time.Millisecond)
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err after the deadline: %v; want DeadlineExceeded", err)
		}
		if c.inner != nil {
			t.Fatal("Err, Value or Deadline made the context")
		}
		c.release()
	})
	t.Run("parent-canceled", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		var called atomic.Int32
		c := &fetchCtx{parent: parent, deadline: time.Now().Add(time.Hour), onDone: func() { called.Add(1) }}
		derived, dcancel := context.WithTimeout(c, time.Hour) // makes it
		defer dcancel()
		if c.inner == nil {
			t.Fatal("a derived context did not make it")
		}
		cancel()
		select {
		case <-derived.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the derived context did not end with the parent")
		}
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err = %v; want Canceled", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for called.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(10 * time.Millisecond)
		if n := called.Load(); n != 1 {
			t.Fatalf("onDone called %d times; want 1", n)
		}
		c.release()
	})
	t.Run("deadline-made", func(t *testing.T) {
		var called atomic.Int32
		c := &fetchCtx{parent: context.Background(), deadline: time.Now().Add(20 * time.Millisecond), onDone: func() { called.Add(1) }}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed at the deadline")
		}
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Err = %v; want DeadlineExceeded", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for called.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if called.Load() != 1 {
			t.Fatal("onDone not called at the deadline")
		}
		c.release()
	})
	t.Run("released", func(t *testing.T) {
		var called atomic.Int32
		parent, cancel := context.WithCancel(context.Background())
		c := &fetchCtx{parent: parent, deadline: time.Now().Add(time.Hour), onDone: func() { called.Add(1) }}
		c.Done() // made
		c.release()
		cancel()
		time.Sleep(20 * time.Millisecond)
		if called.Load() != 0 {
			t.Fatal("onDone called after release")
		}
	})
}
