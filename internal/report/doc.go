// Package report renders the reports of a timing run that people look at:
// one self-contained HTML page with charts (RenderHTML), and the Markdown
// tables a CI page shows, such as GitHub's job summary (RenderMarkdown).
//
// Both renderers read a Model and nothing else. A Model is plain data: per
// mode (sync, threads, async) its run times, counts, results a second, the
// latency histogram and the phases' histograms (as a Dist: the numbers of
// a stats.Summary and the histogram's non-empty buckets), the failures by
// kind and the slowest fetches with their phases; then the comparison of
// the modes (speedup and its interval), the gates judged, and the diff
// from a baseline. It encodes to JSON and back unchanged, so a report can
// be rebuilt later from what a run saved.
//
// The helpers turn the statistics core's values into a Model's parts:
// DistOf (a stats.Histogram), CompareModes (stats.SpeedupOf over each
// mode's run times), GateOf (a gate.Result) and ModeDiffOf (a
// stats.Change); FailureTally and SlowestTally collect a mode's failures
// by kind and its slowest fetches as results stream by, in memory bounded
// by the kinds and by the number kept.
//
// # The HTML page
//
// The page holds its CSS and its charts (inline SVG) and nothing else: no
// script, no font, no image, and a Content-Security-Policy that forbids
// loading anything, so it opens the same on a laptop offline and as a CI
// artifact. It shows a verdict badge (gates met or not) and the speedup
// headline; the summary of each mode; the gates with pass and fail marks;
// each mode's speedup with its interval against reference lines at 1× and
// at the --min-speedup gate; the baseline diff; the latency CDF of every
// mode on one plot (p50, p95 and p99 marked), the latency by percentile
// with the percentiles spread by their nines (HdrHistogram's plot, where
// the tail gets as much room as the body), and a histogram per mode on a
// shared axis (logarithmic when the times span a factor of 5 or more);
// a waterfall of each mode's slowest fetches (queue, DNS, connect, TLS,
// waiting, receiving); the phases' percentiles; and the failures by kind
// with an example each. Charts have axes with units and titles, and
// tooltips (SVG titles) with the exact numbers.
//
// Strings from the input go through html/template's contextual escaping
// (a URL holding </script> or "><svg onload=…> shows as that text), and
// are cut to 300 characters. The page's size depends on the number of
// modes, gates, slowest fetches and failure kinds, each bounded
// (MaxModes, MaxGates, MaxSlowest, MaxFailureRows), never on the number
// of URLs: a CDF is drawn with 240 points, a percentile line with 161
// and a histogram with 48 bars, whatever the buckets. The report of a three-mode run of the package's
// tests is about 93 KB.
//
// # Markdown
//
// RenderMarkdown writes GitHub-flavoured tables: the summary per mode and
// its latency percentiles, the comparison with its interval, the gates
// (✅ pass or ❌ FAIL), the baseline diff and the failures. A string from
// the input has every character that could start inline markup
// backslash-escaped, | included, so that a URL stays in its cell and
// makes no link, image or HTML.
//
// # Determinism
//
// The same Model renders to the same bytes: the renderers add no date,
// iterate no map unordered, and write numbers with fixed precision.
package report
