package stats

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the output")

// checkGolden compares got with testdata/name.golden (or writes it with
// -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// Samples for the charts come from integer formulas, not a random
// generator, so the golden files hold on every platform.
func uniformSamples(h *Histogram) {
	for i := range 1000 {
		h.Record(10*time.Millisecond + time.Duration(i)*90*time.Microsecond)
	}
}

func bimodalSamples(h *Histogram) {
	for i := range 1000 {
		if i%10 < 7 {
			h.Record(800*time.Microsecond + time.Duration(i*37%200)*time.Microsecond)
		} else {
			h.Record(300*time.Millisecond + time.Duration(i*53%100)*time.Millisecond)
		}
	}
}

func longTailSamples(h *Histogram) {
	for i := range 1000 {
		h.Record(5 * time.Millisecond * 1000 / time.Duration(1000-i)) // 5ms to 5s
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestChart(t *testing.T) {
	tests := []struct {
		name    string
		chart   Chart
		samples func(*Histogram)
	}{
		{"uniform", Chart{}, uniformSamples},
		{"uniform-narrow", Chart{Width: 40, Height: 5}, uniformSamples},
		{"bimodal-linear", Chart{Width: 60, Height: 12}, bimodalSamples},
		{"bimodal-log", Chart{Width: 60, Height: 12, Scale: Log}, bimodalSamples},
		{"bimodal-log-ascii", Chart{Width: 50, Height: 8, Scale: Log, ASCII: true}, bimodalSamples},
		{"long-tail-log", Chart{Width: 72, Height: 15, Scale: Log}, longTailSamples},
		{"long-tail-color", Chart{Width: 72, Height: 8, Color: true}, longTailSamples},
		{"single-value", Chart{Width: 30}, func(h *Histogram) {
			for range 5 {
				h.Record(103 * time.Millisecond)
			}
		}},
		// Two samples 0.2% apart share a bucket's resolution: fewer rows
		// than asked, labels with the digits that tell them apart.
		{"close-values", Chart{Width: 30, Height: 10}, func(h *Histogram) {
			h.Record(1000 * time.Millisecond)
			h.Record(1002 * time.Millisecond)
		}},
		{"zeros-log", Chart{Width: 30, Scale: Log}, func(h *Histogram) { h.Record(0); h.Record(0) }},
		{"sub-microsecond", Chart{Width: 40, Height: 4, ASCII: true}, func(h *Histogram) {
			for i := range 100 {
				h.Record(time.Duration(100 + i*9))
			}
		}},
		{"empty", Chart{}, func(*Histogram) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := new(Histogram)
			tt.samples(h)
			var out bytes.Buffer
			if err := tt.chart.Render(&out, h); err != nil {
				t.Fatalf("got Render error %v; want none", err)
			}
			checkGolden(t, "chart-"+tt.name, out.Bytes())
			var again bytes.Buffer
			if err := tt.chart.Render(&again, h); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
				t.Errorf("a second Render gave %q, %v; want the same output", again.String(), err)
			}
			checkChartShape(t, tt.chart, h, out.String())
		})
	}
}

// checkChartShape checks what the golden files show by eye: lines fit the
// width and the widest fills it, rows are at most the height, the counts
// add up, colour only when asked and ASCII only when asked.
func checkChartShape(t *testing.T, c Chart, h *Histogram, out string) {
	t.Helper()
	if h.Count() == 0 {
		return
	}
	width, height := c.Width, c.Height
	if width == 0 {
		width = defaultWidth
	}
	if height == 0 {
		height = defaultHeight
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > height {
		t.Errorf("got %d rows; want at most %d", len(lines), height)
	}
	widest := 0
	var total int64
	colored := false
	for _, line := range lines {
		plain := ansi.ReplaceAllString(line, "")
		if plain != line {
			colored = true
			if !c.Color {
				t.Errorf("line %q has colour escapes; want none unless asked", line)
			}
		}
		cols := utf8.RuneCountInString(plain)
		if cols > width {
			t.Errorf("line %q is %d columns wide; want at most %d", plain, cols, width)
		}
		widest = max(widest, cols)
		if c.ASCII {
			for _, r := range plain {
				if r > 127 {
					t.Errorf("line %q has %q; want ASCII only", plain, r)
					break
				}
			}
		}
		var label string
		var count int64
		if _, err := fmt.Sscan(plain, &label, &count); err != nil {
			t.Errorf("line %q: %v; want a label and a count", plain, err)
		}
		total += count
	}
	if c.Color && !colored {
		t.Errorf("no line has colour escapes; want coloured bars")
	}
	if widest != width {
		t.Errorf("the widest line is %d columns; want %d (the largest count's bar fills the width)", widest, width)
	}
	if total != h.Count() {
		t.Errorf("the rows count %d samples; want %d", total, h.Count())
	}
}

func TestChartBadWidth(t *testing.T) {
	h := new(Histogram)
	uniformSamples(h)
	tests := []struct {
		name  string
		width int
		want  string
	}{
		{"too narrow for the labels", 19, "stats: chart of 19 columns: the labels take 12, leaving fewer than the 8 the bars need"},
		{"wider than any terminal", 1001, "stats: chart of 1001 columns: at most 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Chart{Width: tt.width}.Render(&out, h)
			if err == nil || err.Error() != tt.want || out.Len() != 0 {
				t.Errorf("got Render(Width %d) = %q, %v; want nothing written and error %q", tt.width, out.String(), err, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		digits int
		ascii  bool
		want   string
	}{
		{0, 3, false, "0ns"},
		{999, 3, false, "999ns"},
		{1234, 3, false, "1.23µs"},
		{1234, 3, true, "1.23us"},
		{980 * time.Microsecond, 3, false, "980µs"},
		{12345 * time.Microsecond, 3, false, "12.3ms"},
		{12345 * time.Microsecond, 5, false, "12.345ms"},
		{123456 * time.Microsecond, 3, false, "123ms"},
		{1500 * time.Millisecond, 3, false, "1.50s"},
		{1234 * time.Second, 3, false, "1234s"},
		{999999 * time.Nanosecond, 3, false, "1000µs"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d, tt.digits, tt.ascii); got != tt.want {
			t.Errorf("got formatDuration(%v, %d, %v) = %q; want %q", tt.d, tt.digits, tt.ascii, got, tt.want)
		}
	}
}
