package report_test

import (
	"bytes"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// hostileStrings are inputs that try to become markup: in a URL, a mode's
// name, an error message, a title.
var hostileStrings = []string{
	`http://127.0.0.1/</script><script>document.body.dataset.pwned=1</script>`,
	`http://127.0.0.1/"><svg onload=alert(1)>`,
	`http://127.0.0.1/<img src="http://127.0.0.1:1/pwned.png">`,
	`'><a href=javascript:alert(1) id=pwned>x</a>`,
	`</title><style>body{display:none}</style>`,
	`]]><!-- {{.Title}} --><![CDATA[`,
	`http://127.0.0.1/a|b *c* _d_ [e](http://127.0.0.1:1/) <b>f</b> $g$ ~h~ \|`,
	`http://127.0.0.1/?a=1&b=2&lt;b&gt;&#60;i&#x3c;`,
}

// hostileModel puts every hostile string in every place a string from the
// input can go.
func hostileModel() *report.Model {
	var h stats.Histogram
	for i := range 50 {
		h.Record(time.Duration(10+i) * time.Millisecond)
	}
	m := &report.Model{Title: hostileStrings[4], Subtitle: hostileStrings[1]}
	for i, name := range []string{hostileStrings[0], hostileStrings[3]} {
		md := report.Mode{
			Mode: name, Runs: []time.Duration{time.Second, 1100 * time.Millisecond},
			URLs: 60, OK: 50, Failed: 10, Bytes: 1234, RPS: 50,
			Latency: report.DistOf(&h),
			Phases:  map[string]report.Dist{"dns": report.DistOf(&h), hostileStrings[2]: report.DistOf(&h)},
		}
		for j, s := range hostileStrings {
			md.Failures = append(md.Failures, report.Failure{Kind: s, Count: int64(j + 1), Example: s, Message: s})
			md.Slowest = append(md.Slowest, report.Fetch{URL: s, Status: 200, DNS: time.Millisecond, TTFB: 20 * time.Millisecond, Total: time.Duration(50-j) * time.Millisecond})
		}
		if i == 1 {
			md.Runs = []time.Duration{500 * time.Millisecond, 520 * time.Millisecond}
		}
		m.Modes = append(m.Modes, md)
	}
	m.Comparison = report.CompareModes(m.Modes)
	m.Comparison.Method = hostileStrings[5]
	for _, s := range hostileStrings {
		m.Gates = append(m.Gates, report.Gate{Expr: s, Value: 1, Limit: 2, Unit: "ms", Met: true, Available: true})
	}
	m.Baseline = &report.Baseline{Name: hostileStrings[6], Stat: "wall", Test: hostileStrings[1]}
	for _, md := range m.Modes {
		m.Baseline.Modes = append(m.Baseline.Modes, report.ModeDiff{Mode: md.Mode, Old: report.Snapshot{Wall: time.Second}, New: report.Snapshot{Wall: 2 * time.Second}, Relative: 1})
	}
	return m
}

// TestHTMLEscapesInput checks the page's source: no hostile string
// appears raw, each appears escaped, and the page holds no markup that
// could run or load (the browser test checks what Chromium makes of it).
func TestHTMLEscapesInput(t *testing.T) {
	var b bytes.Buffer
	if err := report.RenderHTML(&b, hostileModel()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, s := range hostileStrings {
		if strings.Contains(page, s) {
			t.Errorf("the page holds %q unescaped", s)
		}
		if !strings.Contains(page, html.EscapeString(s)) && !strings.Contains(page, escapeLikeTemplate(s)) {
			t.Errorf("the page lacks %q escaped", s)
		}
	}
	for _, bad := range []string{"<script", "<img", "<iframe", "<svg onload", "<a href=javascript", "<![CDATA[", "<!--", "<style>body"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if n := strings.Count(page, "<style>"); n != 1 {
		t.Errorf("the page has %d <style> elements; want its own 1", n)
	}
}

// escapeLikeTemplate escapes s as html/template escapes text: as
// html.EscapeString, with &#34; and &#39; for the quotes and &#43; for +.
func escapeLikeTemplate(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `'`, "&#39;", "+", "&#43;", "\x00", "\uFFFD").Replace(s)
}

// TestMarkdownEscapesInput checks that every row of every table keeps its
// number of cells whatever its strings hold, and that no string from the
// input makes markup: each special character is backslash-escaped.
func TestMarkdownEscapesInput(t *testing.T) {
	var b bytes.Buffer
	if err := report.RenderMarkdown(&b, hostileModel()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	checkTables(t, md)
	if strings.Contains(md, "<") {
		t.Error("the Markdown holds a <: an input's < must be written &lt;")
	}
	for _, raw := range []string{"](http", "*c*", "_d_", "$g$", "~h~"} {
		if unescaped(md, raw) {
			t.Errorf("the Markdown holds %q without a backslash before it", raw)
		}
	}
	if !strings.Contains(md, `http://127.0.0.1/?a=1&b=2&amp;lt;b&amp;gt;&amp;\#60;i&amp;\#x3c;`) {
		t.Errorf("the Markdown lacks the escaped form of %q: a & starting an entity becomes &amp;, another stays", hostileStrings[7])
	}
	if !strings.Contains(md, `a\|b \*c\* \_d\_ \[e\](http://127.0.0.1:1/) &lt;b>f&lt;/b> \$g\$ \~h\~ \\\|`) {
		t.Errorf("the Markdown lacks the escaped form of %q", hostileStrings[6])
	}
}

// checkTables checks that each row of each Markdown table has as many
// cells as its header: cells split at | not preceded by a backslash.
func checkTables(t *testing.T, md string) {
	t.Helper()
	want := -1
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		n := cells(line)
		if want < 0 {
			want = n
			continue
		}
		if n != want {
			t.Errorf("line %d has %d cells; want %d as its header: %s", i+1, n, want, line)
		}
	}
}

// cells counts the cells of a table row as GFM does: its pipes less
// those right after a backslash (GFM reads \| as a pipe in a cell even
// after another backslash, inside code spans too), less one.
func cells(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '|' && (i == 0 || row[i-1] != '\\') {
			n++
		}
	}
	return n - 1
}

// unescaped reports whether s occurs in md without a backslash right
// before it.
func unescaped(md, s string) bool {
	for i := 0; ; {
		j := strings.Index(md[i:], s)
		if j < 0 {
			return false
		}
		if at := i + j; at == 0 || md[at-1] != '\\' {
			return true
		}
		i += j + 1
	}
}
