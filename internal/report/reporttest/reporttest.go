// Package reporttest holds the Models that internal/report's tests render:
// a made-up three-mode run (Sample) and one whose every string is an
// attempt at markup (Hostile), and a check of Markdown tables
// (CheckTables). It is for tests: the browser tests in
// internal/report/browsertest use it too.
package reporttest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/greenfetch/greenfetch/internal/gate"
	"github.com/greenfetch/greenfetch/internal/report"
	"github.com/greenfetch/greenfetch/internal/stats"
)

// modeSpec shapes the made-up run of one mode of Sample.
type modeSpec struct {
	name     string
	wall     time.Duration // the median run
	median   time.Duration // of a fetch's total time
	sigma    float64       // of its log
	queue    time.Duration // typical wait for a slot (0: none)
	failures []report.Failure
}

// Sample returns the Model of a made-up three-mode comparison of n
// URLs with 5 runs a mode, gates and a baseline: the same Model for the
// same n and seed, whatever the machine (math/rand/v2's PCG is a fixed
// algorithm).
func Sample(n int, seed uint64) *report.Model {
	rng := rand.New(rand.NewPCG(seed, 42))
	specs := []modeSpec{
		{name: "sync", wall: 3020 * time.Millisecond, median: 14 * time.Millisecond, sigma: 0.35,
			failures: []report.Failure{
				{Kind: "timeout", Count: 3, Example: "http://127.0.0.1:8080/slow?delay=30s", Message: "no response within 10s"},
				{Status: 404, Count: 2, Example: "http://127.0.0.1:8080/missing|page"},
			}},
		{name: "threads", wall: 410 * time.Millisecond, median: 19 * time.Millisecond, sigma: 0.45, queue: 2 * time.Millisecond,
			failures: []report.Failure{
				{Kind: "timeout", Count: 3, Example: "http://127.0.0.1:8080/slow?delay=30s", Message: "no response within 10s"},
				{Status: 404, Count: 2, Example: "http://127.0.0.1:8080/missing|page"},
				{Kind: "connect", Count: 1, Example: "http://127.0.0.1:9/", Message: "connect: connection refused"},
			}},
		{name: "async", wall: 305 * time.Millisecond, median: 21 * time.Millisecond, sigma: 0.5, queue: 5 * time.Millisecond,
			failures: []report.Failure{
				{Kind: "timeout", Count: 3, Example: "http://127.0.0.1:8080/slow?delay=30s", Message: "no response within 10s"},
				{Status: 404, Count: 2, Example: "http://127.0.0.1:8080/missing|page"},
			}},
	}
	m := &report.Model{Title: "fetch report", Subtitle: "fetch --compare sync,threads,async --repeat 5 -i urls.txt (" + strconv.Itoa(n) + " URLs)"}
	var oldWalls [][]float64
	for _, sp := range specs {
		md := report.Mode{Mode: sp.name}
		var old []float64
		for range 5 {
			w := time.Duration(float64(sp.wall) * math.Exp(0.03*rng.NormFloat64()))
			md.Runs = append(md.Runs, w)
			old = append(old, float64(sp.wall)*0.9*math.Exp(0.03*rng.NormFloat64())/1e9)
		}
		oldWalls = append(oldWalls, old)
		var lat stats.Histogram
		phases := map[string]*stats.Histogram{}
		for _, p := range report.PhaseNames {
			phases[p] = new(stats.Histogram)
		}
		var failed int64
		for _, f := range sp.failures {
			failed += f.Count
		}
		type fetch = report.Fetch
		var all []fetch
		for i := range n - int(failed) {
			total := time.Duration(float64(sp.median) * math.Exp(sp.sigma*rng.NormFloat64()))
			if i%50 == 7 { // a slow tail
				total *= 6
			}
			f := fetch{
				URL:     "http://127.0.0.1:8080/page/" + strconv.Itoa(i) + "?size=" + strconv.Itoa(1000+i*37%9000),
				Status:  200,
				DNS:     time.Duration(200+rng.IntN(400)) * time.Microsecond,
				Connect: time.Duration(100+rng.IntN(300)) * time.Microsecond,
				Total:   total,
			}
			if i%3 == 0 {
				f.TLS = time.Duration(800+rng.IntN(1500)) * time.Microsecond
			}
			f.TTFB = f.DNS + f.Connect + f.TLS + time.Duration(float64(total-f.DNS-f.Connect-f.TLS)*0.8)
			if sp.queue > 0 {
				f.Queue = time.Duration(rng.Float64() * 2 * float64(sp.queue))
			}
			lat.Record(f.Total)
			phases["queue"].Record(f.Queue)
			phases["dns"].Record(f.DNS)
			phases["connect"].Record(f.Connect)
			if f.TLS > 0 {
				phases["tls"].Record(f.TLS)
			}
			phases["ttfb"].Record(f.TTFB)
			all = append(all, f)
		}
		// The slowest 8, slowest first.
		for range min(8, len(all)) {
			k := 0
			for j := range all {
				if all[j].Total > all[k].Total {
					k = j
				}
			}
			md.Slowest = append(md.Slowest, all[k])
			all[k].Total = -1
		}
		md.URLs = int64(n)
		md.OK = int64(n) - failed
		md.Failed = failed
		md.Bytes = int64(n) * 5321
		md.RPS = float64(n) / md.Wall().Seconds()
		md.Latency = report.DistOf(&lat)
		md.Phases = map[string]report.Dist{}
		for p, h := range phases {
			if sp.queue == 0 && p == "queue" {
				continue
			}
			md.Phases[p] = report.DistOf(h)
		}
		md.Failures = sp.failures
		m.Modes = append(m.Modes, md)
	}
	m.Comparison = report.CompareModes(m.Modes)
	m.Comparison.MinSpeedup = 5

	// A baseline where every mode was 10% faster.
	b := &report.Baseline{Name: "baseline.ndjson", Stat: "wall", Test: report.DiffTest}
	for i, md := range m.Modes {
		var walls []float64
		for _, r := range md.Runs {
			walls = append(walls, r.Seconds())
		}
		ch := stats.Diff(oldWalls[i], walls, stats.Median)
		old := report.Snapshot{Runs: 5, Wall: time.Duration(ch.Old * 1e9),
			P50: md.Latency.P50 * 9 / 10, P95: md.Latency.P95 * 9 / 10, P99: md.Latency.P99 * 9 / 10, Failed: md.Failed}
		now := report.Snapshot{Runs: len(md.Runs), Wall: md.Wall(), P50: md.Latency.P50, P95: md.Latency.P95, P99: md.Latency.P99, Failed: md.Failed}
		b.Modes = append(b.Modes, report.ModeDiffOf(md.Mode, old, now, ch))
	}
	m.Baseline = b

	// Gates judged on the last mode, as the command judges them on the
	// comparison.
	last := m.Modes[len(m.Modes)-1]
	lookup := func(key string) (float64, bool) {
		ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
		switch key {
		case "p95":
			return ms(last.Latency.P95), true
		case "p99":
			return ms(last.Latency.P99), true
		case "ttfb.p95":
			return ms(last.Phases["ttfb"].P95), true
		case "failed%":
			return 100 * float64(last.Failed) / float64(last.URLs), true
		case "speedup":
			return m.Comparison.Speedups[len(m.Comparison.Speedups)-1].Ratio, true
		case "speedup.lo":
			return m.Comparison.Speedups[len(m.Comparison.Speedups)-1].Lo, true
		case "regression":
			return 100 * m.Baseline.Modes[len(m.Baseline.Modes)-1].Relative, true
		}
		return 0, false
	}
	for _, expr := range []string{"p95<100ms", "p99<=60ms", "ttfb.p95<50ms", "failed<=1%", "speedup>=5", "speedup.lo>=8", "regression<=10%"} {
		g, err := gate.Parse(expr)
		if err != nil {
			panic(err)
		}
		m.Gates = append(m.Gates, report.GateOf(g.Judge(lookup)))
	}

	return m
}

// HostileStrings are inputs that try to become markup: in a URL, a mode's
// name, an error message, a title.
var HostileStrings = []string{
	`http://127.0.0.1/</script><script>document.body.dataset.pwned=1</script>`,
	`http://127.0.0.1/"><svg onload=alert(1)>`,
	`http://127.0.0.1/<img src="http://127.0.0.1:1/pwned.png">`,
	`'><a href=javascript:alert(1) id=pwned>x</a>`,
	`</title><style>body{display:none}</style>`,
	`]]><!-- {{.Title}} --><![CDATA[`,
	`http://127.0.0.1/a|b *c* _d_ [e](http://127.0.0.1:1/) <b>f</b> $g$ ~h~ \|`,
	`http://127.0.0.1/?a=1&b=2&lt;b&gt;&#60;i&#x3c;`,
}

// Hostile puts every hostile string in every place a string from the
// input can go.
func Hostile() *report.Model {
	var h stats.Histogram
	for i := range 50 {
		h.Record(time.Duration(10+i) * time.Millisecond)
	}
	m := &report.Model{Title: HostileStrings[4], Subtitle: HostileStrings[1]}
	for i, name := range []string{HostileStrings[0], HostileStrings[3]} {
		md := report.Mode{
			Mode: name, Runs: []time.Duration{time.Second, 1100 * time.Millisecond},
			URLs: 60, OK: 50, Failed: 10, Bytes: 1234, RPS: 50,
			Latency: report.DistOf(&h),
			Phases:  map[string]report.Dist{"dns": report.DistOf(&h), HostileStrings[2]: report.DistOf(&h)},
		}
		for j, s := range HostileStrings {
			md.Failures = append(md.Failures, report.Failure{Kind: s, Count: int64(j + 1), Example: s, Message: s})
			md.Slowest = append(md.Slowest, report.Fetch{URL: s, Status: 200, DNS: time.Millisecond, TTFB: 20 * time.Millisecond, Total: time.Duration(50-j) * time.Millisecond})
		}
		if i == 1 {
			md.Runs = []time.Duration{500 * time.Millisecond, 520 * time.Millisecond}
		}
		m.Modes = append(m.Modes, md)
	}
	m.Comparison = report.CompareModes(m.Modes)
	m.Comparison.Method = HostileStrings[5]
	for _, s := range HostileStrings {
		m.Gates = append(m.Gates, report.Gate{Expr: s, Value: 1, Limit: 2, Unit: "ms", Met: true, Available: true})
	}
	m.Baseline = &report.Baseline{Name: HostileStrings[6], Stat: "wall", Test: HostileStrings[1]}
	for _, md := range m.Modes {
		m.Baseline.Modes = append(m.Baseline.Modes, report.ModeDiff{Mode: md.Mode, Old: report.Snapshot{Wall: time.Second}, New: report.Snapshot{Wall: 2 * time.Second}, Relative: 1})
	}
	return m
}

// CheckTables checks that each row of each Markdown table in md has as
// many cells as its header, splitting cells as GFM does, and returns an
// error naming the first row that does not.
func CheckTables(md string) error {
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
			return fmt.Errorf("line %d has %d cells; want %d as its header: %s", i+1, n, want, line)
		}
	}
	return nil
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
