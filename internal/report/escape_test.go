package report_test

import (
	"bytes"
	"html"
	"strings"
	"testing"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
)

// TestHTMLEscapesInput checks the page's source: no hostile string
// appears raw, each appears escaped, and the page holds no markup that
// could run or load (the browser test checks what Chromium makes of it).
func TestHTMLEscapesInput(t *testing.T) {
	var b bytes.Buffer
	if err := report.RenderHTML(&b, reporttest.Hostile()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, s := range reporttest.HostileStrings {
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
	if err := report.RenderMarkdown(&b, reporttest.Hostile()); err != nil {
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
		t.Errorf("the Markdown lacks the escaped form of %q: a & starting an entity becomes &amp;, another stays", reporttest.HostileStrings[7])
	}
	if !strings.Contains(md, `a\|b \*c\* \_d\_ \[e\](http://127.0.0.1:1/) &lt;b>f&lt;/b> \$g\$ \~h\~ \\\|`) {
		t.Errorf("the Markdown lacks the escaped form of %q", reporttest.HostileStrings[6])
	}
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

// checkTables fails t when a Markdown table of md has a row whose cells
// do not match its header's.
func checkTables(t *testing.T, md string) {
	t.Helper()
	if err := reporttest.CheckTables(md); err != nil {
		t.Error(err)
	}
}
