#!/usr/bin/env bash
# Cross-compiles the module for every GOOS/GOARCH its build tags admit, so
# that a platform that builds is at least compiled in CI (issue 9).
#
# scheduler/ builds on every Unix (//go:build unix): epoll on linux and
# android, kqueue on darwin, ios and the BSDs, a stub poller elsewhere
# (poll_stub.go: NewHub fails with errors.ErrUnsupported). Outside Unix it
# must fail to build, naming unsupported.go's identifier; that is checked
# on one such platform.
#
# Each admitted platform gets `go build ./...`; a few that exercise
# distinct code (kqueue on 64 and 32 bits, the getg fallback) also get
# `go vet ./scheduler/`. Warm (build cache filled), the whole run takes
# well under a minute; the first run compiles the standard library once
# per platform.
set -euo pipefail
cd "$(dirname "$0")/.."

# The GOOS values that satisfy the "unix" build constraint (go help
# buildconstraint), less hurd, which has no Go port.
unix_goos=" aix android darwin dragonfly freebsd illumos ios linux netbsd openbsd solaris "

# Some platforms (android but arm64, ios) link executables only through
# cgo, which a cross build has not: there the library packages are built
# and the commands are not.
mapfile -t libs < <(go list -f '{{if ne .Name "main"}}{{.ImportPath}}{{end}}' ./... | grep .)

export CGO_ENABLED=0
n=0
while IFS=/ read -r goos goarch; do
	case $unix_goos in *" $goos "*) ;; *) continue ;; esac
	if out=$(GOOS=$goos GOARCH=$goarch go build ./... 2>&1); then
		printf -- '-- %s/%s\n' "$goos" "$goarch"
	elif [[ $out == *"requires external (cgo) linking"* ]]; then
		printf -- '-- %s/%s (libraries only: linking needs cgo)\n' "$goos" "$goarch"
		GOOS=$goos GOARCH=$goarch go build "${libs[@]}"
	else
		printf -- '-- %s/%s FAILED\n%s\n' "$goos" "$goarch" "$out" >&2
		exit 1
	fi
	n=$((n + 1))
done < <(go tool dist list)
echo "built $n platforms"

for p in darwin/arm64 freebsd/386 linux/386; do
	printf -- '-- vet %s ./scheduler/\n' "$p"
	GOOS=${p%/*} GOARCH=${p#*/} go vet ./scheduler/
done

# A platform the tags reject fails, and says why.
out=$(GOOS=windows GOARCH=amd64 go build ./scheduler/ 2>&1) && {
	echo "crossbuild: scheduler built for windows/amd64; want the unsupported.go failure" >&2
	exit 1
}
case $out in
*scheduler_needs_unix_with_epoll_or_kqueue*) echo "-- windows/amd64 rejected as intended" ;;
*)
	echo "crossbuild: windows/amd64 failed without naming scheduler_needs_unix_with_epoll_or_kqueue:" >&2
	echo "$out" >&2
	exit 1
	;;
esac
