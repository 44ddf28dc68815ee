// Package scheduler is greenfetch's cooperative scheduler: gevent's hub and
// greenlets, in Go, on epoll or kqueue.
//
// # Hubs and tasks
//
// A Hub is one event loop, run on a goroutine of its own from NewHub until
// Close. It owns a poller, a timer heap and a FIFO run queue. A Task is a
// straight-line Go function started by Spawn (or Run, which also waits).
// Exactly one task of a hub runs at any moment, and it runs until it
// yields: when it sleeps (Sleep), waits on an Event, Queue, Semaphore,
// Group or another task (Join, JoinAll), calls Yield, waits in Blocking,
// or uses a cooperative socket that would block. Tasks of one hub
// therefore share data without locks, as greenlets do.
//
// One turn of the loop (Hub.run in hub.go) takes what other goroutines
// handed the hub (Post, wakes, Close), resumes in FIFO order every task
// that was ready when the turn began, then either starts the next turn at
// once, while tasks are still ready (polling the kernel without waiting
// only every 61st such turn), or waits in the poller until the next timer
// is due, an fd becomes ready or another goroutine wakes the hub; then it
// readies the tasks waiting on those fds and fires the due timers. An idle
// hub sleeps in the poller.
//
// The baton between the hub and a task is the runtime's coroutine switch
// (the mechanism behind iter.Pull): resuming a task and getting control
// back costs one switch each way, with no trip through the Go scheduler's
// run queues and no allocation.
//
// A task ends when its function returns. Kill delivers ErrKilled at the
// task's next blocking call and cancels its Context; WithTimeout bounds a
// block of a task with ErrTimeout (gevent's Timeout). A task that panics,
// or calls runtime.Goexit (as t.Fatal does), ends with a *PanicError, and
// its hub and the other tasks go on.
//
// # Sockets
//
// Dial, Listen and ListenPacket, called from a task, give net.Conn,
// net.Listener and net.PacketConn values (*Conn, *Listener, *PacketConn)
// that belong to that task's hub. Their operations park the task instead
// of blocking the thread, so crypto/tls, bufio and net/http's wire code
// run on them unchanged; deadlines run on the hub's timers and fail with
// errors that match os.ErrDeadlineExceeded. Misuse fails loudly:
// ErrWrongHub for a socket used outside a task of its hub, ErrConcurrentUse
// for two tasks waiting in one direction, ErrNotInTask for Dial or Listen
// from an ordinary goroutine.
//
// # Primitives and many cores
//
// The primitives (Event, Queue, Semaphore, Group, Pool, Join, JoinAll)
// work across hubs and from ordinary goroutines too: a task parks, a
// goroutine blocks. Never block the thread inside a task (a plain channel
// receive, time.Sleep, a blocking system call): that stalls every task of
// its hub. Use Blocking for calls that must block; it runs them on a
// worker goroutine while the task parks (gevent's threadpool).
//
// gevent is bound to one core. A HubSet runs one hub per core and spreads
// spawned tasks over them.
//
// # Platforms
//
// The package builds on Unix. The poller is epoll on Linux and Android and
// kqueue on macOS, iOS and the BSDs; on other Unix systems (AIX, Solaris,
// illumos) the package builds but NewHub fails with an error matching
// errors.ErrUnsupported. Outside Unix it does not build: unsupported.go
// names the reason. scripts/crossbuild.sh compiles every platform the
// build tags admit.
//
// # Where things are
//
//	hub.go        Hub: the loop, Post, Close, the run queue
//	task.go       Task: Spawn, Join, Kill, Sleep, Yield, WithTimeout, park
//	timer.go      the timer heap
//	waiter.go     how a task or goroutine waits on a primitive
//	event.go, queue.go, semaphore.go, pool.go (Group, Pool)
//	blocking.go   Blocking
//	hubset.go     HubSet
//	errors.go     exported errors, PanicError
//	fd.go         pollDesc: an fd on the hub, park on EAGAIN, the one EAGAIN loop
//	conn.go       Conn, PacketConn, Listener
//	dial.go       Dial, Listen, ListenPacket, address handling
//	poll.go       the poller contract; poll_epoll.go, poll_kqueue.go, poll_stub.go
//	getg_*.go     goroutine identity for the wrong-hub check (assembly; a
//	              runtime.Stack fallback, forced by the tag greenfetch_nogetg)
package scheduler
