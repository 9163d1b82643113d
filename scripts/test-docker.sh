#!/usr/bin/env bash
# The Docker suites (e2e and integration), one file at a time, TAP on stdout as always. A copy
# of the TAP goes to a temporary file, and when something failed, a digest of the failures
# (each failing test with the first lines of its error) is printed last: a CI log is often
# read from its end, and there the reason is what is wanted, not only the name.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
tap="$(mktemp /tmp/redis-ha-tap.XXXXXX)"
trap 'rm -f "$tap"' EXIT
mapfile -t files < <(find dist/test/e2e dist/test/integration -name '*.test.js' | sort)
node --test --test-concurrency=1 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "${files[@]}"
rc=$?
[ "$rc" = 0 ] || node scripts/failure-digest.mjs "$tap"
exit "$rc"
