#!/usr/bin/env bash
# bench-frontier.sh: a crawl shared by 4 worker processes on a Redis
# frontier against one process on the memory frontier, same total
# concurrency, on the generated site of the crawl benchmark.
#
#   scripts/bench-frontier.sh [PAGES] [CONC]     (defaults 20000 and 64)
#   REPS=5 scripts/bench-frontier.sh              (repetitions, default 3)
#
# The site: PAGES pages from scripts/bench-crawl/site, served by nginx on
# loopback (workload 1), and by the site program with 50 ms per response
# (workload 2, CONC×4 at once). Each workload runs:
#   memory: one fetch --crawl, -c CONC, --per-host CONC;
#   redis:  4 fetch --crawl processes, -c CONC/4 each, --per-host CONC
#           (a crawl-wide bound with Redis), one redis-server (no
#           persistence) on loopback started by this script.
# Each workload runs REPS times each way, alternating which goes first.
# Reported: wall time, pages/s, the ratio of the medians redis/memory (the
# goal is >= 0.8), the Redis round trips per page (each worker prints its own
# count on stderr), URLs requested twice, and Redis memory per URL at the
# end (used_memory before and after, over the URLs of the crawl).
#
# PROFILE=DIR writes a CPU profile of each fetch process under DIR
# (FETCH_CPUPROFILE), named after the workload and the worker.
#
# Needs: go, nginx (nginx-light), redis-server, python3. Loopback only.
set -euo pipefail

pages=${1:-20000}
conc=${2:-64}
workers=4
reps=${REPS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/bench-frontier.XXXXXX)
pids=()
workers_alive=()
cleanup() {
	# Workers first, at once: killed after redis-server, they would retry
	# releasing their claims for minutes.
	for p in "${workers_alive[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=lib/site-nginx.sh
. "$(dirname "$0")/lib/site-nginx.sh"
redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)

echo "building fetch and the site program..." >&2
(cd "$root" && go build -o "$tmp/fetch" ./cmd/fetch && go build -o "$tmp/site" ./scripts/bench-crawl/site)
echo "generating $pages pages..." >&2
"$tmp/site" -dir "$tmp/www" -pages "$pages"

rport=$(freeport)
mkdir -p "$tmp/redis"
"$redis_bin" --port "$rport" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --appendonly no --logfile "$tmp/redis/log" &
pids+=($!)
waitport "$rport"
rcli() { python3 - "$rport" "$@" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
args = sys.argv[2:]
s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
data = b""
while not data.endswith(b"\r\n") or data.startswith(b"$") and data.count(b"\r\n") < 2:
    data += s.recv(1 << 20)
print(data.decode(errors="replace"))
EOF
}
used_memory() { rcli INFO memory | grep -o 'used_memory:[0-9]*' | cut -d: -f2; }
redis_cpu() { rcli INFO cpu | grep -o 'used_cpu_\(sys\|user\):[0-9.]*' | cut -d: -f2 | paste -sd+ | bc -l; }

port=$(freeport)
start_site_nginx "$tmp" "$port"
pids+=($nginx_pid)

now() { date +%s.%N; }
# profile NAME prints the profile file for NAME, or nothing without PROFILE.
profile() { if [ -n "${PROFILE:-}" ]; then mkdir -p "$PROFILE" && echo "$PROFILE/$1.pprof"; fi; }

# median prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# memory_run NAME URL LOG REP: one crawl with the memory frontier; prints
# its line and sets wall and got.
memory_run() {
	local name=$1 url=$2 log=$3 rep=$4 t0 t1
	: >"$log"
	t0=$(now)
	FETCH_CPUPROFILE=$(profile "$name-memory-$rep") /usr/bin/time -f '%U %S' -o "$tmp/mem.time" "$tmp/fetch" --crawl --depth 100000 -c "$conc" --per-host "$conc" -q --json --progress never "$url" >"$tmp/mem.out" 2>"$tmp/mem.err" || true
	t1=$(now)
	sleep 0.3
	wall=$(echo "$t1 - $t0" | bc -l)
	got=$(grep -o '"pages":[0-9]*' "$tmp/mem.out" | cut -d: -f2)
	printf '%-10s memory   1 worker  -c %-3d cpu %6.2fs wall %7.2fs  pages %6s  %8.0f pages/s  requests %6d  twice %d\n' "$name" "$conc" "$(awk '{s+=$1+$2} END {print s}' "$tmp/mem.time")" "$wall" "$got" "$(echo "$got / $wall" | bc -l)" "$(grep -c . "$log")" "$(grep -v robots.txt "$log" | sort | uniq -d | wc -l)"
}

# redis_run NAME URL LOG REP: one crawl by 4 workers on a fresh crawl id;
# prints its lines and sets wall, got and trips.
redis_run() {
	local name=$1 url=$2 log=$3 rep=$4 t0 t1 i
	: >"$log"
	local id="bench-$name-$$-$rep" m0 m1 c0 c1
	m0=$(used_memory)
	c0=$(redis_cpu)
	local wp=()
	t0=$(now)
	for i in $(seq "$workers"); do
		FETCH_CPUPROFILE=$(profile "$name-redis-$rep-$i") /usr/bin/time -f '%U %S' -o "$tmp/w$i.time" "$tmp/fetch" --crawl --depth 100000 -c $((conc / workers)) --per-host "$conc" -q --json --progress never \
			--frontier "redis://127.0.0.1:$rport/0" --crawl-id "$id" "$url" >"$tmp/w$i.out" 2>"$tmp/w$i.err" &
		wp+=($!)
		workers_alive+=($!) # killed first by cleanup if the script is interrupted
	done
	for p in "${wp[@]}"; do wait "$p" || true; done
	t1=$(now)
	sleep 0.3
	m1=$(used_memory)
	c1=$(redis_cpu)
	wall=$(echo "$t1 - $t0" | bc -l)
	got=$(cat "$tmp"/w*.out | grep -o '"pages":[0-9]*' | cut -d: -f2 | paste -sd+ | bc)
	trips=$(cat "$tmp"/w*.err | grep -o '[0-9]* round trips' | cut -d' ' -f1 | paste -sd+ | bc)
	printf '%-10s redis    %d workers -c %-3d cpu %6.2fs wall %7.2fs  pages %6s  %8.0f pages/s  requests %6d  twice %d\n' "$name" "$workers" $((conc / workers)) "$(cat "$tmp"/w*.time | awk '{s+=$1+$2} END {print s}')" "$wall" "$got" "$(echo "$got / $wall" | bc -l)" "$(grep -c . "$log")" "$(grep -v robots.txt "$log" | sort | uniq -d | wc -l)"
	printf '%-10s   redis-server cpu %.2fs, round trips %d (%.2f a page), Redis memory %.0f bytes a URL (results included)\n' "$name" "$(echo "$c1 - $c0" | bc -l)" "$trips" "$(echo "$trips / $got" | bc -l)" "$(echo "($m1 - $m0) / $got" | bc -l)"
	local k
	for k in seen done results; do
		printf '%-10s   MEMORY USAGE of the %-7s key: %.1f bytes a URL\n' "$name" "$k" "$(echo "$(rcli MEMORY USAGE "greenfetch:{$id}:$k" SAMPLES 0 | tr -dc 0-9) / $got" | bc -l)"
	done
	grep -h "retrying\|failed\|error" "$tmp"/w*.err | head -5 >&2 || true
}

# bench NAME URL LOG: REPS memory runs and REPS redis runs, alternating
# which goes first; prints each run, the medians and their ratio.
bench() {
	local name=$1 url=$2 log=$3 rep mem_walls=() red_walls=() mem_rates=() red_rates=()
	for rep in $(seq "$reps"); do
		if [ $((rep % 2)) = 1 ]; then
			memory_run "$name" "$url" "$log" "$rep"
			mem_walls+=("$wall") mem_rates+=("$(echo "$got / $wall" | bc -l)")
			redis_run "$name" "$url" "$log" "$rep"
			red_walls+=("$wall") red_rates+=("$(echo "$got / $wall" | bc -l)")
		else
			redis_run "$name" "$url" "$log" "$rep"
			red_walls+=("$wall") red_rates+=("$(echo "$got / $wall" | bc -l)")
			memory_run "$name" "$url" "$log" "$rep"
			mem_walls+=("$wall") mem_rates+=("$(echo "$got / $wall" | bc -l)")
		fi
	done
	local mw rw mr rr
	mw=$(median "${mem_walls[@]}")
	rw=$(median "${red_walls[@]}")
	mr=$(median "${mem_rates[@]}")
	rr=$(median "${red_rates[@]}")
	printf '%-10s median of %d: memory %.2fs %.0f pages/s, redis %.2fs %.0f pages/s; ratio redis/memory pages/s: %.3f (goal >= 0.8)\n' "$name" "$reps" "$mw" "$mr" "$rw" "$rr" \
		"$(echo "$rr / $mr" | bc -l)"
}

echo "# workload 1: nginx, no delay, total concurrency $conc, $pages pages"
bench nginx "http://127.0.0.1:$port/" "$tmp/access.log"

kill "$nginx_pid" 2>/dev/null || true
port2=$(freeport)
"$tmp/site" -serve "127.0.0.1:$port2" -delay 50ms -pages "$pages" >>"$tmp/access2.log" &
pids+=($!)
waitport "$port2"
conc=$((conc * 4))
echo "# workload 2: 50 ms per response, total concurrency $conc, $pages pages"
bench delay50ms "http://127.0.0.1:$port2/" "$tmp/access2.log"
