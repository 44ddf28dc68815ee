package main

import (
	"math"
	"runtime"
)

// The open files a run needs, for clamping -c to the open-file limit
// (ulimit -n) so that no fetch fails with "too many open files".
const (
	// filesReserved are kept for what is not a fetch's: the resolver's
	// sockets beyond those of fetches, the list, -o, a spool, a store,
	// the Go runtime's poller.
	filesReserved = 32
	// filesPerFetch are the most one fetch slot holds at once: its
	// connection, a second socket while Happy Eyeballs races or A and
	// AAAA are asked at once, and two idle keep-alive connections (the
	// fetcher keeps at most twice -c idle).
	filesPerFetch = 4
	// filesPerHub are a hub's poller and its wakeup descriptor.
	filesPerHub = 2
)

// fitFileLimit returns the concurrency and hubs that fit in limit open
// files with inUse already open, for fetches that each hold perFetch
// files; want and wantHubs are what the flags ask (wantHubs 0: one per
// core). Neither is lowered below 1.
func fitFileLimit(limit, inUse, perFetch, want, wantHubs int) (concurrency, hubs int) {
	avail := limit - inUse - filesReserved
	hubs = wantHubs
	n := hubs
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	// Hubs take at most a quarter of what is left.
	if most := max(1, avail/4/filesPerHub); n > most {
		n, hubs = most, most
	}
	avail -= n * filesPerHub
	return min(want, max(1, avail/perFetch)), hubs
}

// clampToFileLimit lowers -c (and --hubs) of o to what the open-file
// limit allows, raised to its hard limit first, and says so once on
// stderr (a note: -s hides it).
func clampToFileLimit(o *Options) {
	soft, ok := raiseFileLimit()
	inUse := openFiles()
	if !ok || inUse < 0 || soft > math.MaxInt32 {
		return
	}
	perFetch := filesPerFetch
	if o.SaveDir != "" {
		perFetch++ // the body's file
	}
	limit := int(soft)
	c, hubs := fitFileLimit(limit, inUse, perFetch, o.Concurrency, o.Hubs)
	if hubs != o.Hubs {
		from := o.Hubs
		if from == 0 {
			from = runtime.GOMAXPROCS(0)
		}
		o.note("--hubs %d lowered to %d: the open-file limit is %d (ulimit -n)", from, hubs, limit)
		o.Hubs = hubs
	}
	if c < o.Concurrency {
		o.note("-c %d lowered to %d: the open-file limit is %d (ulimit -n) and a fetch may hold %d files; raise the limit to fetch more at once",
			o.Concurrency, c, limit, perFetch)
		o.Concurrency = c
	}
}
