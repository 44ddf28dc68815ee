package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/greenfetch/greenfetch/crawl"
	"github.com/greenfetch/greenfetch/fetcher"
	"golang.org/x/term"
)

// lineWriter writes whole lines to stdout: whole lines in each Write (one
// line, or the batch bufferLine held), writers serialized, so that lines of
// concurrent writers never interleave. After
// the first failed write it drops everything: a closed pipe (EPIPE, as
// after `| head`) is quiet, any other error is kept for one message. A
// write that failed part way (a full disk) leaves no torn line behind in a
// regular file: the tail after the last whole line it wrote is cut off.
// Safe for concurrent use.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	around func(func()) // if set, wraps each write (the progress bar clears itself)
	err    error        // first write error; guarded by mu
	failed chan struct{}
	held   []byte     // lines of bufferLine not yet written; guarded by mu
	batch  bool       // bufferLine may hold lines (see batchable)
	cut    tailCutter // w, when a torn tail can be cut from it (a regular file); nil otherwise
}

// tailCutter is an output whose end can be cut off: a regular file.
type tailCutter interface {
	Seek(offset int64, whence int) (int64, error)
	Truncate(size int64) error
}

// maxHeld is how many bytes of lines bufferLine holds before it writes
// them: a busy run writes its result lines in batches of this size instead
// of one write(2) per URL.
const maxHeld = 32 << 10

func newLineWriter(w io.Writer) *lineWriter {
	lw := &lineWriter{w: w, failed: make(chan struct{}), batch: batchable(w)}
	if f, ok := w.(*os.File); ok && isRegular(f) {
		lw.cut = f
	}
	return lw
}

// batchable reports whether result lines to w may be written in batches:
// only when w is a regular file or a character device such as /dev/null,
// where no reader waits for each line. A pipe or a terminal gets every
// line in a write of its own as it completes, and a pipe's reader that
// goes away (| head) stops the counting at the line it broke.
func batchable(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	m := fi.Mode()
	return m.IsRegular() || (m&os.ModeCharDevice != 0 && !term.IsTerminal(int(f.Fd())))
}

// writeLine writes the held lines and b, which ends in a newline, in one
// Write.
func (lw *lineWriter) writeLine(b []byte) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.held) > 0 {
		lw.held = append(lw.held, b...)
		lw.writeHeld()
		return
	}
	lw.write(b)
}

// bufferLine holds b, which ends in a newline, to be written with the
// lines after it: by the next writeLine or flush, or as soon as maxHeld
// bytes are held. Its caller flushes whenever it is about to wait, so a
// line is held only while more are being made. With a progress bar (around
// set), or to a pipe or terminal (batch not set), it writes at once.
func (lw *lineWriter) bufferLine(b []byte) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.around != nil || !lw.batch {
		lw.writeHeld()
		lw.write(b)
		return
	}
	lw.held = append(lw.held, b...)
	if len(lw.held) >= maxHeld {
		lw.writeHeld()
	}
}

// flush writes the held lines.
func (lw *lineWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.writeHeld()
}

// writeHeld writes the held lines, if any; lw.mu is held.
func (lw *lineWriter) writeHeld() {
	if len(lw.held) > 0 {
		lw.write(lw.held)
		lw.held = lw.held[:0]
	}
}

// write writes b in one Write unless an earlier write failed; lw.mu is
// held.
func (lw *lineWriter) write(b []byte) {
	if lw.err != nil {
		return
	}
	write := func() {
		n, err := lw.w.Write(b)
		if err == nil && n < len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			lw.err = err
			lw.cutTorn(b[:n])
			close(lw.failed)
		}
	}
	if lw.around != nil {
		lw.around(write)
	} else {
		write()
	}
}

// cutTorn cuts off the torn line that a failed write of b left at the end
// of a regular file (wrote is what it wrote of b), so that the file ends
// with the last whole line. It cuts only when the file ends where the
// write left it: what another writer appended since stays. lw.mu is held.
func (lw *lineWriter) cutTorn(wrote []byte) {
	torn := int64(len(wrote) - (bytes.LastIndexByte(wrote, '\n') + 1))
	if torn == 0 || lw.cut == nil {
		return
	}
	pos, err := lw.cut.Seek(0, io.SeekCurrent)
	if err != nil || pos < torn {
		return
	}
	if end, err := lw.cut.Seek(0, io.SeekEnd); err != nil || end != pos {
		lw.cut.Seek(pos, io.SeekStart) //nolint:errcheck // nothing more is written after a failure
		return
	}
	if lw.cut.Truncate(pos-torn) == nil {
		lw.cut.Seek(pos-torn, io.SeekStart) //nolint:errcheck
	}
}

// Err returns the first write error.
func (lw *lineWriter) Err() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.err
}

// isClosedPipe reports whether err means the reader of stdout went away.
func isClosedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// formatter turns results, costs, summaries and comparisons into lines of
// text or NDJSON.
type formatter struct {
	json     bool
	quiet    bool
	slowest  int
	writeOut *writeOut // -w: results as lines of this template; nil for none
}

// result appends the line of r, or nothing when quiet hides it.
func (f *formatter) result(b []byte, r *fetcher.Result) []byte {
	if f.quiet && r.OK() {
		return b
	}
	if r.Type == "" {
		r.Type = "result"
	}
	if f.writeOut != nil {
		return f.writeOut.append(b, r)
	}
	if f.json {
		return append(r.AppendJSON(b), '\n')
	}
	if r.ErrorKind != fetcher.KindNone {
		b = append(b, "error: "...)
		b = appendEscaped(b, r.URL)
		b = append(b, ": "...)
		b = append(b, r.ErrorKind.String()...)
		b = append(b, ": "...)
		b = appendEscaped(b, errorMessage(r))
		b = appendLabel(b, r.Label)
		b = append(b, '\n')
		return appendHeaders(b, r)
	}
	if !r.OK() {
		// A status of 400 or more: a response, and a failure.
		b = append(b, "failed: "...)
	}
	b = strconv.AppendInt(b, r.Bytes, 10)
	b = append(b, " bytes received from "...)
	b = appendEscaped(b, r.URL)
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, ", "...)
	b = appendMS(b, r.Timings.Total)
	b = append(b, ')')
	if r.SHA256 != "" {
		b = append(b, " sha256="...)
		b = append(b, r.SHA256...)
	}
	if r.SavedAs != "" {
		b = append(b, " saved="...)
		b = appendEscaped(b, r.SavedAs)
	}
	b = appendLabel(b, r.Label)
	b = append(b, '\n')
	return appendHeaders(b, r)
}

// appendLabel appends " [label]" when the input line had one.
func appendLabel(b []byte, label string) []byte {
	if label == "" {
		return b
	}
	b = append(b, " ["...)
	b = appendEscaped(b, label)
	return append(b, ']')
}

// appendHeaders appends the response headers of r (--include), one
// "  Name: value" line each, names sorted.
func appendHeaders(b []byte, r *fetcher.Result) []byte {
	if len(r.Headers) == 0 {
		return b
	}
	names := slices.Sorted(maps.Keys(r.Headers))
	for _, k := range names {
		for _, v := range r.Headers[k] {
			b = append(b, "  "...)
			b = appendEscaped(b, k)
			b = append(b, ": "...)
			b = appendEscaped(b, v)
			b = append(b, '\n')
		}
	}
	return b
}

// shownText returns s as every message shows it: passwords in URLs masked
// by fetcher.MaskURL (user:***@, the one mask of every output: results,
// errors, store URLs, proxies; -v masks its heads in the fetcher with the
// same function) and control characters escaped (escapeText).
func shownText(s string) string { return escapeText(fetcher.MaskURL(s)) }

// shownErr is the message of err as shownText shows it.
func shownErr(err error) string { return shownText(err.Error()) }

// escapeText returns s with control characters and invalid UTF-8 escaped
// (see appendEscaped).
func escapeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	return string(appendEscaped(nil, s))
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return true
		}
	}
	return false
}

// appendEscaped appends s for a terminal: control characters (C0, DEL,
// C1) and bytes of invalid UTF-8 become Go escapes (\t, \n, \x1b,
// \u009b), so that no input can move the cursor, change colours or forge
// a line. Backslashes are kept as they are.
func appendEscaped(b []byte, s string) []byte {
	if !needsEscape(s) {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\x`...)
			b = append(b, hexDigits[s[i]>>4], hexDigits[s[i]&15])
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20 || r == 0x7f:
			b = append(b, `\x`...)
			b = append(b, hexDigits[r>>4], hexDigits[r&15])
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			// C1 controls, line separators, bidirectional overrides.
			b = append(b, `\u`...)
			b = append(b, hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

const hexDigits = "0123456789abcdef"

// errorMessage is the message of a failed result without the "URL: kind: "
// that *fetcher.Error puts in front of it.
func errorMessage(r *fetcher.Result) string {
	var msg string
	var fe *fetcher.Error
	switch {
	case errors.As(r.Err, &fe) && fe.Err != nil:
		msg = fe.Err.Error()
		if fe.URL != "" && fe.URL != r.URL {
			msg = fetcher.MaskURL(fe.URL) + ": " + msg // where a redirect led
		}
	case r.Error != nil:
		msg = *r.Error
		msg = strings.TrimPrefix(msg, r.URL+": ")
		msg = strings.TrimPrefix(msg, r.ErrorKind.String()+": ")
	default:
		msg = "failed"
	}
	return fetcher.MaskURL(strings.ReplaceAll(msg, "\n", " "))
}

// appendMS appends d as whole milliseconds: "103 ms".
func appendMS(b []byte, d time.Duration) []byte {
	b = strconv.AppendInt(b, d.Round(time.Millisecond).Milliseconds(), 10)
	return append(b, " ms"...)
}

// appendSeconds appends d as seconds with three decimals: "1.507s".
func appendSeconds(b []byte, d time.Duration) []byte {
	b = strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64)
	return append(b, 's')
}

// started appends the line announcing a fetch (fetch demo), as the seed
// prints it.
func (f *formatter) started(b []byte, mode fetcher.Mode, url string) []byte {
	if f.json {
		return appendJSON(b, struct {
			Type string       `json:"type"`
			Mode fetcher.Mode `json:"mode"`
			URL  string       `json:"url"`
		}{"start", mode, url})
	}
	return append(appendEscaped(append(b, "GET: "...), url), '\n')
}

// cost appends "async cost 1.507s" (text only: JSON has wall_ms in the
// summary).
func (f *formatter) cost(b []byte, mode fetcher.Mode, wall time.Duration) []byte {
	if f.json {
		return b
	}
	b = append(b, mode.String()...)
	b = append(b, " cost "...)
	b = appendSeconds(b, wall)
	return append(b, '\n')
}

type jsonDNS struct {
	Queries   int64 `json:"queries"`
	CacheHits int64 `json:"cache_hits"`
}

type jsonSlow struct {
	URL     string  `json:"url"`
	TotalMS float64 `json:"total_ms"`
}

// jsonSummary is the NDJSON summary object. Its field names are a
// contract: fields may be added, never renamed or removed.
type jsonSummary struct {
	Type     string       `json:"type"`
	Mode     fetcher.Mode `json:"mode"`
	URLs     int64        `json:"urls"`
	OK       int64        `json:"ok"`
	Failed   int64        `json:"failed"`
	Bytes    int64        `json:"bytes"`
	WallMS   float64      `json:"wall_ms"`
	P50MS    *float64     `json:"p50_ms"` // null when nothing succeeded
	P95MS    *float64     `json:"p95_ms"`
	MaxMS    *float64     `json:"max_ms"`
	DNS      jsonDNS      `json:"dns"`
	Canceled int64        `json:"canceled"`
	Requests int64        `json:"requests"`             // HTTP requests written, redirects and retries included
	Conns    int64        `json:"conns"`                // connections opened
	Reused   int64        `json:"reused"`               // requests sent on a kept-alive connection
	H2Conns  int64        `json:"h2_conns,omitempty"`   // of conns, those that spoke HTTP/2
	H2Stream int64        `json:"h2_streams,omitempty"` // of requests, those sent as HTTP/2 streams
	Slowest  []jsonSlow   `json:"slowest,omitempty"`

	// Happy Eyeballs attempts that lost the race, and connect attempts that
	// failed (fetcher.Stats); left out when none.
	ConnectLost   int64 `json:"connect_attempts_lost,omitempty"`
	ConnectFailed int64 `json:"connect_attempts_failed,omitempty"`

	// NotStarted counts URL lines never started (an interrupt, a closed
	// stdout): urls + not_started is the list's length when
	// input_complete; from a pipe the rest is not read, and
	// input_complete is false.
	NotStarted    int64 `json:"not_started"`
	InputComplete bool  `json:"input_complete"`

	// The distributions (record.go): rps, latency_ms, phases_ms,
	// failures, and what the reports draw.
	dists

	// The gates judged and the diff from a baseline, in the summary of a
	// run that makes no comparison (in the compare object otherwise).
	verdict

	// A crawl's counters (pages, discovered, …, left: crawl.Stats's own
	// names), after the fields of a list; none for a list.
	*crawl.Stats
}

// optMS is d in milliseconds, or nil (JSON null) when ok is false.
func optMS(d time.Duration, ok bool) *float64 {
	if !ok {
		return nil
	}
	ms := fetcher.DurationMS(d)
	return &ms
}

// summaryRecord returns the summary object of s: p50, p95 and max are
// over the successful fetches (null when none succeeded), as latency_ms
// is (p50_ms is latency_ms.p50, and so on).
func summaryRecord(s *summary) *jsonSummary {
	ok := s.ok > 0
	js := &jsonSummary{
		Type: "summary", Mode: s.mode, URLs: s.urls, OK: s.ok, Failed: s.failed, Bytes: s.bytes,
		WallMS: fetcher.DurationMS(s.wall), P50MS: optMS(s.lat.Percentile(50), ok), P95MS: optMS(s.lat.Percentile(95), ok), MaxMS: optMS(s.lat.Max(), ok),
		DNS:      jsonDNS{s.stats.DNS.Queries, s.stats.DNS.CacheHits},
		Canceled: s.canceled,
		Requests: s.stats.Requests, Conns: s.stats.Conns, Reused: s.stats.Reused,
		NotStarted: s.notStarted, InputComplete: s.inputComplete,
		ConnectLost: s.stats.ConnectLost, ConnectFailed: s.stats.ConnectFailed,
		H2Conns: s.stats.HTTP2Conns, H2Stream: s.stats.HTTP2Streams,
		Stats: s.crawl,
		dists: distsOf(s),
	}
	for _, e := range s.slowestSorted() {
		js.Slowest = append(js.Slowest, jsonSlow{e.url, fetcher.DurationMS(e.total)})
	}
	return js
}

// summary appends the summary of a run, a list's or a crawl's.
func (f *formatter) summary(b []byte, s *summary) []byte {
	return f.summaryOf(b, s, summaryRecord(s))
}

// summaryOf appends the summary of s from its record js (summaryRecord,
// with the gates and the baseline diff when it is the run's last word):
// the JSON object, or in text a summary line, the latency line, the
// slowest fetches and a crawl's "crawl:" line.
func (f *formatter) summaryOf(b []byte, s *summary, js *jsonSummary) []byte {
	if f.json {
		return appendJSON(b, js)
	}
	b = append(b, "summary: "...)
	b = strconv.AppendInt(b, s.urls, 10)
	if s.urls == 1 {
		b = append(b, " URL, "...)
	} else {
		b = append(b, " URLs, "...)
	}
	b = strconv.AppendInt(b, s.ok, 10)
	b = append(b, " ok, "...)
	b = strconv.AppendInt(b, s.failed, 10)
	b = append(b, " failed"...)
	if s.canceled > 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, s.canceled, 10)
		b = append(b, " canceled)"...)
	}
	if s.notStarted > 0 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, s.notStarted, 10)
		b = append(b, " not started"...)
	}
	if !s.inputComplete {
		b = append(b, ", rest of the input not read"...)
	}
	b = append(b, ", "...)
	b = strconv.AppendInt(b, s.bytes, 10)
	b = append(b, " bytes"...)
	if js.Latency != nil {
		b = append(b, ", p50 "...)
		b = appendMS(b, s.lat.Percentile(50))
		b = append(b, ", p95 "...)
		b = appendMS(b, s.lat.Percentile(95))
		b = append(b, ", max "...)
		b = appendMS(b, s.lat.Max())
	}
	b = append(b, ", dns "...)
	b = strconv.AppendInt(b, s.stats.DNS.Queries, 10)
	b = append(b, " queries, "...)
	b = strconv.AppendInt(b, s.stats.DNS.CacheHits, 10)
	b = append(b, " cache hits"...)
	if s.stats.HTTP2Conns > 0 { // only then: HTTP/1.1 runs print as before
		b = append(b, ", HTTP/2 "...)
		b = strconv.AppendInt(b, s.stats.HTTP2Streams, 10)
		b = append(b, " streams on "...)
		b = strconv.AppendInt(b, s.stats.HTTP2Conns, 10)
		b = append(b, " conns"...)
	}
	b = append(b, '\n')
	b = appendLatencyLine(b, js.Latency, js.LatencyFrom)
	for _, e := range s.slowestSorted() {
		b = append(b, "slowest: "...)
		b = appendMS(b, e.total)
		b = append(b, ' ')
		b = appendEscaped(b, e.url)
		b = append(b, '\n')
	}
	if cs := s.crawl; cs != nil && s.list {
		// A list kept in a store: what this run queued of it and fetched.
		b = fmt.Appendf(b, "list: %d fetched, %d queued, %d already queued or fetched, %d dropped\n",
			cs.Pages, cs.Discovered, cs.Duplicates, cs.Dropped)
	} else if cs != nil {
		b = fmt.Appendf(b, "crawl: %d pages, %d discovered, %d skipped by robots.txt, %d out of scope, %d duplicates, %d dropped",
			cs.Pages, cs.Discovered, cs.SkippedRobots, cs.OutOfScope, cs.Duplicates, cs.Dropped)
		if cs.LinksOverMax > 0 {
			b = fmt.Appendf(b, ", %d links past --max-links-per-page", cs.LinksOverMax)
		}
		if cs.Left > 0 {
			b = fmt.Appendf(b, ", %d left unfetched", cs.Left)
		}
		b = append(b, '\n')
	}
	return b
}

// appendLatencyLine appends the text line of the latency distribution d
// (nothing when d is nil: nothing succeeded), "latency: p50 1.23 ms, …",
// saying when it counts from when each fetch was due (--rate).
func appendLatencyLine(b []byte, d *jsonDist, from string) []byte {
	if d == nil {
		return b
	}
	b = append(b, "latency"...)
	if from == "due" {
		b = append(b, " from the scheduled start"...)
	}
	for i, p := range []struct {
		name string
		ms   float64
	}{{"p50", d.P50}, {"p90", d.P90}, {"p95", d.P95}, {"p99", d.P99}, {"p99.9", d.P999}, {"max", d.Max}, {"mean", d.Mean}} {
		if i == 0 {
			b = append(b, ": "...)
		} else {
			b = append(b, ", "...)
		}
		b = append(b, p.name...)
		b = append(b, ' ')
		b = appendMSFloat(b, p.ms)
	}
	b = append(b, " ± "...)
	b = appendMSFloat(b, d.Stddev)
	return append(b, '\n')
}

// appendMSFloat appends ms milliseconds with three significant digits
// (at least the whole milliseconds): "0 ms", "0.412 ms", "1.23 ms",
// "103 ms", "1503 ms".
func appendMSFloat(b []byte, ms float64) []byte {
	prec := 0
	switch a := math.Abs(ms); {
	case a == 0:
	case a < 1:
		prec = 3
	case a < 10:
		prec = 2
	case a < 100:
		prec = 1
	}
	b = strconv.AppendFloat(b, ms, 'f', prec, 64)
	return append(b, " ms"...)
}

// msDuration is the duration of ms milliseconds, to the nanosecond.
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms * float64(time.Millisecond)))
}

type jsonRun struct {
	Mode   fetcher.Mode `json:"mode"`
	WallMS float64      `json:"wall_ms"`
}

// jsonModeCost is a mode of the compare object: what its runs cost
// (median, min, max, and mean and standard deviation over the runs), its
// speedup over the first mode (with its 95% interval when both ran at
// least twice), and what its runs delivered together: counts, rps and
// the distributions over every fetch of every run (dists).
type jsonModeCost struct {
	Mode      fetcher.Mode `json:"mode"`
	Runs      int          `json:"runs"`
	MedianMS  float64      `json:"median_ms"`
	MinMS     float64      `json:"min_ms"`
	MaxMS     float64      `json:"max_ms"`
	MeanMS    float64      `json:"mean_ms"`
	StddevMS  float64      `json:"stddev_ms"`
	Speedup   *float64     `json:"speedup,omitempty"`
	SpeedupCI *[2]float64  `json:"speedup_ci,omitempty"`
	URLs      int64        `json:"urls"`
	OK        int64        `json:"ok"`
	Failed    int64        `json:"failed"`
	Bytes     int64        `json:"bytes"`
	dists
}

// jsonCompare is the NDJSON compare object (a contract, like jsonSummary).
// speedup is null with a single mode; speedup_ci is the last mode's
// interval, with repeats. Its verdict (gates, gate_met, baseline) judges
// the whole run: gate_met is whether every gate was met (with
// --min-speedup alone, that gate).
type jsonCompare struct {
	Type       string         `json:"type"`
	Runs       []jsonRun      `json:"runs"`
	Speedup    *float64       `json:"speedup"`
	SpeedupCI  *[2]float64    `json:"speedup_ci,omitempty"`
	Modes      []jsonModeCost `json:"modes"`
	MinSpeedup *float64       `json:"min_speedup,omitempty"`
	verdict
}

// round3 rounds x to three decimals.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// roundCI rounds an interval to three decimals.
func roundCI(ci *[2]float64) *[2]float64 {
	if ci == nil {
		return nil
	}
	return &[2]float64{round3(ci[0]), round3(ci[1])}
}

// compareRecord returns the compare object of c; totals, when not nil,
// holds what each mode of c delivered over its runs.
func compareRecord(c *comparison, totals map[fetcher.Mode]*modeTotals) *jsonCompare {
	jc := &jsonCompare{Type: "compare", Runs: []jsonRun{}, Modes: []jsonModeCost{}}
	for _, r := range c.runs {
		jc.Runs = append(jc.Runs, jsonRun{r.mode, fetcher.DurationMS(r.wall)})
	}
	for i, m := range c.modes {
		ms := fetcher.DurationMS
		jm := jsonModeCost{Mode: m.mode, Runs: m.runs, MedianMS: ms(m.median), MinMS: ms(m.min), MaxMS: ms(m.max),
			MeanMS: ms(m.mean), StddevMS: ms(m.stddev), Failed: m.failed, SpeedupCI: roundCI(m.ci)}
		if i > 0 && m.speedup > 0 {
			sp := round3(m.speedup)
			jm.Speedup = &sp
		}
		if t := totals[m.mode]; t != nil {
			jm.URLs, jm.OK, jm.Failed, jm.Bytes = t.urls, t.ok, t.failed, t.bytes
			jm.dists = t.dists()
		}
		jc.Modes = append(jc.Modes, jm)
	}
	if len(c.modes) >= 2 {
		sp := round3(c.speedup)
		jc.Speedup = &sp
		jc.SpeedupCI = roundCI(c.ci)
	}
	if c.minSpeedup > 0 {
		ms := c.minSpeedup
		jc.MinSpeedup = &ms
	}
	return jc
}

// compareOf appends the comparison c from its record jc (compareRecord,
// with the verdict): the compare object, or in text the costs of every
// mode and the speedup (with one run per mode, the cost lines were
// printed after each run and only the speedup is left).
func (f *formatter) compareOf(b []byte, c *comparison, jc *jsonCompare) []byte {
	if f.json {
		return appendJSON(b, jc)
	}
	repeated := false
	for _, m := range c.modes {
		repeated = repeated || m.runs > 1
	}
	if repeated {
		for _, m := range c.modes {
			b = append(b, m.mode.String()...)
			b = append(b, " cost median "...)
			b = appendSeconds(b, m.median)
			b = append(b, ", min "...)
			b = appendSeconds(b, m.min)
			b = append(b, ", max "...)
			b = appendSeconds(b, m.max)
			b = append(b, ", mean "...)
			b = appendSeconds(b, m.mean)
			b = append(b, " ± "...)
			b = appendSeconds(b, m.stddev)
			b = append(b, " ("...)
			b = strconv.AppendInt(b, int64(m.runs), 10)
			b = append(b, " runs"...)
			if m.failed > 0 {
				b = append(b, ", "...)
				b = strconv.AppendInt(b, m.failed, 10)
				b = append(b, " failed results"...)
			}
			b = append(b, ")\n"...)
		}
	}
	if len(c.modes) >= 2 {
		b = append(b, "speedup "...)
		b = strconv.AppendFloat(b, c.speedup, 'f', 2, 64)
		b = append(b, 'x')
		if c.ci != nil {
			b = append(b, ", 95% interval "...)
			b = strconv.AppendFloat(b, c.ci[0], 'f', 2, 64)
			b = append(b, "x to "...)
			b = strconv.AppendFloat(b, c.ci[1], 'f', 2, 64)
			b = append(b, 'x')
		}
		b = append(b, '\n')
	}
	return b
}

// appendJSON appends v as one line of JSON, without HTML escaping (URLs
// keep their & and <).
func appendJSON(b []byte, v any) []byte {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a broken MarshalJSON can get here; keep the line valid JSON.
		buf.Truncate(len(b))
		return appendJSON(buf.Bytes(), map[string]string{"type": "error", "error": err.Error()})
	}
	return buf.Bytes()
}
