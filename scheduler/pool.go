//go:build unix

package scheduler

import (
	"context"
	"sync"
)

// Group is a set of tasks that are joined or killed together
// (gevent.pool.Group). Safe for concurrent use.
type Group struct {
	hub   *Hub
	mu    sync.Mutex
	tasks map[*Task]struct{}
	empty Event
}

// NewGroup returns an empty group whose Spawn starts tasks on h.
func NewGroup(h *Hub) *Group {
	g := &Group{hub: h, tasks: make(map[*Task]struct{})}
	g.empty.Set()
	return g
}

// Spawn starts fn on the group's hub and adds the task to the group; it
// leaves the group when it ends.
func (g *Group) Spawn(fn func(t *Task) (any, error)) *Task {
	g.mu.Lock()
	g.empty.Clear()
	self := g.hub.Spawn(func(t *Task) (any, error) {
		defer g.remove(t)
		return fn(t)
	})
	if !self.Dead() {
		g.tasks[self] = struct{}{}
	} else if len(g.tasks) == 0 {
		g.empty.Set()
	}
	g.mu.Unlock()
	return self
}

func (g *Group) remove(t *Task) {
	g.mu.Lock()
	delete(g.tasks, t)
	if len(g.tasks) == 0 {
		g.empty.Set()
	}
	g.mu.Unlock()
}

// Len returns the number of live tasks in the group.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.tasks)
}

// Join waits until every task of the group has ended.
func (g *Group) Join() { g.empty.Wait(0) }

// Kill kills every task of the group; Join waits for them to end.
func (g *Group) Kill() {
	g.mu.Lock()
	ts := make([]*Task, 0, len(g.tasks))
	for t := range g.tasks {
		ts = append(ts, t)
	}
	g.mu.Unlock()
	for _, t := range ts {
		t.Kill()
	}
}

// Pool is a Group with a bound on how many of its tasks run at once
// (gevent.pool.Pool). Spawn waits for a free slot: a task parks, a
// goroutine blocks.
type Pool struct {
	Group
	slots *Semaphore
}

// NewPool returns a pool of at most size tasks at once on h; size < 1 is 1.
func NewPool(h *Hub, size int) *Pool {
	if size < 1 {
		size = 1
	}
	p := &Pool{slots: NewSemaphore(size)}
	p.hub = h
	p.tasks = make(map[*Task]struct{})
	p.empty.Set()
	return p
}

// Spawn waits for a free slot, then starts fn on the pool's hub. If the
// caller is killed while waiting, Spawn returns a task that has already
// ended with ErrKilled.
func (p *Pool) Spawn(fn func(t *Task) (any, error)) *Task {
	if err := p.slots.Acquire(context.Background()); err != nil {
		t := &Task{hub: p.hub, err: err, state: stateDead}
		t.done.Set()
		return t
	}
	return p.Group.Spawn(func(t *Task) (any, error) {
		defer p.slots.Release()
		return fn(t)
	})
}

// Free returns the number of free slots.
func (p *Pool) Free() int {
	p.slots.mu.Lock()
	defer p.slots.mu.Unlock()
	return p.slots.free
}
