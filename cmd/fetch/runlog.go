package main

// A run as its NDJSON tells it: the summary of every pass, and the
// compare object. --baseline reads an earlier run's NDJSON into a runLog,
// fetch report reads a saved run, and a run that is going on keeps one of
// itself, fed with the very lines it writes (or would write, in text), so
// that its reports and baseline diff come from the values a saved run
// gives back.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/greenfetch/greenfetch/fetcher"
)

// Bounds on an NDJSON run read back: it may come from anywhere.
const (
	// maxRecordLine bounds a summary or compare line: histograms of at
	// most 7296 buckets, the waterfall's URLs (each at most one input
	// line) and the failure kinds of up to three modes fit many times
	// over. A result line may be longer: it is skipped unread.
	maxRecordLine = 32 << 20
	// maxLoggedRuns bounds the summaries kept (a run has at most
	// maxRepeat passes of each of three modes).
	maxLoggedRuns = 3 * maxRepeat
)

// runStat is what the baseline diff compares of one pass: its mode, wall
// time, counts and latency.
type runStat struct {
	mode   fetcher.Mode
	wallMS float64
	urls   int64
	failed int64
	// lat is the pass's latency_ms; nil when nothing succeeded, or from a
	// fetch older than latency_ms, whose p50_ms, p95_ms and max_ms give
	// what they can (old).
	lat *jsonDist
	old *jsonDist
}

// runLog is a run read from its NDJSON: every summary's numbers, the last
// summary of each mode, and the compare object. Memory is bounded by
// maxLoggedRuns and by the size of the objects kept (one summary per mode
// and one compare object).
type runLog struct {
	name    string         // the file read, for messages and the reports; "" for the run going on
	runs    []runStat      // every summary, in order
	modes   []fetcher.Mode // the modes in the order of their first summary
	last    map[fetcher.Mode]*jsonSummary
	compare *jsonCompare
	lines   int64 // lines read, for messages
}

func newRunLog(name string) *runLog {
	return &runLog{name: name, last: map[fetcher.Mode]*jsonSummary{}}
}

// readRunLog reads the NDJSON run of r (named name in errors). Result
// lines, start lines and objects of types it does not know are skipped;
// a line that is not JSON is an error that names the line, and so is a
// run without a summary.
func readRunLog(r io.Reader, name string) (*runLog, error) {
	l := newRunLog(name)
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for {
		line, err := readRecordLine(br, &buf)
		if len(line) > 0 || err == nil {
			l.lines++
			if lerr := l.addLine(line); lerr != nil {
				return nil, fmt.Errorf("%s: line %d: %w", name, l.lines, lerr)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errLongRecord) {
				return nil, fmt.Errorf("%s: line %d: %w", name, l.lines+1, err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(l.runs) == 0 {
		return nil, fmt.Errorf("%s: no summary object in %d lines: want the NDJSON of a run (fetch --json)", name, l.lines)
	}
	return l, nil
}

var errLongRecord = fmt.Errorf("a summary or compare object longer than %d MiB", maxRecordLine>>20)

// resultPrefix starts every result line fetch writes.
var resultPrefix = []byte(`{"type":"result"`)

// readRecordLine returns the next line of br without its newline, in
// *buf. A result line longer than maxRecordLine is skipped (returned
// empty); any other is errLongRecord.
func readRecordLine(br *bufio.Reader, buf *[]byte) ([]byte, error) {
	*buf = (*buf)[:0]
	skipping := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !skipping {
			*buf = append(*buf, chunk...)
			if len(*buf) > maxRecordLine {
				if !bytes.HasPrefix(bytes.TrimLeft(*buf, " \t"), resultPrefix) {
					return nil, errLongRecord
				}
				skipping, *buf = true, (*buf)[:0]
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return bytes.TrimRight(*buf, "\r\n"), err
		}
		return bytes.TrimRight(*buf, "\r\n"), nil
	}
}

// addLine takes one line of NDJSON.
func (l *runLog) addLine(line []byte) error {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || bytes.HasPrefix(line, resultPrefix) {
		return nil
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	switch head.Type {
	case "summary":
		var s jsonSummary
		if err := json.Unmarshal(line, &s); err != nil {
			return fmt.Errorf("summary: %v", err)
		}
		if err := s.dists.check(); err != nil {
			return fmt.Errorf("summary: %v", err)
		}
		return l.addSummary(&s)
	case "compare":
		var c jsonCompare
		if err := json.Unmarshal(line, &c); err != nil {
			return fmt.Errorf("compare: %v", err)
		}
		if err := c.check(); err != nil {
			return fmt.Errorf("compare: %v", err)
		}
		l.compare = &c
	}
	return nil
}

// Bounds on what an object read back may hold: what fetch writes, with
// room to spare, so that a hostile file costs no more to report on than
// a run.
const (
	maxReadBuckets   = 7296 // a stats.Histogram's buckets
	maxReadFailures  = maxFailureKinds + 1
	maxReadWaterfall = 1000
	maxReadGates     = 10000
)

// check reports a distribution part bigger than fetch writes.
func (d *dists) check() error {
	hists := []histBuckets{d.LatencyHist}
	if d.PhasesHist != nil {
		for i := 0; i < numPhases; i++ {
			hists = append(hists, d.PhasesHist.at(i))
		}
	}
	for _, h := range hists {
		if len(h) > maxReadBuckets {
			return fmt.Errorf("a histogram of %d buckets (at most %d)", len(h), maxReadBuckets)
		}
	}
	if len(d.Failures) > maxReadFailures {
		return fmt.Errorf("%d failure kinds (at most %d)", len(d.Failures), maxReadFailures)
	}
	if len(d.Waterfall) > maxReadWaterfall {
		return fmt.Errorf("a waterfall of %d fetches (at most %d)", len(d.Waterfall), maxReadWaterfall)
	}
	return nil
}

// check reports a verdict bigger than fetch writes.
func (v *verdict) check() error {
	if len(v.Gates) > maxReadGates {
		return fmt.Errorf("%d gates (at most %d)", len(v.Gates), maxReadGates)
	}
	if v.Baseline != nil && len(v.Baseline.Modes) > len(fetcher.Modes) {
		return fmt.Errorf("a baseline of %d modes (there are %d)", len(v.Baseline.Modes), len(fetcher.Modes))
	}
	return nil
}

// check reports a compare object bigger than fetch writes: more modes
// than there are, more runs than a run has, parts too big.
func (c *jsonCompare) check() error {
	if len(c.Modes) > len(fetcher.Modes) {
		return fmt.Errorf("%d modes (there are %d)", len(c.Modes), len(fetcher.Modes))
	}
	if len(c.Runs) > maxLoggedRuns {
		return fmt.Errorf("%d runs (at most %d)", len(c.Runs), maxLoggedRuns)
	}
	if err := c.verdict.check(); err != nil {
		return err
	}
	for i := range c.Modes {
		if err := c.Modes[i].dists.check(); err != nil {
			return fmt.Errorf("mode %s: %v", c.Modes[i].Mode, err)
		}
	}
	return nil
}

// addSummary takes a summary object.
func (l *runLog) addSummary(s *jsonSummary) error {
	if len(l.runs) >= maxLoggedRuns {
		return fmt.Errorf("more than %d summaries: not a run of fetch", maxLoggedRuns)
	}
	if err := s.verdict.check(); err != nil {
		return fmt.Errorf("summary: %v", err)
	}
	l.runs = append(l.runs, runStatOf(s))
	if _, ok := l.last[s.Mode]; !ok {
		l.modes = append(l.modes, s.Mode)
	}
	l.last[s.Mode] = s
	return nil
}

// runStatOf returns the numbers of the summary s.
func runStatOf(s *jsonSummary) runStat {
	st := runStat{mode: s.Mode, wallMS: s.WallMS, urls: s.URLs, failed: s.Failed, lat: s.Latency}
	if s.Latency == nil && s.P50MS != nil && s.P95MS != nil && s.MaxMS != nil {
		st.old = &jsonDist{P50: *s.P50MS, P95: *s.P95MS, Max: *s.MaxMS}
	}
	return st
}

// hasMode reports whether the log has a summary of mode.
func (l *runLog) hasMode(m fetcher.Mode) bool {
	_, ok := l.last[m]
	return ok
}
