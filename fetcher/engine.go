package fetcher

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenfetch/greenfetch/scheduler"
)

// Run fetches every job from jobs with the engine of mode and sends one
// Result per job to results, in completion order (Result.Index gives the
// input order). It returns when jobs is closed and drained and every result
// has been sent, with what the run did on the wire. It closes neither
// channel.
//
// Each run starts cold: a new client, so a new connection pool and (when
// cfg.Resolver is nil) a new DNS cache. Memory grows with cfg.Concurrency,
// not with the number of jobs.
//
// When ctx is canceled, fetches in flight end as KindCanceled, and every
// job not yet begun (waiting for a slot or a worker, or still read from
// jobs) gets a KindCanceled result with NotStarted set at once: the
// caller still closes jobs. The returned error is non-nil only when the
// run could not start (cfg.Validate refused cfg, no hub); then no job was
// read.
//
// The engines:
//
//   - ModeSync runs one job at a time, each as one task on a single hub
//     (Hub.Run), on cooperative sockets: the cost of fetching one by one.
//   - ModeThreads runs up to Concurrency goroutines, each fetching one job
//     with Go's net package.
//   - ModeAsync runs up to Concurrency worker tasks spread over Hubs hubs,
//     on cooperative sockets. A dispatcher goroutine reads jobs: it spawns a
//     worker for each of the first Concurrency jobs, then puts jobs in a
//     scheduler.Queue bounded by the concurrency. A worker fetches its job,
//     puts the result in a second bounded Queue that a collector goroutine
//     forwards to results, and takes its next job. Queue operations park a
//     task instead of blocking its thread, so no task ever blocks its hub;
//     and a busy worker finds its next job waiting, without the cross-thread
//     wake-up (eventfd write, epoll return, eventfd read) that spawning a
//     task per job costs.
func Run(ctx context.Context, mode Mode, cfg RunConfig, jobs <-chan Job, results chan<- Result) (Stats, error) {
	c, err := newClient(cfg)
	if err != nil {
		return Stats{}, err
	}
	defer c.Close()
	e := &engine{c: c, ctx: ctx, mode: mode, jobs: jobs, results: results}
	c.lastJobs = e.lastJobs
	if cfg.Rate > 0 {
		e.interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	switch mode {
	case ModeSync:
		err = e.runSync()
	case ModeThreads:
		e.runThreads()
	case ModeAsync:
		err = e.runAsync()
	default:
		return Stats{}, fmt.Errorf("fetcher: unknown mode %d", mode)
	}
	c.Close()
	return c.Stats(), err
}

type engine struct {
	c       *Client
	ctx     context.Context
	mode    Mode
	jobs    <-chan Job
	results chan<- Result

	hubs    *scheduler.HubSet // of the async engine
	workers sync.WaitGroup    // the async engine's worker tasks

	// inputDone is set once jobs is closed and drained; waiting is the
	// async engine's queue of jobs read but not yet taken by a worker.
	inputDone atomic.Bool
	waiting   *scheduler.Queue[queuedJob]

	interval time.Duration // between starts, with a Rate; 0: none
	next     time.Time     // when the next fetch is due, with a Rate (pace)
}

// lastJobs reports that every job of the run has been handed to a fetch
// (Client.lastJobs). Safe from any goroutine.
func (e *engine) lastJobs() bool {
	return e.inputDone.Load() && (e.waiting == nil || e.waiting.Len() == 0)
}

// pace waits until the rate limit lets the next fetch start, and returns
// the time that fetch was scheduled to start. It runs on the dispatcher,
// an ordinary goroutine, after the job was taken from the input at t0.
//
// Without a Rate a fetch is due when it is taken: pace returns t0. With
// one, the n-th fetch of the run is due at the first one's start plus
// n/Rate, whatever happened before it, as wrk2 schedules its requests: a
// fetch that could not start on time (every slot busy, a stalled client)
// starts as soon as it can, and its Queue time counts from when it was
// due, so that a stall shows in the times instead of being left out
// (coordinated omission). After a stall the fetches that fell behind
// start back to back, as many at once as the concurrency allows, until
// the schedule is caught up: over the run, Rate fetches start a second.
func (e *engine) pace(t0 time.Time) time.Time {
	if e.interval == 0 {
		return t0
	}
	if e.next.IsZero() {
		e.next = t0
	}
	due := e.next
	if wait := time.Until(due); wait > 0 {
		sleepCtx(e.ctx, wait)
	}
	e.next = due.Add(e.interval)
	return due
}

// deliver tells the observer and sends *r. Taking a pointer, it copies
// the Result once, into the channel (a value parameter would be moved to
// the heap for the observer's pointer: an allocation per result).
func (e *engine) deliver(r *Result) {
	if obs := e.c.cfg.Observer; obs != nil {
		obs.OnResult(r)
	}
	e.results <- *r
}

// canceled is the result of a job that never started (NotStarted).
func (e *engine) canceled(job Job, queued time.Duration) Result {
	_, shown, _ := parseURL(job.URL)
	r := ErrorResult(job, e.mode, &Error{Kind: KindCanceled, URL: shown, Err: errCanceled})
	r.Timings.Queue = queued
	r.NotStarted = true
	return r
}

// panicked is the result of a job whose fetch panicked with p: the one
// place where a panic becomes a result, in every engine. A panic is a bug,
// not a network failure: it is KindInternal, and the message has the
// panic value.
func panicked(job Job, mode Mode, queued time.Duration, p any) Result {
	if pe, ok := p.(*scheduler.PanicError); ok {
		p = pe.Value
	}
	_, shown, _ := parseURL(job.URL)
	r := ErrorResult(job, mode, &Error{Kind: KindInternal, URL: shown, Err: fmt.Errorf("panic during the fetch (a bug in greenfetch or an Observer): %v", p)})
	r.Timings.Queue = queued
	return r
}

func (e *engine) runSync() error {
	h, err := scheduler.NewHub()
	if err != nil {
		return fmt.Errorf("fetcher: sync engine: %w", err)
	}
	defer h.Close()
	for job := range e.jobs {
		t0 := time.Now()
		due := e.pace(t0)
		if e.ctx.Err() != nil {
			r := e.canceled(job, time.Since(t0))
			e.deliver(&r)
			continue
		}
		queued := time.Since(due)
		v, err := h.Run(func(*scheduler.Task) (any, error) {
			return e.c.fetch(e.ctx, job, ModeSync, queued), nil
		})
		r, ok := v.(Result)
		if !ok { // the task panicked (err is a *scheduler.PanicError) or the hub failed under it
			r = panicked(job, ModeSync, queued, err)
		}
		e.deliver(&r)
	}
	// Connections belong to the hub: close them before it goes.
	e.c.Close()
	return nil
}

// acquire takes a slot of slots for the next job, or gives up when the run
// is canceled. It runs on the dispatcher, an ordinary goroutine.
func (e *engine) acquire(slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
	case <-e.ctx.Done():
		return false
	}
	if e.ctx.Err() != nil {
		<-slots
		return false
	}
	return true
}

func (e *engine) runThreads() {
	slots := make(chan struct{}, e.c.cfg.Concurrency)
	var wg sync.WaitGroup
	for job := range e.jobs {
		t0 := time.Now()
		due := e.pace(t0)
		ok := e.acquire(slots)
		queued := time.Since(due)
		if !ok {
			r := e.canceled(job, time.Since(t0))
			e.deliver(&r)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.threadsFetch(job, queued)
			e.deliver(&r)
			<-slots
		}()
	}
	e.inputDone.Store(true)
	wg.Wait()
}

func (e *engine) runAsync() error {
	hubs, err := scheduler.NewHubSet(e.c.cfg.Hubs)
	if err != nil {
		return fmt.Errorf("fetcher: async engine: %w", err)
	}
	e.hubs = hubs
	n := e.c.cfg.Concurrency
	// Workers pull jobs from queued and push results to done, both bounded
	// by the concurrency, so memory follows it and not the list. A busy
	// worker finds its next job waiting and goes on without a wake-up
	// from another thread.
	queued := scheduler.NewQueue[queuedJob](n)
	e.waiting = queued
	done := scheduler.NewQueue[*Result](n)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for {
			r, err := done.Get(0)
			if err != nil {
				return
			}
			e.deliver(r)
		}
	}()
	spawned := 0
	for job := range e.jobs {
		t0 := time.Now()
		due := e.pace(t0)
		if e.ctx.Err() != nil {
			r := e.canceled(job, time.Since(t0))
			e.deliver(&r)
			continue
		}
		q := queuedJob{job, due}
		if spawned < n {
			spawned++
			e.spawnWorker(&workerState{q: q, has: true}, queued, done)
			continue
		}
		if err := queued.Put(q, 0); err != nil { // cannot happen: only we close it
			r := e.canceled(job, time.Since(t0))
			e.deliver(&r)
		}
	}
	queued.Close()
	e.inputDone.Store(true)
	e.workers.Wait()
	done.Close()
	<-collected
	e.c.Close() // connections belong to the hubs: close them first
	hubs.Close()
	return nil
}

// queuedJob is a job and the time it was due to start (pace): when the
// engine took it from the input, or its place in the schedule of a Rate.
type queuedJob struct {
	job Job
	at  time.Time
}

// workerState is what a worker of the async engine is doing, on the heap
// so that a panic can be answered for.
type workerState struct {
	q   queuedJob
	has bool    // q is still to be fetched
	r   *Result // the result being filled
}

// spawnWorker starts a worker task. A panic in a fetch becomes that job's
// result, and a new worker takes over the queue.
func (e *engine) spawnWorker(w *workerState, queued *scheduler.Queue[queuedJob], done *scheduler.Queue[*Result]) {
	e.workers.Add(1)
	e.hubs.Spawn(func(*scheduler.Task) (any, error) {
		defer e.workers.Done()
		defer e.recoverWorker(w, queued, done)
		e.asyncWorker(w, queued, done)
		return nil, nil
	})
}

func (e *engine) recoverWorker(w *workerState, queued *scheduler.Queue[queuedJob], done *scheduler.Queue[*Result]) {
	p := recover()
	if p == nil {
		return
	}
	r := panicked(w.q.job, ModeAsync, 0, p)
	done.Put(&r, 0)
	e.spawnWorker(&workerState{}, queued, done) // counted in e.workers before this one ends
}

// asyncWorker is the loop of a worker task: it fetches w.q if w.has, then
// every job it can take from queued, and puts each result in done
// (waiting, as a task, while done is full).
func (e *engine) asyncWorker(w *workerState, queued *scheduler.Queue[queuedJob], done *scheduler.Queue[*Result]) {
	for {
		if !w.has {
			q, err := queued.Get(0)
			if err != nil {
				return // closed and drained
			}
			w.q = q
		}
		w.has = false
		// On the heap, passed by pointer: the frames under a parked worker
		// stay small (TestParkedTaskStack, see startResult).
		w.r = new(Result)
		if e.ctx.Err() != nil {
			e.notBegun(w) // canceled while the job waited in the queue
		} else {
			e.c.fetchInto(e.ctx, &w.q.job, ModeAsync, time.Since(w.q.at), w.r)
		}
		if done.Put(w.r, 0) != nil {
			return
		}
	}
}

// notBegun makes w's result the canceled one of a job never begun. Never
// inlined: a Result on asyncWorker's frame would be under every parked
// fetch (TestParkedTaskStack).
//
//go:noinline
func (e *engine) notBegun(w *workerState) {
	*w.r = e.canceled(w.q.job, time.Since(w.q.at))
}

// threadsFetch fetches job on a goroutine of the threads engine; a panic
// becomes the job's result.
func (e *engine) threadsFetch(job Job, queued time.Duration) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = panicked(job, ModeThreads, queued, p)
		}
	}()
	return e.c.fetch(e.ctx, job, ModeThreads, queued)
}
