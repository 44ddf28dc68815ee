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
# Every admitted platform of `go tool dist list` is built: under a minute
# with a warm build cache, about 20 minutes on a cold one (the standard
# library is compiled once per platform). CROSSBUILD=quick builds one
# platform for each distinct set of files the tags select (poller: epoll,
# kqueue, stub; goroutine identity: assembly on amd64/arm64, the fallback
# elsewhere; 32 and 64 bits; solaris's own socket options), for a quick
# check while developing. A few platforms that exercise distinct code also
# get `go vet ./scheduler/`.
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
done < <(if [ "${CROSSBUILD:-}" != quick ]; then go tool dist list; else
	printf '%s\n' linux/386 linux/arm linux/arm64 linux/riscv64 darwin/amd64 darwin/arm64 \
		freebsd/386 freebsd/amd64 openbsd/arm64 netbsd/amd64 dragonfly/amd64 solaris/amd64 aix/ppc64
fi)
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
