package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Profiling for the developers (scripts/bench-speed.sh, issue 14), through
// the environment so that it stays out of --help and of the flag contract:
// FETCH_CPUPROFILE=FILE writes a CPU profile of the whole run to FILE,
// FETCH_MEMPROFILE=FILE an allocation profile (every allocation sampled)
// at the end.
const (
	cpuProfileEnv = "FETCH_CPUPROFILE"
	memProfileEnv = "FETCH_MEMPROFILE"
)

// startProfiles starts what the environment asks for and returns the
// function that ends it and writes the files.
func startProfiles() func() {
	var stops []func()
	if path := os.Getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "fetch: %s: %v\n", cpuProfileEnv, err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := os.Getenv(memProfileEnv); path != "" {
		runtime.MemProfileRate = 1
		stops = append(stops, func() {
			runtime.GC() // the profile counts allocations up to the last collection
			f, err := os.Create(path)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "fetch: %s: %v\n", memProfileEnv, err)
			}
		})
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
