#!/usr/bin/env bash
# Scheduler benchmarks for issue 3, with the baselines in the same run:
#   BenchmarkSwitch vs BenchmarkCoroutineRoundTrip (runtime coroutine switch)
#   and BenchmarkChannelRoundTrip (two goroutines over channels);
#   BenchmarkEcho server=hubs vs server=gonet (goroutine per conn on net).
# Usage: scripts/bench-scheduler.sh [count]   (default 6; results in bench-results/)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-6}
out=bench-results
mkdir -p "$out"
benchstat="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

go test -run '^$' -bench 'Switch|RoundTrip|SpawnJoin' -count "$count" ./scheduler/ | tee "$out/switch.txt"
go test -run '^$' -bench 'ParkedSleep' -benchtime 1x -count 3 ./scheduler/ | tee "$out/parked.txt"
go test -run '^$' -bench 'Echo' -benchtime 200000x -count "$count" ./scheduler/ | tee "$out/echo.txt"

echo
echo "== switch, spawn, baselines =="
$benchstat "$out/switch.txt"
echo
echo "== echo: hubs vs goroutine-per-connection on net (same clients) =="
$benchstat -col /server "$out/echo.txt"
