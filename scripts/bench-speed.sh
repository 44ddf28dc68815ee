#!/bin/sh
# bench-speed.sh: the `fetch` command against Go's net/http client
# (scripts/bench-speed/nethttp), command to command, on the same loopback
# server in the same run, alternating which goes first, REPS times; prints
# the median URLs/s, CPU (user+sys) per URL and peak RSS of each, and the
# ratios fetch/nethttp (issue 14). Workloads:
#   http     N_HTTP  x 4 KiB from nginx over HTTP, keep-alive, -c C
#   https    N_HTTPS x 4 KiB from nginx over HTTPS, -c C
#   massive  N_MASSIVE at once (-c N_MASSIVE), each waiting DELAY for 1 KiB,
#            from `fetch serve`
#   latency  N_LATENCY URLs, -c C_LATENCY, each answered after LAT_DELAY
#            with LAT_SIZE, from `fetch serve` (the ideal wall time is
#            N_LATENCY / C_LATENCY rounds of LAT_DELAY: 1.0 s by default)
# Run from the repository root:
#   scripts/bench-speed.sh                       # the issue's counts, 5 reps
#   QUICK=1 scripts/bench-speed.sh               # a smoke run (small counts)
#   WORKLOADS="http" REPS=7 N_HTTP=50000 scripts/bench-speed.sh
#   FETCH_FLAGS="--hubs 1" scripts/bench-speed.sh
#   BENCHFMT=old.txt scripts/bench-speed.sh     # also every run in Go benchmark
#       # format (BenchmarkCmd/WORKLOAD/CLIENT), for benchstat old.txt new.txt
#   BASELINE=/tmp/fetch.old scripts/bench-speed.sh
#       # another binary (taking -c N and the list on stdin) in net/http's
#       # place, such as fetch built from an older commit: a before/after
#   PROFILE=/tmp/prof WORKLOADS=http scripts/bench-speed.sh
#       # also one untimed fetch run per workload with a CPU profile and one
#       # with an allocation profile: /tmp/prof/fetch.http.{cpu,alloc}
# Needs nginx (Debian nginx-light), openssl, curl and GNU time (/usr/bin/time).
set -eu
if [ "${QUICK:-}" = 1 ]; then
	: "${N_HTTP:=5000}" "${N_HTTPS:=2000}" "${N_MASSIVE:=1000}" "${DELAY:=1s}" "${N_LATENCY:=200}" "${REPS:=3}"
fi
N_HTTP=${N_HTTP:-100000}
N_HTTPS=${N_HTTPS:-30000}
N_MASSIVE=${N_MASSIVE:-10000}
DELAY=${DELAY:-3s}
N_LATENCY=${N_LATENCY:-1000}
C_LATENCY=${C_LATENCY:-100}
LAT_DELAY=${LAT_DELAY:-100ms}
LAT_SIZE=${LAT_SIZE:-16KiB}
C=${C:-64}
REPS=${REPS:-5}
WORKLOADS=${WORKLOADS:-"http https massive latency"}
FETCH_FLAGS=${FETCH_FLAGS:-}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

dir=$(mktemp -d)
chmod 755 "$dir" # nginx workers may run as another user
pids=""
fresh=10 fresh_pid= # runlist (below)
cleanup() {
	for p in $pids $fresh_pid; do kill "$p" 2>/dev/null || true; done
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building fetch and nethttp..." >&2
go build -o "$dir/fetch" ./cmd/fetch
go build -o "$dir/nethttp" ./scripts/bench-speed/nethttp
if [ -n "${BASELINE:-}" ]; then
	cp "$BASELINE" "$dir/nethttp" # another client in the baseline's place, such as an older fetch
fi

# A free loopback port, from the kernel.
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000 + $1))
}

start_nginx() {
	mkdir -p "$dir/root" "$dir/ngx"
	head -c 4096 /dev/zero | tr '\0' 'x' >"$dir/root/4k.txt"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
	hport=$(freeport 1)
	tport=$(freeport 2)
	cat >"$dir/nginx.conf" <<CONF
daemon on;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/ngx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $dir/ngx; proxy_temp_path $dir/ngx; fastcgi_temp_path $dir/ngx;
	uwsgi_temp_path $dir/ngx; scgi_temp_path $dir/ngx;
	server {
		listen 127.0.0.1:$hport;
		listen 127.0.0.1:$tport ssl;
		ssl_certificate $dir/cert.pem;
		ssl_certificate_key $dir/key.pem;
		ssl_session_cache shared:S:1m;
		root $dir/root;
	}
}
CONF
	"$NGINX" -c "$dir/nginx.conf" -p "$dir/ngx" -e "$dir/ngx/error.log"
	i=0
	until curl --noproxy "*" -fsS -o /dev/null "http://127.0.0.1:$hport/4k.txt" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 50 ] || { echo "nginx did not start:" >&2; tail -n 5 "$dir/ngx/error.log" >&2; exit 1; }
		sleep 0.1
	done
}

# serve NAME ADDR starts `fetch serve` on ADDR, its URL in $dir/NAME.url,
# sets serve_pid, and waits until it says its URL (or exits, failing).
serve() {
	rm -f "$dir/$1.url"
	"$dir/fetch" serve --addr "$2" >"$dir/$1.url" 2>"$dir/$1.err" &
	serve_pid=$!
	while [ ! -s "$dir/$1.url" ]; do
		if ! kill -0 "$serve_pid" 2>/dev/null; then
			echo "fetch serve on $2 did not start:" >&2
			cat "$dir/$1.err" >&2
			exit 1
		fi
		sleep 0.05
	done
}

start_serve() {
	serve serve 127.0.0.1:0
	pids="$pids $serve_pid"
}

# The massive workload leaves 10,000 connections in TIME_WAIT after each
# run, for a minute: the next run's connects then search a nearly full
# ephemeral port range (28,000 ports here) in the kernel, and whichever
# client runs second pays for the first one's sockets. So each massive
# run gets its own `fetch serve` on an address of its own (127.0.0.11,
# .12, …): a port in TIME_WAIT towards another address is free again.
# runlist LIST sets rl to the list a run reads: LIST itself, or for a
# list naming @SERVE@, a copy naming a fresh server (stopped by
# stop_fresh).
runlist() {
	rl=$1
	if ! grep -q '@SERVE@' "$1"; then
		return
	fi
	fresh=$((fresh % 250 + 1)) # 127.0.0.2 … .251, round and round
	serve fresh "127.0.0.$fresh:0"
	fresh_pid=$serve_pid
	sed "s|@SERVE@|$(cat "$dir/fresh.url")|" "$1" >"$dir/list.fresh"
	rl=$dir/list.fresh
}
stop_fresh() {
	if [ -n "$fresh_pid" ]; then
		kill "$fresh_pid" 2>/dev/null || true
		wait "$fresh_pid" 2>/dev/null || true
		fresh_pid=
	fi
}

# run NAME LIST CONC EXTRA...: one run of client NAME (fetch or nethttp);
# appends "wall user sys maxrss_kb" to $dir/NAME.WORKLOAD.
run() {
	name=$1 list=$2 conc=$3 wl=$4 n=$5
	shift 5
	if [ "$name" = fetch ]; then
		set -- "$dir/fetch" -c "$conc" $FETCH_FLAGS "$@"
	else
		set -- "$dir/nethttp" -c "$conc" "$@"
	fi
	# Wall time from date in nanoseconds: GNU time's %e has 10 ms steps,
	# 1% of the latency workload.
	runlist "$list"
	t0=$(date +%s%N)
	if ! /usr/bin/time -f "%U %S %M" -o "$dir/time" "$@" <"$rl" >"$dir/out" 2>"$dir/err"; then
		echo "$name failed on $wl:" >&2
		tail -n 3 "$dir/out" "$dir/err" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	stop_fresh
	echo "$(((t1 - t0) / 1000)) $(cat "$dir/time")" | awk '{printf "%.6f %s %s %s\n", $1/1e6, $2, $3, $4}' >"$dir/time.run"
	cat "$dir/time.run" >>"$dir/$name.$wl"
	if [ -n "${BENCHFMT:-}" ]; then
		awk -v wl="$wl" -v c="$name" -v n="$n" '{printf "BenchmarkCmd/%s/%s 1 %.0f ns/op %.2f cpu-us/url %.0f urls/s %.1f peak-rss-MiB\n", wl, c, $1*1e9, ($2+$3)*1e6/n, n/$1, $4/1024}' "$dir/time.run" >>"$BENCHFMT"
	fi
}

# median of column COL of FILE
median() {
	awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}

workload() {
	wl=$1 n=$2 conc=$3 list=$4
	shift 4
	: >"$dir/fetch.$wl"
	: >"$dir/nethttp.$wl"
	r=1
	while [ $r -le "$REPS" ]; do
		if [ $((r % 2)) = 1 ]; then order="fetch nethttp"; else order="nethttp fetch"; fi
		for c in $order; do
			run "$c" "$list" "$conc" "$wl" "$n" "$@"
			printf '%s rep %d %s: %s\n' "$wl" "$r" "$c" "$(tail -n 1 "$dir/$c.$wl")" >&2
		done
		r=$((r + 1))
	done
	if [ -n "${PROFILE:-}" ]; then
		mkdir -p "$PROFILE"
		cp "$dir/fetch" "$PROFILE/fetch"
		runlist "$list"
		FETCH_CPUPROFILE="$PROFILE/fetch.$wl.cpu" "$dir/fetch" -c "$conc" $FETCH_FLAGS "$@" <"$rl" >/dev/null
		stop_fresh
		runlist "$list"
		FETCH_MEMPROFILE="$PROFILE/fetch.$wl.alloc" "$dir/fetch" -c "$conc" $FETCH_FLAGS "$@" <"$rl" >/dev/null
		stop_fresh
		echo "profiles: $PROFILE/fetch.$wl.cpu $PROFILE/fetch.$wl.alloc (binary $PROFILE/fetch)" >&2
	fi
	for c in fetch nethttp; do
		# per run: urls/s, CPU µs per URL, peak RSS MiB
		awk -v n="$n" '{printf "%f %f %f %f\n", n/$1, ($2+$3)*1e6/n, $4/1024, $1}' "$dir/$c.$wl" >"$dir/$c.$wl.m"
		eval "${c}_ups=\$(median 1 \"\$dir/\$c.\$wl.m\")"
		eval "${c}_cpu=\$(median 2 \"\$dir/\$c.\$wl.m\")"
		eval "${c}_rss=\$(median 3 \"\$dir/\$c.\$wl.m\")"
		eval "${c}_wall=\$(median 4 \"\$dir/\$c.\$wl.m\")"
	done
	awk -v wl="$wl" -v n="$n" -v c="$conc" -v reps="$REPS" \
		-v fu="$fetch_ups" -v fc="$fetch_cpu" -v fr="$fetch_rss" -v fw="$fetch_wall" \
		-v nu="$nethttp_ups" -v nc="$nethttp_cpu" -v nr="$nethttp_rss" -v nw="$nethttp_wall" 'BEGIN {
		printf "%-8s n=%d c=%d reps=%d (medians)\n", wl, n, c, reps
		printf "  %-8s %9.0f URLs/s %8.1f cpu-us/url %7.1f MiB peak RSS %7.3f s wall\n", "fetch", fu, fc, fr, fw
		printf "  %-8s %9.0f URLs/s %8.1f cpu-us/url %7.1f MiB peak RSS %7.3f s wall\n", "nethttp", nu, nc, nr, nw
		printf "  ratio    %9.2fx URLs/s %7.2fx cpu/url %7.2fx RSS %12.3fx wall\n", fu/nu, fc/nc, fr/nr, fw/nw
		if (wl == "http") printf "  goal (issue 14): >= 1.3x URLs/s, <= 0.7x CPU per URL: %s\n", (fu/nu >= 1.3 && fc/nc <= 0.7) ? "met" : "NOT met"
		if (wl == "https") printf "  goal (issue 14): >= 1.2x URLs/s, <= 0.8x CPU per URL: %s\n", (fu/nu >= 1.2 && fc/nc <= 0.8) ? "met" : "NOT met"
		if (wl == "massive") printf "  goal (issue 14): <= 0.85x wall, <= 0.35x peak RSS: %s\n", (fw/nw <= 0.85 && fr/nr <= 0.35) ? "met" : "NOT met"
		if (wl == "latency") printf "  goal (issue 14): <= 1.01x wall: %s\n", (fw/nw <= 1.01) ? "met" : "NOT met"
	}' | tee -a "$dir/report"
}

echo "load before: $(cat /proc/loadavg 2>/dev/null || uptime)" | tee -a "$dir/report"
for wl in $WORKLOADS; do
	case $wl in
	http | https)
		[ -f "$dir/nginx.pid" ] || start_nginx
		if [ "$wl" = http ]; then n=$N_HTTP base="http://127.0.0.1:$hport"; else n=$N_HTTPS base="https://127.0.0.1:$tport"; fi
		seq "$n" | sed "s|.*|$base/4k.txt|" >"$dir/list.$wl"
		if [ "$wl" = http ]; then
			workload "$wl" "$n" "$C" "$dir/list.$wl"
		else
			workload "$wl" "$n" "$C" "$dir/list.$wl" --cacert "$dir/cert.pem"
		fi
		;;
	massive)
		seq "$N_MASSIVE" | sed "s|.*|@SERVE@/delay/$DELAY/size/1KiB?i=&|" >"$dir/list.$wl"
		workload "$wl" "$N_MASSIVE" "$N_MASSIVE" "$dir/list.$wl"
		;;
	latency)
		[ -s "$dir/serve.url" ] || start_serve
		url=$(cat "$dir/serve.url")
		seq "$N_LATENCY" | sed "s|.*|$url/delay/$LAT_DELAY/size/$LAT_SIZE?i=&|" >"$dir/list.$wl"
		workload "$wl" "$N_LATENCY" "$C_LATENCY" "$dir/list.$wl"
		;;
	*)
		echo "unknown workload $wl" >&2
		exit 2
		;;
	esac
done
echo "load after: $(cat /proc/loadavg 2>/dev/null || uptime)" | tee -a "$dir/report"
