package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(gl), len(wl)) {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Errorf("output differs from %s (run go test -update to accept it) at line %d:\ngot:  %s\nwant: %s", path, i+1, g, w)
				return
			}
		}
	}
}

func TestSampleGolden(t *testing.T) {
	m := reporttest.Sample(200, 1)
	var md, html bytes.Buffer
	if err := report.RenderMarkdown(&md, m); err != nil {
		t.Fatal(err)
	}
	if err := report.RenderHTML(&html, m); err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.md.golden", md.Bytes())
	golden(t, "sample.html.golden", html.Bytes())
}
