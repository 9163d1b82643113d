#!/bin/sh
# redis-ha: starts one Sentinel; runs at every container start.
# The Sentinel monitors the master its peers name (it may have changed since rendering) when
# they are a majority of all the deployment's Sentinels (see majority_master in common.sh);
# otherwise it keeps its own last state, and on first start the rendered one.
# Env: NODE_NAME, MASTER_NAME, SENTINELS (the other Sentinels), SENTINEL_COUNT (all of them,
# this one included). Secrets (files, with auth): /run/secrets/sentinel (auth-pass to the
# nodes, sentinel-pass to the peers), health (asking the peers).
set -eu
# The live config holds those passwords: readable by the redis user only.
umask 077

# The directories are overridable only so that tests can run this script without root.
conf_dir=${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}
data_dir=${REDIS_HA_DATA_DIR:-/data}
rendered=$conf_dir/sentinel.conf
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

answers=$(sentinels_answers)
answer=$(majority_master "$answers")
seen=$(answers_summary "$answers")
if [ -n "$answer" ]; then
  echo "redis-ha: a majority of the $SENTINEL_COUNT Sentinels name ${answer% *} as master ($seen)"
  # Monitor the current master; known replicas are learnt from it at once.
  sed -e "s/^sentinel monitor $MASTER_NAME [^ ]* [0-9]* /sentinel monitor $MASTER_NAME $answer /" \
      -e '/^sentinel known-replica /d' "$rendered" | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
elif [ -f "$live" ]; then
  echo "redis-ha: no majority of the ${SENTINEL_COUNT:-?} Sentinels names a master (${seen:-none asked}); keeping this Sentinel's last state"
  # ...with the users and passwords of now (they may have changed since that state was
  # written), and quoted again: Sentinel's own rewrite (7.0) writes auth-pass and
  # sentinel-pass unquoted. The ports and TLS settings are the rendered ones too (TLS may
  # have been turned on or off since).
  {
    grep -vE '^(requirepass|user|sentinel auth-pass|sentinel auth-user|sentinel sentinel-pass|sentinel sentinel-user|port|tls-[a-z-]+) ' "$live"
    grep -E '^(user|sentinel auth-user|sentinel sentinel-user|port|tls-[a-z-]+) ' "$rendered" || true
  } | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
else
  echo "redis-ha: first start; monitoring the rendered master"
  with_auth <"$rendered" >"$live.tmp"
  mv "$live.tmp" "$live"
fi
exec docker-entrypoint.sh redis-server "$live" --sentinel
