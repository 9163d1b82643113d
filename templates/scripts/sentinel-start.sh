#!/bin/sh
# redis-ha: starts one Sentinel; runs at every container start.
# The Sentinel monitors the master its peers name (it may have changed since rendering) when
# they are a majority of all the deployment's Sentinels (see majority_master in common.sh);
# otherwise it keeps what it learnt (master, epochs, replicas) with the rendered settings, and
# on first start the rendered state.
# Env: NODE_NAME, MASTER_NAME, SENTINELS (the other Sentinels), SENTINEL_COUNT (all of them,
# this one included). Secrets (files, with auth): /run/secrets/sentinel (auth-pass to the
# nodes, sentinel-pass to the peers), health (asking the peers).
set -eu
# The live config holds those passwords: readable by the redis user only.
umask 077

# The directories are overridable only so that tests can run this script without root.
conf_dir=${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}
data_dir=${REDIS_HA_DATA_DIR:-/data}
rendered=$conf_dir/sentinel/$NODE_NAME.conf
live=$data_dir/sentinel.conf

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$conf_dir/scripts/common.sh"

# Read once up front: a mounted but unreadable secret stops the start here, saying which.
sentinel_pass=$(secret sentinel)
secret health >/dev/null

with_auth() {
  cat
  if [ -n "$sentinel_pass" ]; then
    quoted=$(config_quote "$sentinel_pass")
    # printf, not echo: dash's echo would turn the escaped backslashes back into single ones.
    printf 'sentinel auth-pass %s %s\nsentinel sentinel-pass %s\n' "$MASTER_NAME" "$quoted" "$quoted"
  fi
}

# "host port" of the master the Sentinel state in $1 follows; fails when it names none.
learnt_master() {
  learnt=$(sed -n "s/^sentinel monitor $MASTER_NAME \([^ ]*\) \([0-9]*\) [0-9]*\$/\1 \2/p" "$1" | head -n 1)
  [ -n "$learnt" ] && echo "$learnt"
}

answers=$(sentinels_answers)
answer=$(majority_master "$answers")
seen=$(answers_summary "$answers")
if [ -n "$answer" ]; then
  echo "redis-ha: a majority of the $SENTINEL_COUNT Sentinels name ${answer% *} as master ($seen)"
  # Monitor the current master; known replicas are learnt from it at once.
  {
    sed -e "s/^sentinel monitor $MASTER_NAME [^ ]* [0-9]* /sentinel monitor $MASTER_NAME $answer /" \
        -e '/^sentinel known-replica /d' "$rendered"
    # Its votes survive the restart (current-epoch, leader-epoch): a Sentinel that forgot them
    # could vote a second time in an epoch it already voted in, and two leaders of one epoch
    # make two failovers with the same config epoch, which Sentinels never reconcile. The
    # config epoch only where it belongs to the master now named (else the peers' hello
    # messages bring the right one).
    if [ -f "$live" ]; then
      grep -E "^sentinel (current-epoch|leader-epoch $MASTER_NAME) " "$live" || true
      if [ "$(learnt_master "$live" || true)" = "$answer" ]; then
        grep -E "^sentinel config-epoch $MASTER_NAME " "$live" || true
      fi
    fi
  } | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
elif [ -f "$live" ] && learnt=$(learnt_master "$live"); then
  echo "redis-ha: no majority of the ${SENTINEL_COUNT:-?} Sentinels names a master (${seen:-none asked}); keeping what this Sentinel learnt (master $learnt, epochs, known replicas) with the rendered settings"
  # Only what it learnt comes from its own state: the master it follows, the epochs and the
  # replicas it knows. Every setting (quorum, down-after, failover-timeout, parallel-syncs,
  # auth, port and tls-* lines, ...) comes from the rendered file, so a restart never brings
  # back old settings (TLS may have been turned on or off since); so do the peers (fixed names
  # and ids: a peer removed since is not brought back).
  {
    sed -e "s/^sentinel monitor $MASTER_NAME [^ ]* [0-9]* /sentinel monitor $MASTER_NAME $learnt /" \
        -e '/^sentinel known-replica /d' "$rendered"
    grep -E "^sentinel (current-epoch|config-epoch $MASTER_NAME|leader-epoch $MASTER_NAME|known-replica $MASTER_NAME) " "$live" || true
  } | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
else
  echo "redis-ha: first start; monitoring the rendered master"
  with_auth <"$rendered" >"$live.tmp"
  mv "$live.tmp" "$live"
  # Every container starts at once. A Sentinel that started before the master's Redis
  # answered would count it down after down-after-milliseconds (1 s on the fast profile) and,
  # with its peers, fail over to a replica of an empty deployment that never had a master.
  # So a first start waits, bounded, until the rendered master answers PING; a restart never
  # waits (the master may be why it is needed).
  limit=${REDIS_HA_MASTER_WAIT_S:-30}
  deadline=$(($(date +%s) + limit))
  if rendered_master=$(learnt_master "$rendered"); then
    if ! await_pong "$deadline" -h "${rendered_master% *}" -p "${rendered_master#* }"; then
      echo "redis-ha: the rendered master ${rendered_master% *} did not answer PING within $limit s; starting anyway"
    fi
  fi
  # The rendered replicas too, within the same limit: Sentinel tries a node that does not
  # answer again only a ping period (1 s) later and reports it disconnected until then, so a
  # Sentinel started before its replicas would hold up the deploy by that second.
  sed -n "s/^sentinel known-replica $MASTER_NAME \([^ ]*\) \([0-9]*\)\$/\1 \2/p" "$rendered" | while read -r host port; do
    await_pong "$deadline" -h "$host" -p "$port" || echo "redis-ha: the rendered replica $host did not answer PING within $limit s; starting anyway"
  done
fi
exec docker-entrypoint.sh redis-server "$live" --sentinel
