package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestProgressRender: the line fits the width at every size, keeps the
// label and the count, and keeps the bar before the optional parts.
func TestProgressRender(t *testing.T) {
	for _, total := range []int64{41, -1} {
		p := &progress{label: "async", total: total, start: time.Now().Add(-3 * time.Second), done: 28, bytes: 458_800, failed: 2}
		for width := 10; width <= 130; width++ {
			line := string(p.render(nil, width-1))
			if n := utf8.RuneCountInString(line); n > width-1 {
				t.Errorf("total %d, width %d: %d columns: %q", total, width, n, line)
			}
			if width >= 40 && (!strings.HasPrefix(line, "async ") || !strings.Contains(line, "28") || !strings.Contains(line, "2 failed")) {
				t.Errorf("total %d, width %d: %q lacks the label, the count or the failures", total, width, line)
			}
			if total > 0 && width >= 45 && !strings.Contains(line, "% |") {
				t.Errorf("width %d: %q has no bar", width, line)
			}
			if width >= 120 && !strings.Contains(line, "URL/s") {
				t.Errorf("width %d: %q has no rate", width, line)
			}
		}
	}
}
