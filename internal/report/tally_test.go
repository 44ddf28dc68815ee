package report_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/greenfetch/greenfetch/internal/report"
)

func TestFailureTally(t *testing.T) {
	var ft report.FailureTally
	ft.Add("timeout", 0, "http://127.0.0.1/a", "no response within 10s")
	ft.Add("", 404, "http://127.0.0.1/b", "")
	ft.Add("timeout", 0, "http://127.0.0.1/c", "no response within 10s")
	ft.Add("", 404, "http://127.0.0.1/d", "")
	ft.Add("", 503, "http://127.0.0.1/e", "")
	ft.Add("dns", 0, "http://nx.invalid/", "no such host")
	ft.Add("timeout", 0, "http://127.0.0.1/f", "no response within 10s")
	got := ft.Failures()
	want := []report.Failure{
		{Kind: "timeout", Count: 3, Example: "http://127.0.0.1/a", Message: "no response within 10s"},
		{Status: 404, Count: 2, Example: "http://127.0.0.1/b"},
		{Status: 503, Count: 1, Example: "http://127.0.0.1/e"},
		{Kind: "dns", Count: 1, Example: "http://nx.invalid/", Message: "no such host"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Failures() = %+v; want %+v", got, want)
	}

	// A flood of distinct kinds stays bounded.
	var flood report.FailureTally
	for i := range 5000 {
		flood.Add("kind"+strconv.Itoa(i), 0, "http://127.0.0.1/", "")
	}
	fs := flood.Failures()
	var n int64
	for _, f := range fs {
		n += f.Count
	}
	if len(fs) > 1001 || n != 5000 {
		t.Errorf("5000 kinds gave %d rows counting %d; want at most 1001 rows counting 5000", len(fs), n)
	}
}

func TestSlowestTally(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	st := report.SlowestTally{N: 10}
	var all []time.Duration
	for i := range 1000 {
		d := time.Duration(rng.IntN(500)) * time.Millisecond // ties on purpose
		all = append(all, d)
		st.Add(report.Fetch{URL: "http://127.0.0.1/" + strconv.Itoa(i), Total: d})
	}
	slices.Sort(all)
	slices.Reverse(all)
	got := st.Fetches()
	if len(got) != 10 {
		t.Fatalf("kept %d; want 10", len(got))
	}
	for i, f := range got {
		if f.Total != all[i] {
			t.Errorf("fetch %d took %v; want %v", i, f.Total, all[i])
		}
		if i > 0 && f.Total == got[i-1].Total {
			a, _ := strconv.Atoi(got[i-1].URL[len("http://127.0.0.1/"):])
			b, _ := strconv.Atoi(f.URL[len("http://127.0.0.1/"):])
			if a > b {
				t.Errorf("of two fetches of %v, %s ranks before %s; want the first added first", f.Total, got[i-1].URL, f.URL)
			}
		}
	}
	var zero report.SlowestTally
	for i := range 100 {
		zero.Add(report.Fetch{Total: time.Duration(i)})
	}
	if n := len(zero.Fetches()); n != report.MaxSlowest {
		t.Errorf("the zero SlowestTally kept %d; want MaxSlowest (%d)", n, report.MaxSlowest)
	}
}
