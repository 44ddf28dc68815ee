package main

// The flags of timing runs in CI: gates (gates.go), a baseline
// (baseline.go), reports (reports.go) and the terminal histogram
// (chart.go).

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/greenfetch/greenfetch/internal/gate"
)

// timingOptions are the parsed timing flags.
type timingOptions struct {
	gateExprs []string
	gates     []gate.Gate // --gate, in order

	baselineFile string
	baselineStat string  // wall, p50, …
	baseline     *runLog // the earlier run, read while the flags are checked

	reportFiles   []string
	reports       []*reportFile // opened (a temporary file beside each) once the flags are checked
	noStepSummary bool

	histogram bool
}

// timingFlagNames are the flags of the "Timing reports" group of --help.
var timingFlagNames = []string{"gate", "baseline", "baseline-stat", "report", "no-step-summary", "histogram"}

func init() {
	g := struct {
		title string
		names []string
	}{"Timing reports", timingFlagNames}
	n := len(flagGroups)
	if n > 0 && flagGroups[n-1].title == "Other" {
		flagGroups = append(flagGroups[:n-1:n-1], g, flagGroups[n-1])
	} else {
		flagGroups = append(flagGroups, g)
	}
}

// addTimingFlags defines the timing flags on fs.
func addTimingFlags(fs *pflag.FlagSet, o *Options) {
	t := &timingOptions{}
	o.timing = t
	fs.StringArrayVar(&t.gateExprs, "gate", nil, "exit 3 unless `EXPR` holds (repeatable), as k6's thresholds: p95<300ms,\np99.9<=1s, ttfb.p95<100ms, failed<=1%, failed=0, rps>=500; with\n--compare speedup>=1.5 and speedup.lo>=1.5 (with --repeat); with\n--baseline regression<=10%; judged on each mode")
	fs.StringVar(&t.baselineFile, "baseline", "", "compare the run with an earlier one, the NDJSON of `FILE` (fetch --json):\nper mode, the old and new wall time, p50, p95, p99, failures and change")
	fs.StringVar(&t.baselineStat, "baseline-stat", "wall", "the `STAT` whose change --baseline measures (the regression gate's):\nwall, p50, p90, p95, p99, p99.9, max or mean")
	fs.StringArrayVar(&t.reportFiles, "report", nil, "write a report of the run to `FILE`: HTML (.html: charts, one\nself-contained page) or Markdown (.md); repeatable. With\nGITHUB_STEP_SUMMARY set, the Markdown is appended to it too")
	fs.BoolVar(&t.noStepSummary, "no-step-summary", false, "with --report, leave GITHUB_STEP_SUMMARY alone")
	fs.BoolVar(&t.histogram, "histogram", false, "draw the latency histogram of each mode in the terminal after the run")
}

// apply checks the timing flags against the rest of o: a gate needs what
// it measures, a baseline must be readable and have the run's modes, a
// report must have a known format and a writable directory.
func (t *timingOptions) apply(o *Options, fs *pflag.FlagSet) error {
	modes := o.Compare
	if modes == nil {
		modes = append(modes, o.Mode)
	}
	if fs.Changed("baseline-stat") && t.baselineFile == "" {
		return flagErrorf("--baseline-stat needs --baseline FILE")
	}
	if t.baselineFile != "" {
		l, err := loadBaseline(t.baselineFile, strings.TrimSpace(t.baselineStat), modes)
		if err != nil {
			return err
		}
		t.baseline, t.baselineStat = l, strings.TrimSpace(t.baselineStat)
	}
	gates, err := parseGates(t.gateExprs, o, t.baseline != nil)
	if err != nil {
		return err
	}
	t.gates = gates
	if t.noStepSummary && len(t.reportFiles) == 0 {
		return flagErrorf("--no-step-summary needs --report FILE (only a run that writes a report appends to GITHUB_STEP_SUMMARY)")
	}
	reads := filesRead(o) // outfile.go
	if t.baselineFile != "" {
		reads = append(reads, readFile{what: "the baseline (--baseline " + t.baselineFile + ")", name: t.baselineFile})
	}
	for i, name := range t.reportFiles {
		if _, err := reportFormatOf(name); err != nil {
			return flagErrorf("--report: %v", err)
		}
		// A report replaces its file at the end: never one the run reads
		// or writes otherwise.
		if what := sameFileAs(name, reads); what != "" {
			return flagErrorf("--report %s is %s: the report would overwrite what the run reads", name, what)
		}
		if out := o.OutputFile; out != "" && out != "-" && samePath(name, out) {
			return flagErrorf("--report %s is the results' file (-o %s): name another file", name, out)
		}
		for _, other := range t.reportFiles[:i] {
			if samePath(name, other) {
				return flagErrorf("--report %s is given twice", name)
			}
		}
	}
	return nil
}

// samePath reports whether the paths a and b name the same file: the
// same file when both exist, else the same absolute path.
func samePath(a, b string) bool {
	sa, erra := os.Stat(a)
	sb, errb := os.Stat(b)
	if erra == nil && errb == nil {
		return os.SameFile(sa, sb)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
