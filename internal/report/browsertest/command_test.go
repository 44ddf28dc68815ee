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
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenfetch/greenfetch/internal/serve"
)

// runFetch runs the fetch binary bin in dir with args, and returns its
// stdout, stderr and exit code.
func runFetch(t *testing.T, bin, dir string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CI=", "GITHUB_STEP_SUMMARY=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("fetch %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// TestCommandReportInChromium opens in headless Chromium the report the
// fetch command wrote after a real run: the binary built from
// cmd/fetch, a comparison with repeats against the embedded server (the
// one behind fetch serve), gates, a baseline from an earlier run, and a
// failed URL. Every chart is drawn, the console stays silent, nothing is
// loaded but the file, the numbers of the run are on the page, and a
// screenshot is kept. fetch report renders the same page from the run's
// NDJSON.
func TestCommandReportInChromium(t *testing.T) {
	chromium(t) // skip (or, in CI, fail) before building anything
	dir := t.TempDir()
	bin := filepath.Join(dir, "fetch")
	build := exec.Command("go", "build", "-o", bin, "github.com/greenfetch/greenfetch/cmd/fetch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building fetch: %v\n%s", err, out)
	}
	srv, err := serve.Start("127.0.0.1:0", serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var list strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&list, "%s/delay/%dms/size/4KiB?i=%d\n", srv.URL(), 2+(i*5)%30, i)
	}
	fmt.Fprintf(&list, "%s/status/503\n", srv.URL())
	if err := os.WriteFile(filepath.Join(dir, "urls.txt"), []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	base, stderr, code := runFetch(t, bin, dir, "--compare", "--repeat", "2", "-q", "--json", "-i", "urls.txt")
	if code != 1 { // the 503
		t.Fatalf("the baseline's run: exit %d; want 1\n%s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "base.ndjson"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	run, stderr, code := runFetch(t, bin, dir, "--compare", "--repeat", "3", "-q", "--json", "-i", "urls.txt",
		"--gate", "p99<30s", "--gate", "failed=0", "--gate", "speedup.lo>=0.5", "--baseline", "base.ndjson", "--gate", "regression<=1000%",
		"--report", "report.html", "--report", "report.md")
	if code != 3 || !strings.Contains(stderr, "gate failed=0 not met") {
		t.Fatalf("exit %d, stderr %q; want 3: the 503 misses failed=0", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.ndjson"), []byte(run), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")

	ctx, bl := openInChromium(t, path)
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if c.Width <= 0 || c.Height <= 0 || c.Drawn == 0 {
			t.Errorf("chart %q is %gx%g px with %d shapes drawn; want a box with shapes", c.Label, c.Width, c.Height, c.Drawn)
		}
	}
	for _, want := range []struct {
		prefix       string
		paths, rects int
	}{
		{"latency CDF", 2, 0},
		{"latency by percentile", 2, 0},
		{"latency histogram of sync", 0, 5},
		{"latency histogram of async", 0, 5},
		{"waterfall of the slowest fetches of sync", 0, 8},
		{"waterfall of the slowest fetches of async", 0, 8},
		{"speedup of each mode over sync", 0, 0},
	} {
		found := false
		for _, c := range charts {
			if strings.HasPrefix(c.Label, want.prefix) {
				found = true
				if c.Paths < want.paths || c.Rects < want.rects {
					t.Errorf("chart %q draws %d paths and %d rects; want at least %d and %d", c.Label, c.Paths, c.Rects, want.paths, want.rects)
				}
			}
		}
		if !found {
			t.Errorf("no chart labelled %q… among %d charts", want.prefix, len(charts))
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fetch report", "41 URLs; sync and async, 3 runs each", "gates not met", "failed=0 (sync)",
		"regression<=1000% (async)", "Baseline: base.ndjson", "HTTP 503", srv.URL() + "/status/503"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page's text lacks %q", want)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactDir(t), "report-command.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the command's report: %s (%d bytes)", shot, len(png))
	bl.check(t, (&url.URL{Scheme: "file", Path: path}).String())

	if _, stderr, code := runFetch(t, bin, dir, "report", "run.ndjson", "-o", "again.html"); code != 0 {
		t.Fatalf("fetch report: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(filepath.Join(dir, "again.html"))
	if !bytes.Equal(a, b) {
		t.Errorf("fetch report's page differs from the run's")
	}
}
