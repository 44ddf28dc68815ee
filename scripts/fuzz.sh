#!/usr/bin/env bash
# Runs every fuzz target for a while (FUZZTIME, default 2m each), for use
# before a change lands. Unlike the short run in scripts/test.sh, a finding
# fails this script: Go leaves the input in the package's
# testdata/fuzz/<Target>/, where `go test -run <Target>` replays it.
#   scripts/fuzz.sh                 # every target, 2 minutes each
#   FUZZTIME=10m scripts/fuzz.sh FuzzParseAnswer
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-2m}
only=${1:-}
status=0
while IFS=: read -r file name; do
	[ -n "$file" ] || continue
	if [ -n "$only" ] && [ "$name" != "$only" ]; then continue; fi
	pkg=./$(dirname "$file")
	echo "== $name ($pkg, $fuzztime)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" </dev/null; then
		echo "fuzz.sh: $name found a failing input (see $pkg/testdata/fuzz/$name/)" >&2
		status=1
	fi
done < <(git ls-files --cached --others --exclude-standard -- '*_test.go' |
	xargs -r -d '\n' grep -HoE '^func Fuzz[A-Za-z0-9_]*\(' |
	sed -E 's/:func (Fuzz[A-Za-z0-9_]*)\($/:\1/' | sort -u)
exit $status
