package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/fetcher"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// schedule returns the modes of every run in order: modes once per
// repeat, the order reversed on every other repeat so that neither mode
// always runs first (a warm OS, a busy neighbour) — sync,async,async,sync…
func schedule(modes []fetcher.Mode, repeat int) []fetcher.Mode {
	out := make([]fetcher.Mode, 0, len(modes)*repeat)
	for r := 0; r < repeat; r++ {
		if r%2 == 0 {
			out = append(out, modes...)
		} else {
			for i := len(modes) - 1; i >= 0; i-- {
				out = append(out, modes[i])
			}
		}
	}
	return out
}

// runCost is what one run cost and saw.
type runCost struct {
	mode    fetcher.Mode
	wall    time.Duration
	failed  int64 // failed results
	listLen int64 // URL lines of the list: results and not started
}

// runLengths lists the list length each run saw: "sync 3, async 0".
func runLengths(runs []runCost) string {
	var b strings.Builder
	for i, r := range runs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", r.mode, r.listLen)
	}
	return b.String()
}

// modeCost is what the runs of one mode cost.
type modeCost struct {
	mode             fetcher.Mode
	runs             int
	median, min, max time.Duration
	mean, stddev     time.Duration // of the run times (stddev 0 with one run)
	failed           int64         // failed results over the runs of the mode
	// speedup is the first mode's median over this one's (0 for the first
	// mode), and ci its 95% interval (stats.SpeedupOf: Welch's
	// t-interval on log times, centred on the ratio of geometric means),
	// nil unless both modes ran at least twice.
	speedup float64
	ci      *[2]float64
}

// comparison is the outcome of --compare (or of --repeat on one mode).
type comparison struct {
	runs  []runCost
	modes []modeCost // in the order of --compare
	// speedup is the median of the first mode over the median of the
	// last: how many times faster the last mode was. 0 with one mode or a
	// last mode that took no time.
	speedup    float64
	ci         *[2]float64 // the last mode's speedup interval; nil without repeats
	minSpeedup float64     // the gate; 0 for none
}

// compareRuns summarizes runs for modes.
func compareRuns(modes []fetcher.Mode, runs []runCost, minSpeedup float64) *comparison {
	c := &comparison{runs: runs, minSpeedup: minSpeedup}
	var base []float64
	for _, m := range modes {
		var walls []time.Duration
		var secs []float64
		var failed int64
		for _, r := range runs {
			if r.mode == m {
				walls = append(walls, r.wall)
				secs = append(secs, r.wall.Seconds())
				failed += r.failed
			}
		}
		if len(walls) == 0 {
			continue
		}
		d := stats.Describe(secs)
		mc := modeCost{mode: m, runs: len(walls), median: median(walls), min: slices.Min(walls), max: slices.Max(walls), failed: failed,
			mean: seconds(d.Mean), stddev: seconds(d.Stddev)}
		if len(c.modes) == 0 {
			base = secs
		} else {
			if mc.median > 0 {
				mc.speedup = float64(c.modes[0].median) / float64(mc.median)
			}
			if sp, err := stats.SpeedupOf(base, secs); err == nil && sp.HasCI {
				mc.ci = &[2]float64{sp.Lo, sp.Hi}
			}
		}
		c.modes = append(c.modes, mc)
	}
	if len(c.modes) >= 2 {
		last := c.modes[len(c.modes)-1]
		c.speedup, c.ci = last.speedup, last.ci
	}
	return c
}

// seconds is the duration of s seconds, to the nanosecond.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// gateMet reports whether the speedup reaches --min-speedup (true without
// a gate).
func (c *comparison) gateMet() bool {
	return c.minSpeedup <= 0 || c.speedup >= c.minSpeedup
}

// median of a non-empty list; the mean of the middle two for an even count.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
