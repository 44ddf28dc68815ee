#!/bin/sh
# bench-h2.sh: HTTP/2 throughput of greenfetch against Go's net/http, in the
# same run: 5,000 URLs of 4 KiB from nginx over HTTPS with h2, concurrency
# 64 (fetcher's BenchmarkH2VsNetHTTP). Each of COUNT runs fetches the list
# RUNS times with each client in turn (greenfetch over h2, net/http over
# h2, greenfetch over HTTP/1.1) and prints URLs/s, client CPU per URL,
# connections per run, and the ratios of greenfetch's h2 to net/http's
# (goal: >= 1.3x URLs/s at <= 0.8x CPU per URL, at most 2 connections).
# Run from the repository root:
#   scripts/bench-h2.sh                 # COUNT=5 RUNS=3
#   COUNT=3 PROFILE=1 scripts/bench-h2.sh   # also a CPU profile (cpu.h2.prof)
set -eu
COUNT=${COUNT:-5}
RUNS=${RUNS:-3}
prof=""
if [ "${PROFILE:-}" ]; then prof="-cpuprofile cpu.h2.prof"; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
go test -run '^$' -bench '^BenchmarkH2VsNetHTTP$' -benchtime "${RUNS}x" -count "$COUNT" $prof ./fetcher/ | tee "$out"
awk '
/^BenchmarkH2VsNetHTTP/ {
	for (i = 3; i < NF; i += 2) { v[$(i+1)] = v[$(i+1)] " " $i }
	n++
}
function median(s,   a, k, m, t, i, j) {
	m = split(s, a, " ")
	for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j+1] = a[j]; a[j+1] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	if (n == 0) { print "no benchmark output"; exit 1 }
	printf "\nmedians of %d runs:\n", n
	printf "  greenfetch h2:   %8.0f URLs/s  %6.1f µs CPU/URL  %4.0f connections\n", median(v["h2-urls/s"]), median(v["h2-cpu-µs/url"]), median(v["h2-conns/run"])
	printf "  net/http h2:     %8.0f URLs/s  %6.1f µs CPU/URL  %4.0f connections\n", median(v["nethttp-urls/s"]), median(v["nethttp-cpu-µs/url"]), median(v["nethttp-conns/run"])
	printf "  greenfetch h1.1: %8.0f URLs/s  %6.1f µs CPU/URL  %4.0f connections\n", median(v["h1-urls/s"]), median(v["h1-cpu-µs/url"]), median(v["h1-conns/run"])
	r = median(v["urls/s-ratio-vs-nethttp"]); c = median(v["cpu-ratio-vs-nethttp"])
	printf "  h2 vs net/http:  %.2fx URLs/s (goal >= 1.3), %.2fx CPU/URL (goal <= 0.8)\n", r, c
}' "$out"
