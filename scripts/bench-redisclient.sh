#!/usr/bin/env bash
# bench-redisclient.sh: go-redis v9 against rueidis on the Redis
# frontier's workload (EVALSHA of crawl's Complete script, about 200
# ARGV), one goroutine and 4 at once: calls/s, client CPU, allocations
# and redis-server CPU per call, medians over alternating repetitions,
# and the ratios. Issue 15 asks to choose the client by measurement.
#
#   scripts/bench-redisclient.sh [-dur 1s] [-reps 5] [-goroutines 1,4] [-addr host:port]
#
# The benchmark is a Go module of its own (scripts/bench-redisclient), so
# rueidis is no dependency of greenfetch. Without -addr it starts a
# redis-server (no persistence) on a free port of 127.0.0.1 in a
# temporary directory. About 6 × reps × dur seconds; prints uptime's
# load before and after.
#
# Needs: go, redis-server. Loopback only.
set -euo pipefail

cd "$(dirname "$0")/bench-redisclient"
go build -o "${TMPDIR:-/tmp}/bench-redisclient.$$" .
trap 'rm -f "${TMPDIR:-/tmp}/bench-redisclient.$$"' EXIT
echo "uptime: $(uptime)"
"${TMPDIR:-/tmp}/bench-redisclient.$$" "$@"
echo "uptime: $(uptime)"
