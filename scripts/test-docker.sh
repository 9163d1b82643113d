#!/usr/bin/env bash
# The Docker suites (e2e and integration) in three lanes that run at once, each lane one file at
# a time:
#   lab       the files that build their own engines in network namespaces (lab, swarm);
#   engine-a  the local engine: failover, rolling and switchover (the long scenario runs);
#   engine-b  the local engine: everything else.
# Most of a Docker test is waiting (a Sentinel's down-after, a container's start), so on a
# 2-core runner three lanes take about a third of the time one does. The files of two lanes
# never share a deployment name or a port range (each file keeps its own; see its PORT_BASE).
# A new file goes to engine-b unless listed below.
#
# Each lane's TAP goes to stdout as it comes, every line prefixed with the lane's name, and to a
# temporary file. At the end: each lane's counts and, when something failed, a digest of the
# failures (each failing test with the first lines of its error): a CI log is often read from
# its end, and there the reason is what is wanted, not only the name.
#
#   LANES=1 bash scripts/test-docker.sh     one file at a time, as before (for a machine with one core)
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
  node --test --test-concurrency=1 --test-reporter=tap --test-reporter-destination="$work/$name.tap" "$@"
  echo $? > "$work/$name.rc"
}

start=$SECONDS
if [ "${LANES:-3}" = 1 ]; then
  lane all "${files[@]}"
  lanes=(all)
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
[ "${lanes[0]}" = all ] && cat "$work/all.tap"

rc=0
echo "# Docker suites: $((SECONDS - start)) s"
for l in "${lanes[@]}"; do
  code="$(cat "$work/$l.rc" 2> /dev/null || echo 1)"
  counts="$(grep -E '^# (tests|pass|fail|skipped) ' "$work/$l.tap" | tr '\n' ' ')"
  echo "# lane $l: exit $code; $counts"
  [ "$code" = 0 ] || rc=1
done
if [ "$rc" != 0 ]; then
  for l in "${lanes[@]}"; do
    [ "$(cat "$work/$l.rc" 2> /dev/null || echo 1)" = 0 ] || { echo "# failures in lane $l:"; node scripts/failure-digest.mjs "$work/$l.tap"; }
  done
fi
exit "$rc"
