#!/usr/bin/env bash
# The Docker suites (e2e and integration), one file at a time; with LANES=3, in three lanes that
# run at once, each lane one file at a time:
#   lab       the files that build their own engines in network namespaces (lab, swarm);
#   engine-a  the local engine: failover, rolling and switchover (the long scenario runs);
#   engine-b  the local engine: everything else.
# The files of two lanes never share a deployment name or a port range (each file keeps its own;
# see its PORT_BASE); a new file goes to engine-b unless listed below.
#
# One lane is the default: on a 2-core runner the suites keep both cores busy, so three lanes
# took 1400 s against ~1660 s one at a time (clean-clone CI, 2026-12-07) and stretched the
# fault scenarios until a swarm rolling restart and a recreate deploy missed their bars. Use
# LANES=3 on 4 cores or more.
#
# --test-force-exit: a test file whose tests all finished but that leaves a handle open (a client's
# retry timer) would otherwise keep its process, and CI, waiting until the job's limit (seen once:
# cluster-live stayed alive after its last test). The tests still close what they open; this only
# keeps one that does not from hanging the run.
#
# TAP goes to stdout as it comes (with LANES=3 each line prefixed with its lane's name) and to a
# temporary file. At the end: the counts and, when something failed, a digest of the failures
# (each failing test with the first lines of its error): a CI log is often read from its end,
# and there the reason is what is wanted, not only the name.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
work="$(mktemp -d /tmp/redis-ha-tap.XXXXXX)"
trap 'rm -rf "$work"' EXIT

mapfile -t files < <(find dist/test/e2e dist/test/integration -name '*.test.js' | sort)
lab=() engine_a=() engine_b=()
for f in "${files[@]}"; do
  case "$(basename "$f")" in
    lab.test.js | swarm.test.js) lab+=("$f") ;;
    failover.test.js | rolling.test.js | switchover.test.js | failover-clients.test.js) engine_a+=("$f") ;;
    *) engine_b+=("$f") ;;
  esac
done

# lane NAME FILE...: runs the files one at a time; the TAP to $work/NAME.tap, its status to $work/NAME.rc.
lane() {
  local name="$1"
  shift
  [ "$#" -gt 0 ] || { echo 0 > "$work/$name.rc"; : > "$work/$name.tap"; return; }
  node --test --test-force-exit --test-concurrency=1 --test-reporter=tap --test-reporter-destination="$work/$name.tap" "$@"
  echo $? > "$work/$name.rc"
}

start=$SECONDS
if [ "${LANES:-1}" = 1 ]; then
  lanes=(all)
  node --test --test-force-exit --test-concurrency=1 \
    --test-reporter=tap --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/all.tap" \
    "${files[@]}"
  echo $? > "$work/all.rc"
else
  lanes=(lab engine-a engine-b)
  runs=() tails=()
  lane lab "${lab[@]}" &
  runs+=($!)
  lane engine-a "${engine_a[@]}" &
  runs+=($!)
  lane engine-b "${engine_b[@]}" &
  runs+=($!)
  # The TAP as it comes, each line with its lane (tail -F: the files appear when node opens them).
  for l in "${lanes[@]}"; do
    tail -n +1 -F "$work/$l.tap" 2> /dev/null | sed -u "s/^/[$l] /" &
    tails+=($!)
  done
  wait "${runs[@]}"
  sleep 2 # the last lines through tail
  kill "${tails[@]}" 2> /dev/null
  pkill -P $$ tail 2> /dev/null
fi

rc=0
echo "# Docker suites: $((SECONDS - start)) s"
for l in "${lanes[@]}"; do
  code="$(cat "$work/$l.rc" 2> /dev/null || echo 1)"
  counts="$(grep -E '^# (tests|pass|fail|skipped|todo) ' "$work/$l.tap" | tr '\n' ' ')"
  echo "# lane $l: exit $code; $counts"
  [ "$code" = 0 ] || rc=1
done
for l in "${lanes[@]}"; do
  if [ "$(cat "$work/$l.rc" 2> /dev/null || echo 1)" != 0 ]; then
    echo "# failures in lane $l:"
    node scripts/failure-digest.mjs "$work/$l.tap"
  else
    # A passing lane can still hold TODO subtests that failed (known intermittent, reported).
    node scripts/failure-digest.mjs "$work/$l.tap" --todo-only
  fi
done
exit "$rc"
