#!/usr/bin/env bash
# The one test command of greenfetch (see DESIGN.md, "Tests and real parts").
#
# Works on a fresh Debian machine that has only Go, as root or through sudo,
# with CI=true and no standard input. Steps:
#   1. install the real servers the tests start (nginx, dnsmasq, unbound,
#      tinyproxy, microsocks, h2o, redis-server, apache2) with apt-get when their binaries are
#      missing (no system service is left running: the tests start their own);
#   2. gofmt (fails listing unformatted files), go vet, staticcheck;
#   3. a cross-compile of every platform the build tags admit
#      (scripts/crossbuild.sh);
#   4. a short run of every fuzz target found in *_test.go files (a new
#      finding is saved and reported; the checked-in corpus is replayed by
#      go test and decides);
#   5. the scheduler's tests with its getg fallback forced
#      (-tags greenfetch_nogetg), so that path runs in CI;
#   6. go test -race over every package, whose summary ends the output.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
fuzztime=${FUZZTIME:-10s}
staticcheck_version=v0.8.2

section() { printf '\n== %s == (at %ds)\n' "$*" "$SECONDS"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		echo "test.sh: need root (or sudo) to run: $*" >&2
		return 1
	fi
}

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

# pids_of NAME prints the pids of running processes whose executable is NAME
# (matched on /proc/PID/comm, so nothing else is ever matched).
pids_of() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
	done
	return 0
}

# The real servers the tests start (binary, then the Debian packages that
# provide it, best first). Each is started by the tests themselves on a
# loopback port with a temp dir; none is left running as a service.
servers=(
	"nginx nginx-light nginx"
	"dnsmasq dnsmasq-base dnsmasq"
	"unbound unbound"
	"tinyproxy tinyproxy-bin tinyproxy"
	"microsocks microsocks"
	"h2o h2o"
	"redis-server redis-server"
	"apache2 apache2"
	"ip iproute2"
	"chromium chromium" # not a server: the browser internal/report's tests open the HTML report in
)

# install_packages installs the Debian packages the tests need. Debian's
# maintainer scripts would start some of them (nginx on port 80, dnsmasq and
# unbound on port 53, h2o) as services; a policy-rc.d that answers 101 forbids
# that for the duration, and any daemon started all the same is stopped
# afterwards.
install_packages() {
	local missing=() entry bin
	for entry in "${servers[@]}"; do
		read -r bin _ <<<"$entry"
		have "$bin" || missing+=("$entry")
	done
	[ ${#missing[@]} -eq 0 ] && return 0

	local bins=()
	for entry in "${missing[@]}"; do
		read -r bin _ <<<"$entry"
		bins+=("$bin")
	done
	section "install ${bins[*]}"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "test.sh: ${bins[*]} missing and apt-get not found; install them by hand" >&2
		return 1
	fi
	declare -A before
	for bin in "${bins[@]}"; do before[$bin]=" $(pids_of "$bin" | tr '\n' ' ') "; done

	local policy=/usr/sbin/policy-rc.d created_policy=
	if [ ! -e "$policy" ]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
		created_policy=1
	fi
	# shellcheck disable=SC2317 # called through trap
	cleanup_policy() { [ -n "$created_policy" ] && as_root rm -f "$policy"; created_policy=; }
	trap cleanup_policy EXIT

	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null
	local pkgs=() alts
	for entry in "${missing[@]}"; do
		read -r bin alts <<<"$entry"
		# shellcheck disable=SC2086 # alts is a list of names
		pkgs+=("$(pick_package $alts)")
	done
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o DPkg::Lock::Timeout=300 --no-install-recommends "${pkgs[@]}" </dev/null
	cleanup_policy
	trap - EXIT

	# Stop any daemon the install started despite policy-rc.d.
	local pid
	for bin in "${bins[@]}"; do
		for pid in $(pids_of "$bin"); do
			case "${before[$bin]}" in *" $pid "*) continue ;; esac
			echo "stopping $bin (pid $pid) started by the package install"
			as_root kill "$pid" 2>/dev/null || true
		done
		if ! have "$bin"; then
			echo "test.sh: $bin still missing after apt-get install" >&2
			return 1
		fi
	done
}

# pick_package prints the first of its arguments that apt knows a candidate for.
pick_package() {
	local p info
	for p in "$@"; do
		# No "| grep -q" here: with pipefail, apt-cache's SIGPIPE would fail it.
		info=$(apt-cache policy "$p" 2>/dev/null || true)
		if [[ $info == *"Candidate: "[0-9]* ]]; then
			echo "$p"
			return
		fi
	done
	echo "${@: -1}"
}

# install_warcio installs webrecorder's warcio.js (npm "warcio", the version
# warc/warcio_test.go names), the independent reader that the warc package's
# tests read their WARC files back with, into a directory under the temp dir
# that later runs (and go test itself) reuse, with npm's cache beside it, and
# exports GREENFETCH_WARCIO_DIR for the tests. Node and npm come from
# Debian's packages when missing; warcio from the npm registry, nothing else.
install_warcio() {
	local version=2.4.11 tmp dir="${TMPDIR:-/tmp}/greenfetch-warcio-2.4.11"
	if [ ! -f "$dir/node_modules/warcio/package.json" ]; then
		if ! have npm || ! have node; then
			section "install nodejs npm"
			as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=300 </dev/null
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				-o DPkg::Lock::Timeout=300 --no-install-recommends nodejs npm </dev/null
		fi
		section "install warcio $version (npm)"
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/greenfetch-warcio-install.XXXXXX")
		npm install --prefix "$tmp" --no-audit --no-fund --cache "${TMPDIR:-/tmp}/greenfetch-npm-cache" \
			"warcio@$version" </dev/null
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # a concurrent run installed it first
	fi
	export GREENFETCH_WARCIO_DIR="$dir"
}

# go_files prints the repository's .go files, tracked and untracked (less
# those .gitignore names), that exist; outside a git work tree, all of them.
go_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- '*.go' |
			while IFS= read -r f; do if [ -f "$f" ]; then printf '%s\n' "$f"; fi; done
	else
		find . -name '*.go' -not -path './.git/*' -type f | sed 's|^\./||' | sort
	fi
}

install_packages
install_warcio

# The tests find the servers on PATH; Debian puts them in /usr/sbin,
# which a non-root PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin" ;; esac

section gofmt
mapfile -t gofiles < <(go_files)
if [ ${#gofiles[@]} -gt 0 ]; then
	unformatted=$(gofmt -l "${gofiles[@]}")
	if [ -n "$unformatted" ]; then
		echo "gofmt: these files are not formatted (run gofmt -w on them):" >&2
		echo "$unformatted" >&2
		exit 1
	fi
fi
echo "ok (${#gofiles[@]} files)"

section "go vet"
go vet ./...
echo ok

section "staticcheck $staticcheck_version"
go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./...
echo ok

section "cross-compile"
scripts/crossbuild.sh
echo ok

section "fuzz ($fuzztime each; corpus replayed by go test below)"
# Every func FuzzXxx(f *testing.F) in a _test.go file, found afresh each run.
# The checked-in corpus (testdata/fuzz/FuzzXxx/*) and the f.Add seeds run in
# `go test` below on every run: that part is deterministic and decides the
# exit status. This short exploration may find something new: the input is
# moved out of testdata into $findings, printed with the command that replays
# it, and reported at the end, without failing the run (scripts/fuzz.sh runs
# the fuzzers for minutes and does fail on a finding, for use before landing).
findings=${FUZZ_FINDINGS_DIR:-fuzz-findings}
nfuzz=0 nfound=0
while IFS=: read -r file name; do
	[ -n "$file" ] || continue
	pkgdir=$(dirname "$file")
	echo "-- $name (./$pkgdir)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "./$pkgdir" </dev/null; then
		mkdir -p "$findings/$pkgdir/$name"
		for f in $(git ls-files --others --exclude-standard -- "$pkgdir/testdata/fuzz/$name"); do
			echo "new fuzz finding: $f (saved as $findings/$pkgdir/$name/$(basename "$f"));"
			echo "  replay: cp $findings/$pkgdir/$name/$(basename "$f") $pkgdir/testdata/fuzz/$name/ && go test -run '^$name\$' ./$pkgdir"
			sed 's/^/    /' "$f"
			mv "$f" "$findings/$pkgdir/$name/"
			nfound=$((nfound + 1))
		done
		if ! go test -count=1 -run "^${name}\$" "./$pkgdir" </dev/null; then
			echo "test.sh: $name fails on its checked-in corpus" >&2
			exit 1
		fi
	fi
	nfuzz=$((nfuzz + 1))
done < <(go_files | grep '_test\.go$' |
	xargs -r -d '\n' grep -HoE '^func Fuzz[A-Za-z0-9_]*\(' |
	sed -E 's/:func (Fuzz[A-Za-z0-9_]*)\($/:\1/' | sort -u)
echo "ran $nfuzz fuzz targets"
if [ "$nfound" -gt 0 ]; then
	echo "NOTE: $nfound new fuzz finding(s) saved under $findings/ (not failing this run):"
	echo "      copy each into its package's testdata/fuzz/<Target>/ and fix; go test -run <Target> replays it"
fi

section "scheduler with the getg fallback (-tags greenfetch_nogetg)"
go test -tags greenfetch_nogetg -count=1 ./scheduler/

section "go test -race"
exec go test -race -count=1 -timeout 20m ./...
