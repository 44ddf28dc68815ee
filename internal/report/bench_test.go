package report_test

import (
	"io"
	"testing"

	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/report/reporttest"
)

func BenchmarkRenderHTML(b *testing.B) {
	m := reporttest.Sample(200, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := report.RenderHTML(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderMarkdown(b *testing.B) {
	m := reporttest.Sample(200, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := report.RenderMarkdown(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}
