package main

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressTick is how often the bar redraws while nothing completes, so
// that its rate and spinner stay alive.
const progressTick = 200 * time.Millisecond

// progressEnabled decides whether a run shows a progress bar on stderr:
// --progress always forces it; never, --quiet, a stderr that is not a
// terminal, and a set CI variable turn it off.
func progressEnabled(o *Options) bool {
	switch o.Progress {
	case "always":
		return true
	case "never":
		return false
	}
	if o.Quiet || !o.IO.ErrTTY {
		return false
	}
	if ci := o.IO.getenv("CI"); ci != "" && ci != "0" && !strings.EqualFold(ci, "false") {
		return false
	}
	return true
}

// progress is the bar of one run: URLs done of total (a counter when the
// total is unknown), bytes, failures, rate. Safe for concurrent use: the
// bar is only touched under mu, which also spans the writes of results
// when stdout shares the terminal, so that the bar never cuts a line.
type progress struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	label   string
	unknown bool // no total: a spinner, the count in the description
	done    int64
	bytes   int64         // from results
	live    *atomic.Int64 // from the engine as bodies stream, if it reports them
	failed  int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

// newProgress starts a bar on o.IO.ErrOut for total URLs (-1: unknown),
// or returns nil when progress is off.
func newProgress(o *Options, label string, total int64) *progress {
	if !progressEnabled(o) {
		return nil
	}
	if total == 0 {
		total = -1
	}
	p := &progress{label: label, stop: make(chan struct{}), unknown: total < 0}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(o.IO.ErrOut),
		progressbar.OptionSetDescription(label),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("URL"),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetSpinnerChangeInterval(0), // we tick, under mu
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	}
	if !p.unknown {
		// A spinner's count wraps at its width: with no total, the
		// description carries the count instead.
		opts = append(opts, progressbar.OptionShowCount())
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	p.wg.Add(1)
	go p.tick()
	return p
}

func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.bar.Describe(p.describe())
			p.bar.Add64(0) //nolint:errcheck // a bar that cannot draw is no reason to stop
			p.mu.Unlock()
		}
	}
}

// add counts a finished URL.
func (p *progress) add(r *Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes += r.Bytes
	p.done++
	if !r.OK() {
		p.failed++
	}
	p.bar.Describe(p.describe())
	p.bar.Add64(1) //nolint:errcheck
}

// setLiveBytes makes the bar show the bytes the engine reports as they
// stream, rather than only those of finished URLs.
func (p *progress) setLiveBytes(n *atomic.Int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.live = n
	p.mu.Unlock()
}

func (p *progress) describe() string {
	n := p.bytes
	if p.live != nil {
		n = max(n, p.live.Load())
	}
	d := p.label + " " + humanBytes(n)
	if p.unknown {
		d = p.label + " " + strconv.FormatInt(p.done, 10) + " done, " + humanBytes(n)
	}
	if p.failed > 0 {
		d += ", " + strconv.FormatInt(p.failed, 10) + " failed"
	}
	return d
}

// around runs write with the bar erased; the next tick or result redraws it.
func (p *progress) around(write func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Clear() //nolint:errcheck
	write()
}

// finish stops the bar and erases it, so that what follows on the
// terminal starts on a clean line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Clear()  //nolint:errcheck
	p.bar.Finish() //nolint:errcheck
	p.bar.Clear()  //nolint:errcheck
	p.bar.Exit()   //nolint:errcheck
}

// humanBytes formats n with a decimal unit: 950 B, 48.7 kB, 1.2 GB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, i := float64(n), 0
	for f >= unit && i < 5 {
		f /= unit
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + string("kMGTP"[i-1]) + "B"
}
