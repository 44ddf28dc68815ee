package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFmtDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{999, "999ns"},
		{412 * time.Microsecond, "412µs"},
		{1234 * time.Microsecond, "1.23ms"},
		{12345 * time.Microsecond, "12.3ms"},
		{103 * time.Millisecond, "103ms"},
		{1507 * time.Millisecond, "1.51s"},
		{95 * time.Second, "95.0s"},
		{119 * time.Second, "119s"},
		{125 * time.Second, "2m05s"},
		{-3 * time.Millisecond, "-3.00ms"},
		{math.MaxInt64, "153722867m16s"}, // Round saturates
		{math.MinInt64, "-153722867m16s"},
	}
	for _, tt := range tests {
		if got := fmtDur(tt.d); got != tt.want {
			t.Errorf("fmtDur(%d) = %q; want %q", int64(tt.d), got, tt.want)
		}
	}
}

func TestFmtNumbers(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"change up", fmtChange(0.123), "+12.3%"},
		{"change down", fmtChange(-0.04), "−4.0%"},
		{"change none", fmtChange(0.00001), "±0.0%"},
		{"change inf", fmtChange(math.Inf(1)), "—"},
		{"ratio", fmtRatio(5), "5.00×"},
		{"ratio nan", fmtRatio(math.NaN()), "—"},
		{"bytes", fmtBytes(1023), "1023 B"},
		{"KiB", fmtBytes(1536), "1.50 KiB"},
		{"MiB", fmtBytes(5321 * 200), "1.01 MiB"},
		{"EiB", fmtBytes(math.MaxInt64), "8.00 EiB"},
		{"gate ms", fmtGateValue(60, "ms"), "60ms"},
		{"gate s", fmtGateValue(1500, "ms"), "1.5s"},
		{"gate pct", fmtGateValue(9.6951, "%"), "9.7%"},
		{"gate x", fmtGateValue(1.5, "x"), "1.5×"},
		{"gate rps", fmtGateValue(512.26, "/s"), "512.3/s"},
		{"gate count", fmtGateValue(3, ""), "3"},
		{"gate nan", fmtGateValue(math.NaN(), "ms"), "—"},
		{"p small", fmtP(0.00001), "p < 0.0001"},
		{"p", fmtP(0.0079365), "p = 0.0079"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q; want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestMdText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"http://127.0.0.1/a|b", `http://127.0.0.1/a\|b`},
		{"*x* _y_ `z` [l](u) ~s~ $m$ #h", "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\~s\\~ \\$m\\$ \\#h"},
		{"<script>", "&lt;script>"},
		{`\`, `\\`},
		{"?a=1&b=2", "?a=1&b=2"},
		{"&lt; &#60; &#x3c; & ;", `&amp;lt; &amp;\#60; &amp;\#x3c; & ;`},
	}
	for _, tt := range tests {
		if got := mdText(tt.in); got != tt.want {
			t.Errorf("mdText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("a\nb\tc\x00d\u2028e\xff"); got != "a b c d e\uFFFD" {
		t.Errorf("clip turned control characters and bad UTF-8 into %q", got)
	}
	long := strings.Repeat("é", 1000)
	got := clip(long)
	if n := len([]rune(got)); n != maxText+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip of 1000 runes has %d runes ending %q; want %d and an ellipsis", n, got[len(got)-3:], maxText+1)
	}
}
