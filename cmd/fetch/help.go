package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

const helpHead = `fetch: fetch many URLs at once and report what each delivered and what the
whole list cost, one engine against another.

Usage:
  fetch [flags] [URL ...]
  fetch demo [flags]      the seed demo on an embedded local server (no network)
  fetch serve [flags]     the embedded test server, for CI timing runs
  fetch results [flags]   stored results (bolt: or redis://) as NDJSON
  fetch report [flags] RUN.ndjson -o FILE.html|FILE.md
                          the reports of a saved run (--json), after the fact
  fetch version           the version, the Go that built it and its commit

URLs come from the arguments, then from --input FILE; with neither, from
standard input unless it is a terminal. Each argument, as each line, is
one URL, optionally followed by white space and a label (echoed as
"label"); blank ones and comments ('#' at the start, or after white space)
are skipped; a URL without a scheme gets http://. A bad line (longer than
64 KiB, not a URL, not http or https) is a failed result, never the end of
the run. A list with no URL is a usage error (a --shard with none of the
list's URLs is not: it runs zero URLs and exits 0). Input is streamed:
memory grows with -c, not with the list; a pipe or FIFO is read once
(spooled to a temporary file when --compare or --repeat reads the list
more than once).
`

const helpTail = `
Output:
  Text (default), one line per URL as it completes, then the cost and a summary:
    48708 bytes received from https://example.org/ (200, 103 ms)
    failed: 162 bytes received from https://example.org/nope (404, 12 ms)
    error: http://nope.invalid/: dns: lookup nope.invalid on 127.0.0.53:53: no such host
    async cost 1.507s
    summary: 3 URLs, 1 ok, 2 failed, 48870 bytes, p50 103 ms, p95 103 ms, max 103 ms, dns 2 queries, 0 cache hits
    latency: p50 103 ms, p90 103 ms, p95 103 ms, p99 103 ms, p99.9 103 ms, max 103 ms, mean 103 ms ± 0 ms
  With --compare, the cost of every run, then "speedup 2.00x"; with --repeat,
  each mode's median, min, max, mean ± σ, and the speedup's 95% interval.
  --json: NDJSON, one object a line: "type":"result" per URL (test "ok"),
  "summary" per run, "compare" after a comparison. Control characters from
  the input are escaped in text; passwords in URLs are masked (user:***@)
  in every output. Progress goes to stderr only, and in auto only when
  stdout is not a pipe. With -o FILE, each cost and summary also goes to
  stderr, in text (not with -s).

Exit status (the first that applies):
  2    usage or input error: message on stderr (an empty list is one; so is
       a comparison whose runs read lists of different lengths)
  4    the results could not all be written (a full disk, /dev/full): the
       whole lines written are kept (with -o, in FILE.partial); or a
       --report could not be written
  130  interrupted (SIGINT); 143 terminated (SIGTERM): URLs in flight end
       as canceled, the summary says how many were not started
  3    a gate not met (--gate, --min-speedup), even if some URL failed: a
       line on stderr for each gate missed
  1    some URL failed (an error_kind, or a status of 400 or more)
  0    every URL ok

Example:
  $ fetch https://example.org/ https://go.dev/
  $ fetch -c 256 -i urls.txt --json | jq -r 'select(.ok == false) | .url'
  $ grep -v '^#' urls.txt | fetch --keep-order --json -o results.ndjson
  $ fetch -w '{status}\t{timings_ms.total}\t{url}\n' -i urls.txt
  $ fetch --compare --repeat 5 --min-speedup 1.5 -q -i urls.txt
  $ fetch --compare --repeat 5 -q -i urls.txt --gate 'speedup.lo>=1.5' --gate 'p99<1s' --gate failed=0
  $ fetch --repeat 5 -q --json -i urls.txt --baseline last.ndjson --gate 'regression<=10%' --report report.html > run.ndjson
  $ fetch report run.ndjson -o report.md
  $ fetch --rate 200 -c 50 --histogram -i urls.txt
  $ fetch --compare=sync,threads,async -i urls.txt
  $ fetch --save out --sha256 https://go.dev/dl/
  $ fetch demo
`

// writeHelp writes the help of fetch: the flags in groups.
func writeHelp(w io.Writer, fs *pflag.FlagSet) {
	var b strings.Builder
	b.WriteString(helpHead)
	width := flagColumn(fs)
	for _, g := range flagGroups {
		group := pflag.NewFlagSet(g.title, pflag.ContinueOnError)
		for _, name := range g.names {
			fl := fs.Lookup(name)
			if fl == nil {
				panic("fetch: flag group lists unknown flag " + name)
			}
			group.AddFlag(fl)
		}
		group.SortFlags = false
		fmt.Fprintf(&b, "\n%s:\n%s", g.title, flagUsages(group, width))
	}
	b.WriteString(helpTail)
	io.WriteString(w, b.String())
}

// flagColumn is the width of the widest flag name of fs.
func flagColumn(fs *pflag.FlagSet) int {
	w := 0
	fs.VisitAll(func(fl *pflag.Flag) {
		name, _ := pflag.UnquoteUsage(fl)
		n := len("  -x, --") + len(fl.Name) + 1 + len(name)
		if fl.NoOptDefVal != "" && fl.Value.Type() != "bool" {
			n += 2
		}
		w = max(w, n)
	})
	return w
}

// helpWidth is the width --help wraps its text to.
const helpWidth = 80

// flagUsages formats fs like pflag's FlagUsages, without its
// "[=true|false]" noise, with defaults only where they say something, and
// the text wrapped to helpWidth.
func flagUsages(fs *pflag.FlagSet, width int) string {
	type row struct{ left, text string }
	var rows []row
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden {
			return
		}
		left := "      --" + fl.Name
		if fl.Shorthand != "" {
			left = "  -" + fl.Shorthand + ", --" + fl.Name
		}
		name, usage := pflag.UnquoteUsage(fl)
		switch {
		case fl.Value.Type() == "bool":
		case fl.NoOptDefVal != "":
			left += "[=" + name + "]"
		case name != "":
			left += " " + name
		}
		text := strings.ReplaceAll(usage, "\n", " ")
		if def := fl.DefValue; fl.Value.Type() != "bool" && fl.NoOptDefVal == "" && def != "" && def != "0" && def != "[]" {
			text += " (default " + def + ")"
		}
		rows = append(rows, row{left, text})
		width = max(width, len(left))
	})
	var b strings.Builder
	indent := width + 3
	for _, r := range rows {
		b.WriteString(r.left)
		col := len(r.left)
		for _, line := range wrapWords(r.text, max(helpWidth-indent, 30)) {
			b.WriteString(strings.Repeat(" ", indent-col))
			b.WriteString(line)
			b.WriteByte('\n')
			col = 0
		}
	}
	return b.String()
}

// wrapWords splits text into lines of at most width bytes, at spaces.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
