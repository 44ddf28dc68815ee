#!/usr/bin/env bash
# bench-crawl.sh: greenfetch's crawler against colly v2 on a generated site.
#
#   scripts/bench-crawl.sh [PAGES]        (default 20000)
#
# The site: PAGES HTML pages of about 8 KiB, each linking to 10 others (a
# tree from "/" so that every page is reachable, plus 5 random links),
# built by scripts/bench-crawl/site. Both crawlers start at "/" and crawl
# the whole site, one host allowed, N requests at once.
#
# Workloads, each run by greenfetch and then colly in the same run:
#   1. nginx on loopback serving the files, no delay, N=64;
#   2. every response delayed 50 ms, N=256. nginx cannot delay static
#      files, so the site program serves it from memory (Go net/http,
#      time.Sleep per request): both crawlers meet the same server.
#
# Reported per crawler: wall time, CPU time (user+sys), peak RSS (from
# /usr/bin/time), pages fetched, requests the server saw, and URLs the
# server saw more than once (from its access log). Ratios greenfetch/colly
# at the end. colly (github.com/gocolly/colly/v2, pinned in
# scripts/bench-crawl/colly/go.mod) is built from its own module and is
# never a dependency of greenfetch.
#
# Needs: go, nginx (nginx-light), /usr/bin/time (package time), python3
# (to pick free ports). Runs on loopback only.
set -euo pipefail

pages=${1:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/bench-crawl.XXXXXX)
nginx_pid=""
site_pid=""
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
	[ -n "$site_pid" ] && kill "$site_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=lib/site-nginx.sh
. "$(dirname "$0")/lib/site-nginx.sh"

echo "building fetch, the site program and colly-crawl..." >&2
(cd "$root" && go build -o "$tmp/fetch" ./cmd/fetch && go build -o "$tmp/site" ./scripts/bench-crawl/site)
(cd "$root/scripts/bench-crawl/colly" && go build -o "$tmp/colly-crawl" .)
echo "generating $pages pages..." >&2
"$tmp/site" -dir "$tmp/www" -pages "$pages"

# --- nginx, workload 1 ---
port=$(freeport)
start_site_nginx "$tmp" "$port"

# run NAME LOG CMD...: runs CMD under /usr/bin/time with LOG emptied first,
# and prints one result line; sets the globals wall cpu rss.
declare -A WALL CPU RSS
run() {
	local name=$1 log=$2
	shift 2
	: >"$log"
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || {
		echo "$name failed:" >&2
		tail -5 "$tmp/err" >&2
	}
	sleep 0.3 # the server logs a request after its response
	read -r w u s m <"$tmp/time"
	local cpu reqs dups got
	cpu=$(echo "$u + $s" | bc)
	reqs=$(grep -c . "$log" || true)
	dups=$(sort "$log" | uniq -d | wc -l)
	got=$(grep -o '"pages":[0-9]*' "$tmp/out" | cut -d: -f2 || true)
	[ -z "$got" ] && got=$(grep -o 'pages=[0-9]*' "$tmp/out" | cut -d= -f2 || true)
	printf '%-26s wall %7.2fs  cpu %7.2fs  peak RSS %6.1f MiB  pages %6s  requests %6s  URLs requested twice or more %5s\n' \
		"$name" "$w" "$cpu" "$(echo "$m / 1024" | bc -l)" "${got:-?}" "$reqs" "$dups"
	WALL[$name]=$w CPU[$name]=$cpu RSS[$name]=$m
}

ratio() { echo "scale=3; $1 / $2" | bc -l; }

echo "# workload 1: nginx, no delay, c=64, $pages pages"
run "greenfetch c=64" "$tmp/access.log" "$tmp/fetch" --crawl --depth 100000 -c 64 --per-host 64 -q --json --progress never "http://127.0.0.1:$port/"
run "colly c=64" "$tmp/access.log" "$tmp/colly-crawl" -c 64 -url "http://127.0.0.1:$port/"
echo "ratios greenfetch/colly: wall $(ratio "${WALL[greenfetch c=64]}" "${WALL[colly c=64]}"), cpu $(ratio "${CPU[greenfetch c=64]}" "${CPU[colly c=64]}")"

# --- the delaying server, workload 2 ---
kill "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=""
port2=$(freeport)
"$tmp/site" -serve "127.0.0.1:$port2" -delay 50ms -pages "$pages" >>"$tmp/access2.log" &
site_pid=$!
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1',$port2)).close()" 2>/dev/null && break
	sleep 0.1
done
echo "# workload 2: 50 ms per response, c=256, $pages pages"
run "greenfetch c=256 50ms" "$tmp/access2.log" "$tmp/fetch" --crawl --depth 100000 -c 256 --per-host 256 -q --json --progress never "http://127.0.0.1:$port2/"
run "colly c=256 50ms" "$tmp/access2.log" "$tmp/colly-crawl" -c 256 -url "http://127.0.0.1:$port2/"
echo "ratios greenfetch/colly: wall $(ratio "${WALL[greenfetch c=256 50ms]}" "${WALL[colly c=256 50ms]}"), cpu $(ratio "${CPU[greenfetch c=256 50ms]}" "${CPU[colly c=256 50ms]}")"
