package browsertest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
)

// chromium returns the path of Debian's chromium. Without one, the test
// is skipped on a developer's machine and fails in CI (CI set), where
// scripts/test.sh installs it: a report nobody opened in a browser is
// not tested.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatal("chromium not found on PATH nor at /usr/bin/chromium, and CI is set: scripts/test.sh installs it (apt-get install chromium)")
	}
	t.Skip("chromium not found (apt-get install chromium); CI fails here instead of skipping")
	return ""
}

// artifactDir is where a test keeps what a person should look at:
// $GREENFETCH_ARTIFACTS when set, else the test's temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("GREENFETCH_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browserLog is what a page did that the test must see: every request,
// console message, exception, log entry and dialog. The listener fills
// it on chromedp's reading goroutine; the test reads it under mu.
type browserLog struct {
	mu         sync.Mutex
	requests   []string
	console    []string
	exceptions []string
	entries    []string
	dialogs    []string
}

func (l *browserLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		l.console = append(l.console, string(ev.Type)+": "+strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		l.exceptions = append(l.exceptions, msg)
	case *log.EventEntryAdded:
		e := ev.Entry
		l.entries = append(l.entries, string(e.Level)+" "+string(e.Source)+": "+e.Text+" "+e.URL)
	case *page.EventJavascriptDialogOpening:
		l.dialogs = append(l.dialogs, string(ev.Type)+": "+ev.Message)
	}
}

// check fails t for anything the page did but load itself: a request to
// another URL, a console message of any kind, an exception, a browser
// log entry of a warning or an error (a blocked load, a CSP violation),
// or a dialog.
func (l *browserLog) check(t *testing.T, self string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	sawSelf := false
	for _, u := range l.requests {
		if u == self {
			sawSelf = true
			continue
		}
		t.Errorf("the page requested %q; want no request but the page itself", u)
	}
	if !sawSelf {
		t.Errorf("no request for the page %s itself seen among %q: is the network domain watched?", self, l.requests)
	}
	for _, m := range l.console {
		t.Errorf("console: %s; want a silent console", m)
	}
	for _, e := range l.exceptions {
		t.Errorf("exception thrown: %s", e)
	}
	for _, e := range l.entries {
		if strings.HasPrefix(e, "error") || strings.HasPrefix(e, "warning") {
			t.Errorf("browser log: %s", e)
		}
	}
	for _, d := range l.dialogs {
		t.Errorf("the page opened a dialog: %s", d)
	}
}

// chartInfo is what the browser drew of one svg.chart.
type chartInfo struct {
	Label  string  `json:"label"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	// Drawn counts the shapes (path, rect, circle, line) whose bounding
	// box is not empty; Paths the paths with a non-empty d and a length.
	Drawn int `json:"drawn"`
	Paths int `json:"paths"`
	Rects int `json:"rects"`
}

// chartsJS measures every chart as the browser laid it out. It runs
// through the DevTools protocol, not in the page (which has no script
// and whose policy allows none).
const chartsJS = `[...document.querySelectorAll('svg.chart')].map(svg => {
	const r = svg.getBoundingClientRect();
	const shapes = [...svg.querySelectorAll('path, rect, circle, line')];
	const box = e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; };
	return {
		label: svg.getAttribute('aria-label') || '',
		width: r.width, height: r.height,
		drawn: shapes.filter(box).length,
		paths: [...svg.querySelectorAll('path')].filter(p => (p.getAttribute('d') || '').length > 2 && p.getTotalLength() > 0).length,
		rects: [...svg.querySelectorAll('rect')].filter(e => { const b = e.getBBox(); return b.width > 0 && b.height > 0; }).length,
	};
})`

// openInChromium loads the HTML file at path in a fresh headless
// Chromium and returns the browser's context, the events it logged and a
// func that stops it.
func openInChromium(t *testing.T, path string) (context.Context, *browserLog) {
	t.Helper()
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	var chromeOut bytes.Buffer
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.WindowSize(1000, 800),
		chromedp.CombinedOutput(&lockedWriter{w: &chromeOut}),
	)
	t.Cleanup(acancel)
	bl := new(browserLog)
	tctx, tcancel := chromedp.NewContext(actx, chromedp.WithListener(bl.listen))
	t.Cleanup(tcancel)
	self := (&url.URL{Scheme: "file", Path: path}).String()
	if err := chromedp.Do(tctx, chromedp.Navigate(self)); err != nil {
		t.Fatalf("chromium could not open %s: %v\nchromium said:\n%s", self, err, chromeOut.String())
	}
	return tctx, bl
}

// lockedWriter lets chromium's output be written by the allocator's
// goroutine while the test may read it.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// writeHTML renders m into dir/name and returns its path.
func writeHTML(t *testing.T, dir, name string, m *report.Model) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.RenderHTML(&b, m); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHTMLInChromium opens the report of a three-mode run in headless
// Chromium: every chart is drawn with a size, the console stays silent,
// nothing is loaded but the file, and a screenshot is kept for a person
// to look at.
func TestHTMLInChromium(t *testing.T) {
	art := artifactDir(t)
	path := writeHTML(t, t.TempDir(), "report.html", reporttest.Sample(200, 1))
	ctx, bl := openInChromium(t, path)

	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]chartInfo{}
	for _, c := range charts {
		byLabel[c.Label] = c
		if c.Width <= 0 || c.Height <= 0 {
			t.Errorf("chart %q is %gx%g px; want a non-zero box", c.Label, c.Width, c.Height)
		}
		if c.Drawn == 0 {
			t.Errorf("chart %q draws no shape with a non-empty box", c.Label)
		}
	}
	// The charts a three-mode comparison must have, with what each
	// must draw at least.
	for _, want := range []struct {
		prefix       string
		paths, rects int
	}{
		{"latency CDF", 3, 0},
		{"latency by percentile", 3, 0},
		{"latency histogram of sync", 0, 5},
		{"latency histogram of threads", 0, 5},
		{"latency histogram of async", 0, 5},
		{"waterfall of the slowest fetches of sync", 0, 8 * 4},
		{"waterfall of the slowest fetches of threads", 0, 8 * 5},
		{"waterfall of the slowest fetches of async", 0, 8 * 5},
		{"speedup of each mode over sync", 0, 0},
	} {
		var got *chartInfo
		for label, c := range byLabel {
			if strings.HasPrefix(label, want.prefix) {
				got = &c
				break
			}
		}
		if got == nil {
			t.Errorf("no chart labelled %q… among %d charts", want.prefix, len(charts))
			continue
		}
		if got.Paths < want.paths || got.Rects < want.rects {
			t.Errorf("chart %q draws %d paths and %d rects; want at least %d and %d", got.Label, got.Paths, got.Rects, want.paths, want.rects)
		}
	}

	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fetch report", "2 of 7 gates not met", "async ran 10.12× as fast as sync", "Baseline: baseline.ndjson", "http://127.0.0.1:8080/missing|page"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	shot := filepath.Join(art, "report-3-modes.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report: %s (%d bytes)", shot, len(png))
	bl.check(t, (&url.URL{Scheme: "file", Path: path}).String())
}

// TestHTMLHostileInChromium opens a report whose every string is an
// attempt at markup: nothing of it runs, loads or becomes an element, and
// each shows as the text it is.
func TestHTMLHostileInChromium(t *testing.T) {
	m := reporttest.Hostile()
	path := writeHTML(t, t.TempDir(), "hostile.html", m)
	ctx, bl := openInChromium(t, path)

	counts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](`({
		scripts: document.querySelectorAll('script').length,
		imgs: document.querySelectorAll('img, iframe, object, embed, link[rel=stylesheet]').length,
		handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
		pwned: document.querySelectorAll('[data-pwned], #pwned').length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range counts {
		if n != 0 {
			t.Errorf("the page has %d %s made from its input; want 0", n, k)
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText + document.title`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range reporttest.HostileStrings {
		if !strings.Contains(text, s) {
			t.Errorf("the page's text lacks the input %q shown as text", s)
		}
	}
	bl.check(t, (&url.URL{Scheme: "file", Path: path}).String())
	if t.Failed() {
		fmt.Fprintf(os.Stderr, "hostile page kept at %s\n", path)
	}
}
