package main

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"

	"github.com/greenfetch/greenfetch/fetcher"
)

// progressTick is how often the bar redraws while nothing completes, so
// that its rate and elapsed time stay alive.
const progressTick = 200 * time.Millisecond

// progressThrottle is the least time between two redraws caused by
// results (a redraw after a result line printed to the same terminal is
// never held back).
const progressThrottle = 50 * time.Millisecond

// progressLinesEvery is how often progress lines are printed in CI logs
// (--progress lines): often enough that a job never looks hung, seldom
// enough that a long run's log stays readable.
const progressLinesEvery = 10 * time.Second

// progressEnabled decides whether a run shows progress on stderr, as a
// bar or as lines (progressLines).
func progressEnabled(o *Options) bool {
	return progressBar(o) || progressLines(o)
}

// progressBar decides whether a run shows a progress bar on stderr:
// --progress always forces it; never, lines, --quiet, --verbose, a stderr
// that is not a terminal, a stdout that is a pipe (its reader may print
// to the same terminal: `fetch --json … | jq`), and a set CI variable
// turn it off.
func progressBar(o *Options) bool {
	switch o.Progress {
	case "always":
		return true
	case "never", "lines":
		return false
	}
	if o.Quiet || o.Silent || o.Verbose || !o.IO.ErrTTY {
		return false
	}
	if o.IO.OutPipe {
		return false
	}
	if ciSet(o.IO) {
		return false
	}
	return true
}

// progressLines decides whether a run prints a progress line on stderr
// every progressLinesEvery instead of a bar: with --progress lines, and
// in auto where a bar is not drawn for want of a terminal, in CI logs
// (stderr is not a terminal, or CI is set), so that a long job never
// looks hung. --verbose (its heads go to stderr) and --silent turn them
// off in auto.
func progressLines(o *Options) bool {
	switch o.Progress {
	case "lines":
		return true
	case "auto", "":
		return !o.Verbose && !o.Silent && (!o.IO.ErrTTY || ciSet(o.IO))
	}
	return false
}

// ciSet reports whether the CI variable is set to something true.
func ciSet(ios *IOStreams) bool {
	ci := ios.getenv("CI")
	return ci != "" && ci != "0" && !strings.EqualFold(ci, "false")
}

// progress is the bar of one run, one line on stderr: URLs done of total
// (a count when the total is unknown), bytes, failures, rate, elapsed
// time. The line is fitted to the terminal's width (parts are dropped,
// the bar shortens) so that it never wraps, and it is drawn with a
// carriage return and an erase to the end of the line, so no stale text
// is left. Safe for concurrent use: mu also spans the writes of results
// when stdout shares the terminal, so that the bar never cuts a line and
// is redrawn under each one.
type progress struct {
	mu     sync.Mutex
	ios    *IOStreams
	label  string
	total  int64 // -1: unknown
	start  time.Time
	done   int64
	bytes  int64         // from results
	live   *atomic.Int64 // from the engine as bodies stream, if it reports them
	failed int64
	drawn  bool      // the bar is on the screen
	last   time.Time // last draw
	spin   int
	buf    []byte
	// pb renders the bar itself (percentage and cells) for a known total;
	// it writes nowhere: the line around it, its width and its place on
	// the terminal are ours (see draw). pbWidth is the cells it was made for.
	pb      *progressbar.ProgressBar
	pbWidth int
	stop    chan struct{}
	wg      sync.WaitGroup
	// lines prints a line every tick instead of drawing a bar (CI logs).
	lines bool
}

// newProgress starts a bar, or progress lines, on o.IO.ErrOut for total
// URLs (-1: unknown), or returns nil when progress is off.
func newProgress(o *Options, label string, total int64) *progress {
	if !progressEnabled(o) {
		return nil
	}
	if total == 0 {
		total = -1
	}
	p := &progress{ios: o.IO, label: label, total: total, start: time.Now(), stop: make(chan struct{}), lines: !progressBar(o)}
	every := progressTick
	if p.lines {
		every = o.progressEvery
		if every <= 0 {
			every = progressLinesEvery
		}
	} else {
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
	p.wg.Add(1)
	go p.tick(every)
	return p
}

func (p *progress) tick(every time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.spin++
			if p.lines {
				p.line()
			} else {
				p.draw()
			}
			p.mu.Unlock()
		}
	}
}

// line writes a progress line in one Write, for a log: "fetch: async:
// 1200/5000 URLs (24.0%), 3 failed, 1.2 MB, 118.6 URL/s, 10s elapsed".
// Called with mu held.
func (p *progress) line() {
	n := p.bytes
	if p.live != nil {
		n = max(n, p.live.Load())
	}
	elapsed := time.Since(p.start)
	b := append(p.buf[:0], "fetch: "...)
	b = appendEscaped(b, p.label)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, p.done, 10)
	if p.total > 0 {
		b = append(b, '/')
		b = strconv.AppendInt(b, p.total, 10)
		b = append(b, " URLs ("...)
		b = strconv.AppendFloat(b, float64(p.done)/float64(p.total)*100, 'f', 1, 64)
		b = append(b, "%)"...)
	} else {
		b = append(b, " URLs done"...)
	}
	if p.failed > 0 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, p.failed, 10)
		b = append(b, " failed"...)
	}
	b = append(b, ", "...)
	b = append(b, humanBytes(n)...)
	if s := elapsed.Seconds(); s > 0 {
		b = append(b, ", "...)
		b = strconv.AppendFloat(b, float64(p.done)/s, 'f', 1, 64)
		b = append(b, " URL/s"...)
	}
	b = append(b, ", "...)
	b = append(b, elapsed.Truncate(time.Second).String()...)
	b = append(b, " elapsed\n"...)
	p.buf = b
	p.ios.ErrOut.Write(b) //nolint:errcheck // progress that cannot be written is no reason to stop
}

// add counts a finished URL.
func (p *progress) add(r *fetcher.Result) {
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
	if !p.lines && time.Since(p.last) >= progressThrottle {
		p.draw()
	}
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

// around runs write (a result line on the same terminal) with the bar
// erased, and draws the bar again below the line.
func (p *progress) around(write func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lines {
		write() // whole lines of their own: nothing to erase
		return
	}
	p.clear()
	write()
	p.draw()
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
	p.clear()
}

// clear erases the bar's line. Called with mu held.
func (p *progress) clear() {
	if !p.drawn {
		return
	}
	p.ios.ErrOut.Write([]byte("\r\x1b[K")) //nolint:errcheck // a bar that cannot draw is no reason to stop
	p.drawn = false
}

// draw writes the bar in one Write. Called with mu held.
func (p *progress) draw() {
	width := p.ios.termWidth()
	p.buf = append(p.buf[:0], '\r')
	p.buf = p.render(p.buf, width-1)
	p.buf = append(p.buf, "\x1b[K"...)
	p.ios.ErrOut.Write(p.buf) //nolint:errcheck
	p.drawn = true
	p.last = time.Now()
}

// render appends the bar's text in at most width columns (all of it is
// ASCII but the bar's own characters, one column each).
func (p *progress) render(b []byte, width int) []byte {
	n := p.bytes
	if p.live != nil {
		n = max(n, p.live.Load())
	}
	elapsed := time.Since(p.start)
	var count string
	if p.total > 0 {
		count = strconv.FormatInt(p.done, 10) + "/" + strconv.FormatInt(p.total, 10) + " URL"
	} else {
		count = string(`|/-\`[p.spin%4]) + " " + strconv.FormatInt(p.done, 10) + " done"
	}
	var rate string
	if s := elapsed.Seconds(); s >= 0.5 {
		rate = strconv.FormatFloat(float64(p.done)/s, 'f', 1, 64) + " URL/s"
	}
	// Parts in the order they are given up when the line is too wide:
	// the last first. The label and the count always stay.
	parts := []string{p.label, count}
	optional := []string{humanBytes(n)}
	if p.failed > 0 {
		parts = append(parts, strconv.FormatInt(p.failed, 10)+" failed")
	}
	optional = append(optional, rate, elapsed.Truncate(time.Second).String())
	line := strings.Join(parts, " ")
	// The bar comes before the optional parts: room for a bar of 10 cells (18 columns) is
	// kept when the total is known.
	keep := 0
	if p.total > 0 {
		keep = 10 + 8
	}
	for _, o := range optional {
		if o != "" && len(line)+2+len(o)+keep <= width {
			line += ", " + o
		}
	}
	// The bar goes after the label, as wide as room allows (at most 30
	// cells, and only if at least 10 fit), rendered by schollz/progressbar:
	// "25% |██        |" takes cells+7 columns at most.
	if p.total > 0 {
		room := width - len(line) - 8
		if room >= 10 {
			line = p.label + " " + p.barOf(min(room, 30)) + line[len(p.label):]
		}
	}
	if width > 0 && utf8.RuneCountInString(line) > width {
		line = string([]rune(line)[:width])
	}
	return append(b, line...)
}

// barOf returns the bar of done of total in cells columns, as
// schollz/progressbar draws it ("25% |██        |"). Called with mu held.
func (p *progress) barOf(cells int) string {
	if p.pb == nil || p.pbWidth != cells {
		p.pb = progressbar.NewOptions64(p.total,
			progressbar.OptionSetWriter(io.Discard),
			progressbar.OptionSetWidth(cells),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionUseANSICodes(false),
		)
		p.pbWidth = cells
	}
	p.pb.Set64(min(p.done, p.total)) //nolint:errcheck // it writes to io.Discard
	return strings.TrimSpace(strings.TrimPrefix(p.pb.String(), "\r"))
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
