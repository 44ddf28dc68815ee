#!/bin/sh
# bench-fetch-stdin.sh: how fast `fetch` streams a long URL list from a pipe
# against `fetch serve`, and its peak RSS, for lists of several lengths (the
# RSS must stay flat as the list grows). Run from the repository root:
#   scripts/bench-fetch-stdin.sh                  # 100k and 1M URLs at -c 256
#   N_LIST="10000 100000" C=64 scripts/bench-fetch-stdin.sh
set -eu
N_LIST=${N_LIST:-"100000 1000000"}
C=${C:-256}
dir=$(mktemp -d)
go build -o "$dir/fetch" ./cmd/fetch
"$dir/fetch" serve --addr 127.0.0.1:0 >"$dir/url" 2>/dev/null &
spid=$!
trap 'kill $spid 2>/dev/null; rm -rf "$dir"' EXIT
while [ ! -s "$dir/url" ]; do sleep 0.1; done
url=$(cat "$dir/url")
for n in $N_LIST; do
	# The list is generated into the pipe as fetch reads it: never a file.
	seq "$n" | sed "s|.*|$url/size/64?i=&|" |
		/usr/bin/time -f "%e %M" -o "$dir/time" "$dir/fetch" -c "$C" -q >"$dir/out"
	read -r secs kb <"$dir/time"
	awk -v n="$n" -v c="$C" -v s="$secs" -v kb="$kb" \
		'BEGIN { printf "urls=%d c=%d wall=%.1fs urls/s=%.0f peak_rss=%.1fMiB\n", n, c, s, n / s, kb / 1024 }'
	tail -n 1 "$dir/out"
done
